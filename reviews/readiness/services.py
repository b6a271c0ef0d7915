"""Writes of the readiness family: taking a snapshot of the self-assessment."""

from __future__ import annotations

import hashlib
from datetime import datetime

from aims import ledger
from aims.models import ManagementSystem
from aims.readiness import Readiness, evaluate
from reviews.models import ReadinessSnapshot
from reviews.readiness import selectors


def snapshot_digest(management_system_id: int, taken_at: datetime, results: dict) -> str:
    """SHA-256 of the snapshot's canonical JSON (sorted keys, no whitespace): what it recorded, checkable later."""
    payload = {"management_system": management_system_id, "taken_at": taken_at, "results": results}
    return hashlib.sha256(ledger.canonical_json(payload)).hexdigest()


def snapshot_take(
    *,
    management_system: ManagementSystem,
    source: str = ReadinessSnapshot.Source.DAILY,
    readiness: Readiness | None = None,
    now: datetime | None = None,
) -> ReadinessSnapshot:
    """Evaluate every readiness check now (or at ``now``, or keep the evaluation given) and record it as a snapshot."""
    readiness = readiness or evaluate(management_system, now=now)
    results = selectors.readiness_document(readiness)
    return ReadinessSnapshot.objects.create(
        management_system=management_system,
        taken_at=readiness.evaluated_at,
        ready=readiness.ready,
        results=results,
        sha256=snapshot_digest(management_system.pk, readiness.evaluated_at, results),
        source=source,
    )
