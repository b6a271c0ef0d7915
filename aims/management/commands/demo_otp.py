"""``manage.py demo_otp USERNAME``: print a demo user's current authenticator code (demo users only)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from aims import demo

# A code works once; when this step's code was used already, wait for the next step (at most this long).
MAX_WAIT_SECONDS = 90


class Command(BaseCommand):
    help = (
        "Print the code a demo user's authenticator shows now (the demo secret is public: demo users only). "
        "If that code was used already, wait for the next one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--no-wait", action="store_true", help="Fail instead of waiting for an unused code.")

    def handle(self, *args: Any, username: str, no_wait: bool, **options: Any) -> None:
        device = demo.demo_authenticator(username)
        if device is None:
            raise CommandError(
                f"{username!r} is not a demo user with the demo authenticator (run manage.py load_demo; "
                "real users' codes are never printed)."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        waited = 0.0
        while totp.t() <= device.last_t:  # this step's code was accepted already: it will not work again
            if no_wait or waited >= MAX_WAIT_SECONDS:
                raise CommandError("This code was used already; the next one comes within 30 seconds.")
            pause = device.step - (time.time() - device.t0) % device.step + 0.1
            time.sleep(pause)
            waited += pause
        if waited:
            self.stderr.write(f"Waited {waited:.0f} s: the previous code was used already.")
        self.stdout.write(f"{totp.token():0{device.digits}d}")
