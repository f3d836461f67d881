"""Settings of the Django OAuth Toolkit peer: a minimal Django project that mounts
oauth2_provider at /o/ as the toolkit's tutorial does, with Django's own login form.

Environment (run.sh sets them):
  PEER_ADDR      host:port the server listens on (default 127.0.0.1:4100)
  PEER_DATABASE  the SQLite file (default peer.sqlite3 beside manage.py); run.sh puts a fresh
                 one in PEER_STATE_DIR at every start
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

ADDR = os.environ.get("PEER_ADDR", "127.0.0.1:4100")
HOST = ADDR.rsplit(":", 1)[0]

# A throwaway key for a loopback test server; nothing it signs outlives the process's state dir.
SECRET_KEY = "conformance-peer-django-oauth-toolkit-not-a-secret-0123456789"
DEBUG = False
ALLOWED_HOSTS = [HOST.strip("[]"), "127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "peer",
]

# Django's startproject list, unchanged.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peer.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "peer.wsgi.application"

# SQLite, one file per start. The suite runs 16 checks at once against a threaded server:
# WAL lets readers go on beside a writer, IMMEDIATE transactions take the write lock at their
# start (a deferred one that upgrades later fails at once with "database is locked"), and
# writers wait up to 30 s for the lock.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PEER_DATABASE", str(BASE_DIR / "peer.sqlite3")),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"

# Django's own login form (django.contrib.auth.views.LoginView) at /accounts/login/.
LOGIN_URL = "/accounts/login/"

# The toolkit's defaults throughout: PKCE required (PKCE_REQUIRED), refresh tokens rotated,
# scopes `read` and `write` (written out here as the tutorial does), every RFC 9700 gate off.
# Client secrets are stored unhashed per application (hash_client_secret=False, see
# peer/management/commands/setup_peer.py) unless PEER_HASH_CLIENT_SECRETS=1.
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Reading scope", "write": "Writing scope"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # 5xx answers with their traceback, in the peer's log.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
