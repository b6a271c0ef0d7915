"""``manage.py create_api_token USERNAME [--name NAME]``: print a new bearer token once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aims import services


class Command(BaseCommand):
    help = "Create an API bearer token for a user and print it once (only its hash is stored); it expires."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'CI export'.")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"How many days the token works (default {settings.AIMS_API_TOKEN_DAYS}, "
            f"at most {settings.AIMS_API_TOKEN_MAX_DAYS}).",
        )

    def handle(self, *args: Any, username: str, name: str, days: int | None, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"{username} is inactive; a token for them would not work.")
        try:
            token, raw = services.api_token_create(user=user, name=name[:100], days=days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.pk} (prefix {token.prefix}) for {username}, valid until "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only this once; "
            f"send it as 'Authorization: Bearer <token>'. Revoke it with: manage.py revoke_api_token {token.prefix}"
        )
