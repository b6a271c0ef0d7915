"""The daily readiness snapshots (Celery beat ``reviews.readiness_snapshots``): one per management system."""

from __future__ import annotations

import logging

from celery import shared_task

from aims.models import ManagementSystem
from reviews.models import ReadinessSnapshot
from reviews.readiness import services

logger = logging.getLogger(__name__)


@shared_task(name="reviews.readiness_snapshots", ignore_result=True)
def readiness_snapshots() -> int:
    """Evaluate every management system in use and keep the result, so that packs dated later can show it."""
    taken = 0
    for management_system in ManagementSystem.objects.exclude(status=ManagementSystem.Status.RETIRED).order_by("pk"):
        try:
            services.snapshot_take(management_system=management_system, source=ReadinessSnapshot.Source.DAILY)
        except Exception:  # one system's failure must not stop the others' snapshots
            logger.exception("Readiness snapshot of management system %s failed", management_system.pk)
            continue
        taken += 1
    return taken
