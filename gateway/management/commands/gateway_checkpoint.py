"""manage.py gateway_checkpoint: sign the heads of the gateway's event chains into each sign-off chain now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gateway.evidence import checkpoints, records


class Command(BaseCommand):
    help = "Checkpoint the gateway's event chains into each management system's sign-off chain (when they moved)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--evidence", action="store_true", help="Then record ended periods as evidence.")

    def handle(self, *args, **options) -> None:
        summary = checkpoints.checkpoint_all(reason="manage.py gateway_checkpoint")
        self.stdout.write(
            f"Checkpointed: {len(summary['checkpointed'])} management system(s); "
            f"unchanged since the last checkpoint: {len(summary['unchanged'])}."
        )
        if options["evidence"]:
            self.stdout.write(f"Evidence records written: {len(records.evidence_build())}.")
        if summary["broken"]:
            raise CommandError(
                f"Not checkpointed, a gateway chain does not verify: management system(s) {summary['broken']} "
                "(manage.py verify_ledger names the first broken event)."
            )
