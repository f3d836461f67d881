"""The toolkit at /o/, as its tutorial mounts it; its RFC 8414 metadata also at the root,
where RFC 8414 §3 puts it for the issuer http://PEER_ADDR (the toolkit's urls.py asks
prefixed deployments to do so); Django's login form at /accounts/login/; a protected
resource at /api/hello (scope `read`)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

from peer.views import HelloView

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("o/", include(oauth2_urls)),
    path("", include(oauth2_urls.metadata_urlpatterns)),
    path("api/hello", HelloView.as_view(), name="hello"),
]
