"""Load the demo management systems, users and registers (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from aims import demo


class Command(BaseCommand):
    help = "Create the demo users and the Acme Health and Northwind Retail management systems (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="Address to show in the login hint.")

    def handle(self, *args, url: str, **options) -> None:
        result = demo.load(log=lambda message: self.stdout.write(f"  {message}"))
        if result.created:
            self.stdout.write(f"Created {len(result.created)} demo records.")
        else:
            self.stdout.write("Demo data already present: nothing to do.")
        self.stdout.write(self.style.SUCCESS(f"\nDemo ready at {url} (log in at {url.rstrip('/')}/login/)"))
        self.stdout.write(f"Password for every demo user: {demo.DEMO_PASSWORD}")
        self.stdout.write(
            f"Then the code of their authenticator (key {demo.DEMO_TOTP_SECRET}, in any authenticator app), "
            "or run: manage.py demo_otp USERNAME"
        )
        for username, (role, *_names, title) in demo.DEMO_PEOPLE.items():
            where = f"{role.label} in {result.acme.name}" if role else f"owner of {result.northwind.name}, not in Acme"
            self.stdout.write(f"  {username:<12} {where} ({title})")
