"""Celery tasks of the audit packs: rendering one pack (by id, through the service) and,
every minute from Celery beat, queueing again the packs whose render stopped."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from packs import services
from packs.models import AuditPack

logger = logging.getLogger(__name__)
MAX_RETRIES = 2


def _readable(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"Rendering failed ({type(exc).__name__}{': ' + message[:200] if message else ''})."


@shared_task(
    bind=True,
    name="packs.render_pack",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.AIMS_PACK_SOFT_TIME_LIMIT,
    time_limit=settings.AIMS_PACK_TIME_LIMIT,
    max_retries=MAX_RETRIES,
)
def render_pack(self, pack_id: int) -> str:
    """Render one pack; redelivery of a ready pack does nothing."""
    try:
        result = services.pack_render(pack_id)
    except AuditPack.DoesNotExist:
        logger.warning("Pack %s no longer exists; nothing to render", pack_id)
        return "missing"
    except SoftTimeLimitExceeded:
        services.pack_fail(pack_id, reason=f"Rendering took longer than {settings.AIMS_PACK_SOFT_TIME_LIMIT} seconds.")
        return "failed"
    except Exception as exc:
        logger.exception("Rendering pack %s failed", pack_id)
        if self.request.retries < self.max_retries:
            services.pack_fail(pack_id, reason=_readable(exc) + " Retrying.", retrying=True)
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        services.pack_fail(pack_id, reason=_readable(exc))
        return "failed"
    return "done" if result is not None else "already ready"


@shared_task(name="packs.requeue_stale_packs", ignore_result=True)
def requeue_stale_packs() -> list[int]:
    """Queue again the packs not queued, whose render stopped beating, or whose message was lost."""
    requeued = services.packs_requeue_stuck()
    if requeued:
        logger.warning("Requeued audit packs %s", ", ".join(map(str, requeued)))
    return requeued
