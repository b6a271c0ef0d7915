"""``manage.py revoke_api_token PREFIX_OR_ID``: revoke a bearer token at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aims import services
from aims.limits import parse_id
from aims.models import ApiToken


class Command(BaseCommand):
    help = "Revoke an API bearer token given its id or its prefix (the first characters shown at creation)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", metavar="PREFIX_OR_ID")

    def handle(self, *args: Any, token: str, **options: Any) -> None:
        token = token.strip()
        tokens = ApiToken.objects.select_related("user").filter(revoked_at__isnull=True)
        token_id = parse_id(token)
        matches = list(tokens.filter(pk=token_id)) if token_id else []
        if not matches and len(token) >= 12:
            matches = list(tokens.filter(prefix=token[:12]))  # a full token works too: its first 12 characters
        elif not matches and len(token) >= 8:
            matches = list(tokens.filter(prefix__startswith=token))
        if not matches:
            raise CommandError(f"No active token with id or prefix {token!r}.")
        if len(matches) > 1:
            ids = ", ".join(str(t.pk) for t in matches)
            raise CommandError(f"Prefix {token!r} matches several tokens (ids {ids}); give the id instead.")
        revoked = services.api_token_revoke(matches[0])
        self.stdout.write(f"Revoked token {revoked.pk} ({revoked.prefix}) of {revoked.user}.")
