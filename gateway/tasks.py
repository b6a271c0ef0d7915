"""Celery tasks of the gateway (scheduled in CELERY_BEAT_SCHEDULE): checkpoints, evidence records, the incident rule."""

from __future__ import annotations

from celery import shared_task

from gateway.evidence import checkpoints, incidents, metrics, records


@shared_task(name="gateway.checkpoint", acks_late=True, reject_on_worker_lost=True)
def checkpoint() -> dict[str, list[int]]:
    """Sign the heads of every management system's gateway chains into its sign-off chain (when they moved)."""
    return checkpoints.checkpoint_all(reason="daily")


@shared_task(name="gateway.evidence", acks_late=True, reject_on_worker_lost=True)
def evidence() -> dict[str, int]:
    """Record each ended period of gateway activity as evidence, and measure the gateway's metric feeds."""
    written = records.evidence_build()
    measured = metrics.metric_feeds_measure()
    return {"evidence": len(written), "measurements": len(measured)}


@shared_task(name="gateway.incident_rule", ignore_result=True)
def incident_rule() -> int:
    """Draft an incident for each new burst of refused calls."""
    return len(incidents.incident_rule_check_all())
