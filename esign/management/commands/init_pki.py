from django.core.management.base import BaseCommand

from core import clock
from esign.authority import pki_initialise


class Command(BaseCommand):
    help = (
        "Create the platform PKI once: root and issuing CA (ECDSA P-256), the receipt "
        "signing key and the time-stamping authority. Keys are stored encrypted with "
        "JANGTEO_PKI_PASSPHRASE. Running it again creates only what is missing."
    )

    def handle(self, *args, **options):
        created = pki_initialise(now=clock.now())
        self.stdout.write(f"created: {', '.join(created)}" if created else "PKI already set up")
