"""Recompute every sign-off digest and chain link; exit non-zero naming the first broken sign-off."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aims import ledger
from aims.models import ManagementSystem


class Command(BaseCommand):
    help = "Verify the sign-off ledger: every digest against the history tables, and every chain link."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--management-system", type=int, help="Only this management system's chain (its id).")

    def handle(self, *args, **options) -> None:
        management_system = None
        if options["management_system"] is not None:
            management_system = ManagementSystem.objects.filter(pk=options["management_system"]).first()
            if management_system is None:
                raise CommandError(f"No management system with id {options['management_system']}.")
        result = ledger.verify(management_system)
        scope = f"management system {management_system.pk}" if management_system else "all management systems"
        broken = result["first_broken"]
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"OK: {result['checked']} sign-off(s) verified ({scope})."))
            return
        subject = broken["subject"]
        raise CommandError(
            f"BROKEN after checking {result['checked']} sign-off(s) ({scope}): sign-off id {broken['id']} "
            f"(#{broken['sequence']} of management system {broken['management_system']}, kind {broken['kind']}, "
            f"subject {subject['type']} {subject['id']}, signed {broken['signed_at']}): {broken['reason']}. "
            f"{broken['detail']}"
        )
