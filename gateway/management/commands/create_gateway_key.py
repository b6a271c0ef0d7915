"""``manage.py create_gateway_key AIS-001 --name NAME [--management-system ID|NAME] [--days N]``: print a new key once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from gateway.keys import services
from registers.models import AISystem


class Command(BaseCommand):
    help = (
        "Issue a gateway key for an AI system and print it alone on standard output, once (only its hash is "
        "stored); it expires."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="The AI system's reference, e.g. AIS-001.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'Triage service, production'.")
        parser.add_argument(
            "--management-system",
            default="",
            help="The management system (id or exact name), when several have a system with this reference.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=services.DEFAULT_DAYS,
            help=f"How many days the key works (default {services.DEFAULT_DAYS}, at most {services.MAX_DAYS}).",
        )

    def handle(self, *args: Any, reference: str, name: str, management_system: str, days: int, **options: Any) -> None:
        system = self._system(reference.strip().upper(), management_system.strip())
        try:
            key, plaintext = services.key_create(
                ai_system=system, user=None, name=name, expires_in_days=days, reason="Created with create_gateway_key"
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(plaintext)
        self.stderr.write(
            f"Gateway key {key.reference} (prefix {key.prefix}) for {system.reference} {system.name} "
            f"in {system.management_system.name}, valid until {key.expires_at:%Y-%m-%d %H:%M} UTC. "
            "It is shown only this once; send it as 'Authorization: Bearer <key>'."
        )

    def _system(self, reference: str, management_system: str) -> AISystem:
        systems = AISystem.objects.select_related("management_system").filter(reference=reference)
        if management_system:
            by = Q(management_system__name=management_system)
            if management_system.isdigit():
                by |= Q(management_system_id=int(management_system))
            systems = systems.filter(by)
        found = list(systems[:10])
        where = f" in management system {management_system!r}" if management_system else ""
        if not found:
            raise CommandError(f"No AI system {reference}{where}.")
        if len(found) > 1:
            names = ", ".join(f"{s.management_system_id} ({s.management_system.name})" for s in found)
            raise CommandError(
                f"{reference} exists in several management systems: {names}. Say which with --management-system."
            )
        return found[0]
