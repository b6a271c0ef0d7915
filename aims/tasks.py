"""Celery tasks of the core: the daily anchor and the checks of every sign-off chain (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging

from celery import shared_task

from aims import anchors, ledger
from aims.models import LedgerCheck, ManagementSystem

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


@shared_task(name="aims.verify_ledger", acks_late=True, reject_on_worker_lost=True)
def verify_ledger(check_id: int) -> dict[str, object]:
    """Run one queued ledger check (``aims.ledger.check_request``); the ledger page shows its outcome."""
    check = LedgerCheck.objects.select_related("management_system").filter(pk=check_id).first()
    if check is None or check.status != LedgerCheck.Status.QUEUED:
        return {"check": check_id, "skipped": True}
    check = ledger.check_run(check)
    if not check.ok:
        logger.error("Sign-off chain broken: %s", ledger.describe_broken(check.first_broken))
    return {"check": check.pk, "ok": check.ok, "checked": check.checked}


@shared_task(name="aims.verify_ledgers", acks_late=True, reject_on_worker_lost=True)
def verify_ledgers() -> dict[str, list[int]]:
    """Check every management system's chain (daily), each recorded as a ledger check the page shows."""
    summary: dict[str, list[int]] = {"ok": [], "broken": []}
    for management_system in ManagementSystem.objects.order_by("pk"):
        check = ledger.check_run(LedgerCheck.objects.create(management_system=management_system))
        summary["ok" if check.ok else "broken"].append(management_system.pk)
        if not check.ok:
            logger.error("Sign-off chain broken: %s", ledger.describe_broken(check.first_broken))
    return summary
