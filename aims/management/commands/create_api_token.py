"""``manage.py create_api_token USERNAME [--name NAME]``: print a new bearer token once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aims import services


class Command(BaseCommand):
    help = "Create an API bearer token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'CI export'.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"{username} is inactive; a token for them would not work.")
        token, raw = services.api_token_create(user=user, name=name[:100])
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.pk} (prefix {token.prefix}) for {username}. It is shown only this once; "
            f"send it as 'Authorization: Bearer <token>'. Revoke it with: manage.py revoke_api_token {token.prefix}"
        )
