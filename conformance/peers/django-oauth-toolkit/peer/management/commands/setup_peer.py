"""Creates the test user and the three applications of
fixtures/targets/django-oauth-toolkit.toml in a freshly migrated database.

The secrets are throwaway test values. They are stored unhashed (hash_client_secret=False):
the toolkit's default hashes them with Django's password hasher (PBKDF2, about a third of a
second of CPU for every client authentication). PEER_HASH_CLIENT_SECRETS=1 keeps the default.
"""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model

USERNAME = "test-user"

# Must match fixtures/targets/django-oauth-toolkit.toml.
APPLICATIONS = [
    {
        "client_id": "cc-client",
        "client_secret": "cc-client-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "name": "Conformance client_credentials client",
        "authorization_grant_type": "client-credentials",
        "redirect_uris": "",
    },
    {
        "client_id": "web-client",
        "client_secret": "web-client-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "name": "Conformance code client",
        "authorization_grant_type": "authorization-code",
        "redirect_uris": "https://client.example/cb",
    },
    {
        "client_id": "web-client-2",
        "client_secret": "web-client-2-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "name": "Conformance code client 2",
        "authorization_grant_type": "authorization-code",
        "redirect_uris": "https://client.example/cb2",
    },
]


class Command(BaseCommand):
    help = "Create the conformance suite's test user and applications."

    def handle(self, *args, **options):
        password = os.environ.get("PEER_PASSWORD", "test-password")
        hashed = os.environ.get("PEER_HASH_CLIENT_SECRETS", "") == "1"
        user, _ = get_user_model().objects.get_or_create(username=USERNAME)
        user.set_password(password)
        user.save()

        Application = get_application_model()
        for spec in APPLICATIONS:
            Application.objects.filter(client_id=spec["client_id"]).delete()
            Application.objects.create(
                user=user,
                client_type=Application.CLIENT_CONFIDENTIAL,
                hash_client_secret=hashed,
                # Consent is given without asking: no consent page.
                skip_authorization=True,
                **spec,
            )
        self.stdout.write(
            f"user {USERNAME}, {len(APPLICATIONS)} applications, "
            f"client secrets {'hashed' if hashed else 'unhashed'}\n"
        )
