"""Anchor each sign-off chain's signed head outside the database now (the daily task does it too)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aims import anchors, ledger
from aims.models import ManagementSystem


class Command(BaseCommand):
    help = (
        "Append the signed head of each sign-off chain to its anchor log (anchors/<id>.jsonl in the file storage) "
        "when it moved since the last anchor and the chain verifies. Run it once after upgrading: the first anchor "
        "covers every sign-off made before signing existed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--management-system", type=int, help="Only this management system's chain (its id).")
        parser.add_argument("--reason", default="manage.py anchor_ledger", help="Recorded in the anchor line.")

    def handle(self, *args, **options) -> None:
        systems = ManagementSystem.objects.order_by("pk")
        if options["management_system"] is not None:
            systems = systems.filter(pk=options["management_system"])
            if not systems.exists():
                raise CommandError(f"No management system with id {options['management_system']}.")
        failures = []
        for ms in systems:
            result = anchors.anchor_chain(ms, reason=options["reason"])
            if result.problem is not None:
                failures.append(f"management system {ms.pk}: {ledger.describe_broken(result.problem)}")
                self.stderr.write(f"Management system {ms.pk}: NOT anchored, the chain does not verify.")
            elif result.appended:
                a = result.anchor
                self.stdout.write(f"Management system {ms.pk}: anchored sign-off #{a['sequence']} in {a['log']}.")
            elif result.anchor:
                self.stdout.write(
                    f"Management system {ms.pk}: unchanged since the anchor of {result.anchor['signed_at']} "
                    f"(sign-off #{result.anchor['sequence']})."
                )
            else:
                self.stdout.write(f"Management system {ms.pk}: nothing signed yet.")
        if failures:
            raise CommandError("BROKEN: " + " | ".join(failures))
