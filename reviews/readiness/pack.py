"""The pack's "Readiness statement (self-assessment)" section (9.1, 9.3), as of the pack's date.

The checks read the registers as they are now, so the section shows a snapshot: when a pack as
of now is requested, the checks are evaluated at its as-of moment and kept as a snapshot (the
section's ``prepare``); a pack dated earlier shows the latest snapshot taken at or before its
date (the daily one), or says plainly that no self-assessment was recorded by then. Rendering,
whenever it happens, reads the snapshot only: one query.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aims.pack_sections import FULL, STAGE1, PackData, register_pack_section
from aims.readiness import SEVERITIES
from reviews.models import ReadinessSnapshot
from reviews.readiness import selectors, services

KEY = "readiness"
RECENT = timedelta(minutes=10)  # a pack dated this close to its request is "as of now"


def prepare_readiness(pack: Any) -> None:
    """When a pack as of now is requested, evaluate the checks and keep the result as the snapshot of that moment."""
    if abs(timezone.now() - pack.as_of) <= RECENT:
        services.snapshot_take(
            management_system=pack.management_system, source=ReadinessSnapshot.Source.PACK, now=pack.as_of
        )


def gather_readiness(data: PackData) -> None:
    """The self-assessment as of the pack's date: the latest snapshot taken at or before it (one query)."""
    snapshot = selectors.snapshot_at(data.management_system_id, data.as_of)
    data.parts["readiness_snapshot"] = snapshot
    if snapshot is None:
        data.parts["readiness_rows"] = []
        return
    results = snapshot.results
    rows = []
    if data.pack_scope.by_systems:
        _leave_out_findings(results.get("clauses", []), data.left_out_references())
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
        prepare=prepare_readiness,
    )


_REFERENCE = re.compile(r"\b[A-Z][A-Z0-9]*-\d+\b")


def _leave_out_findings(rows: list[dict[str, Any]], left_out: frozenset[str]) -> None:
    """In a pack scoped to AI systems: drop the findings that name records of other systems only."""
    for row in rows:
        for check in row["checks"]:
            findings = check.get("findings") or []
            kept = [f for f in findings if not (set(_REFERENCE.findall(f["message"])) & left_out)]
            if len(kept) == len(findings):
                continue
            check["findings"] = kept
            check["message"] = " ".join(f["message"] for f in kept) or (
                "Its findings concern only records outside this pack's scope."
            )
