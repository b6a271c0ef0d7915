"""Show the register's signing key (fingerprint, public key), or print a new private key for a secret store."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from aims import signing


class Command(BaseCommand):
    help = (
        "Show where the register's Ed25519 signing key comes from, its fingerprint and public key. With --new, "
        "print a new private key (PEM) to put in your secret store as AIMS_SIGNING_KEY; nothing is changed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--new", action="store_true", help="Print a new private key instead (PEM, to stdout).")

    def handle(self, *args, **options) -> None:
        if options["new"]:
            self.stdout.write(signing.new_private_key_pem().decode(), ending="")
            return
        self.stdout.write(f"Key from: {signing.key_source()}")
        self.stdout.write(f"Fingerprint (SHA-256 of the raw public key): {signing.fingerprint()}")
        self.stdout.write(signing.public_key_pem(), ending="")
