"""The pack's "Readiness statement (self-assessment)" section (9.1, 9.3), as of the pack's date.

The checks read the registers as they are now, so the section shows a snapshot: for a pack
dated within a few minutes of now the checks are evaluated and the result is kept as a new
snapshot; for a pack dated earlier, the latest snapshot taken at or before its date, or a plain
statement that no self-assessment was recorded by then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aims.models import ManagementSystem, SignOff
from aims.pack_gather import tracked_models
from aims.pack_sections import FULL, STAGE1, PackData, register_pack_section
from aims.readiness import SEVERITIES
from reviews.models import ReadinessSnapshot
from reviews.readiness import selectors, services

KEY = "readiness"
RECENT = timedelta(minutes=10)  # a pack dated this close to now is "as of now": evaluate and keep a snapshot


def changed_since(management_system_id: int, moment: datetime) -> bool:
    """Whether any register of the management system changed after ``moment`` (one query per tracked model)."""
    for model in tracked_models():
        key = "id" if model is ManagementSystem else "management_system_id"
        if model.history.filter(**{key: management_system_id}, history_date__gt=moment).exists():
            return True
    return SignOff.objects.filter(management_system_id=management_system_id, signed_at__gt=moment).exists()


def snapshot_for(data: PackData) -> ReadinessSnapshot | None:
    """The snapshot the pack shows: taken now for a recent as-of (nothing changed since), else the latest before it.

    The checks read the registers as they are now: that is the pack's date only if nothing changed since.
    """
    recent = abs(timezone.now() - data.as_of) <= RECENT
    if recent and not changed_since(data.management_system_id, data.as_of):
        management_system = ManagementSystem.objects.get(pk=data.management_system_id)
        return services.snapshot_take(management_system=management_system, source=ReadinessSnapshot.Source.PACK)
    return selectors.snapshot_at(data.management_system_id, data.as_of)


def gather_readiness(data: PackData) -> None:
    """The self-assessment as of the pack's date (one to three queries, plus an evaluation for a recent date)."""
    snapshot = snapshot_for(data)
    data.parts["readiness_snapshot"] = snapshot
    if snapshot is None:
        data.parts["readiness_rows"] = []
        return
    results = snapshot.results
    rows = []
    for row in results.get("clauses", []):
        failing = [c for c in row["checks"] if not c["ok"]]
        passing = [c for c in row["checks"] if c["ok"]]
        for check in row["checks"]:
            check["severity_label"] = SEVERITIES.get(check["severity"], check["severity"])
        rows.append({**row, "failing": failing, "passing": passing})
    data.parts["readiness_rows"] = rows
    data.parts["readiness_counts"] = results.get("counts", {})
    data.parts["readiness_evaluated_at"] = parse_datetime(results.get("evaluated_at", "")) or snapshot.taken_at


def register() -> None:
    register_pack_section(
        KEY,
        title="Readiness statement (self-assessment)",
        clause="9.1, 9.3",
        kinds={STAGE1, FULL},
        order=91,
        gather=gather_readiness,
        template="reviews/readiness/pack/section_readiness.html",
    )
