"""Celery tasks of the core: the daily anchor of every sign-off chain (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging

from celery import shared_task

from aims import anchors, ledger

logger = logging.getLogger(__name__)


@shared_task(name="aims.anchor_ledgers", acks_late=True, reject_on_worker_lost=True)
def anchor_ledgers() -> dict[str, list[int]]:
    """Append each chain's signed head to its anchor log; a chain that does not verify is logged, not anchored."""
    summary: dict[str, list[int]] = {"anchored": [], "unchanged": [], "broken": []}
    for ms_id, result in anchors.anchor_all(reason="daily").items():
        if result.problem is not None:
            summary["broken"].append(ms_id)
            logger.error("Sign-off chain broken: %s", ledger.describe_broken(result.problem))
        elif result.appended:
            summary["anchored"].append(ms_id)
        else:
            summary["unchanged"].append(ms_id)
    return summary
