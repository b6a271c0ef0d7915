"""Reads of the readiness family: the page's rows (every clause and Annex A group, titled from the
catalogue) and the snapshot a pack dated at a moment shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aims.models import ManagementSystem
from aims.readiness import ClauseRow, Readiness
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control, ControlArea
from reviews.models import ReadinessSnapshot


@dataclass
class PageRow:
    """One row of the readiness page: a clause (4.1 ... 10.2) or an Annex A group (A.2 ... A.10)."""

    clause: str
    title: str
    row: ClauseRow

    @property
    def status(self) -> str:
        return self.row.status

    @property
    def failing(self) -> list[Any]:
        return self.row.failing

    @property
    def passing(self) -> list[Any]:
        return [r for r in self.row.results if r.ok]


@dataclass
class Catalogue:
    """The rows the page shows, in the standard's order, with their titles."""

    rows: list[tuple[str, str]] = field(default_factory=list)  # (clause or group, title)


def _group(key: str) -> str:
    return ".".join(key.split(".")[:2])


def catalogue() -> Catalogue:
    """Clauses 4.1 to 10.2 (sub-clauses folded into their clause) and the Annex A groups (two queries)."""
    rows: dict[str, str] = {}
    for control in Control.objects.filter(framework__key=CLAUSES).order_by("position").only("key", "title"):
        group = _group(control.key)
        if group not in rows:
            # A clause with sub-clauses (6.1, 7.5, 9.2, 9.3) is named after its first, "…: general".
            rows[group] = control.title.removesuffix(": general") if group != control.key else control.title
    for area in ControlArea.objects.filter(framework__key=ANNEX_A).order_by("position").only("key", "title"):
        rows[area.key] = area.title
    return Catalogue(rows=list(rows.items()))


def page_rows(readiness: Readiness) -> list[PageRow]:
    """A row per clause and Annex A group (those with no check too), then any other group a check names."""
    by_group = {row.clause: row for row in readiness.rows}
    rows = [PageRow(key, title, by_group.pop(key, ClauseRow(key, []))) for key, title in catalogue().rows]
    rows += [PageRow(key, "", row) for key, row in by_group.items()]
    return rows


def snapshot_at(management_system: ManagementSystem | int, moment: datetime) -> ReadinessSnapshot | None:
    """The latest snapshot taken at or before ``moment``, or None."""
    ms_id = management_system if isinstance(management_system, int) else management_system.pk
    return (
        ReadinessSnapshot.objects.filter(management_system_id=ms_id, taken_at__lte=moment).order_by("-taken_at").first()
    )


def readiness_document(readiness: Readiness) -> dict[str, Any]:
    """The verdict, the counts and every row of the page with its checks: what the API answers and a snapshot keeps."""
    return {
        "ready": readiness.ready,
        "evaluated_at": readiness.evaluated_at.isoformat(),
        "counts": readiness.counts(),
        "clauses": [
            {
                "clause": row.clause,
                "title": row.title,
                "status": row.status,
                "checks": [result.as_dict() for result in row.row.results],
            }
            for row in page_rows(readiness)
        ],
    }
