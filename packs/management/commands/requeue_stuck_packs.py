"""Queue again the audit packs whose render stopped, that were not queued, or whose message was lost.

Celery beat does this every minute (``packs.requeue_stale_packs``); the command is for a
deployment without beat, or to do it at once by hand.
"""

from django.core.management.base import BaseCommand

from packs.services import packs_requeue_stuck


class Command(BaseCommand):
    help = (
        "Queue again every audit pack whose render stopped beating, that was not queued because the job queue was "
        "down, or that waited queued longer than a render may take."
    )

    def handle(self, *args, **options) -> None:
        requeued = packs_requeue_stuck()
        self.stdout.write(
            f"Requeued {len(requeued)} pack(s){': ' + ', '.join(map(str, requeued)) if requeued else '.'}"
        )
