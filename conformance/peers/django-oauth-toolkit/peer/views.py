"""A protected resource, as the toolkit's tutorial (part 2) makes one: it answers 200 to a
bearer access token that has the `read` scope."""

from django.http import JsonResponse
from oauth2_provider.views.generic import ScopedProtectedResourceView


class HelloView(ScopedProtectedResourceView):
    required_scopes = ["read"]

    def get(self, request, *args, **kwargs):
        owner = getattr(request, "resource_owner", None)
        return JsonResponse({"hello": owner.get_username() if owner else "client"})
