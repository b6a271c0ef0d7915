"""Queue again the audit packs whose worker or message was lost (run it from cron)."""

from django.core.management.base import BaseCommand

from packs.services import packs_requeue_stuck


class Command(BaseCommand):
    help = "Queue again every audit pack stuck in queued or rendering for longer than the render time limit."

    def handle(self, *args, **options) -> None:
        requeued = packs_requeue_stuck()
        self.stdout.write(
            f"Requeued {len(requeued)} pack(s){': ' + ', '.join(map(str, requeued)) if requeued else '.'}"
        )
