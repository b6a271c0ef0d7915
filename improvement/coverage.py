"""The audit programme's coverage matrix (9.2.2): which requirement is audited in which quarter.

A pure computation on plain data, shared by the programme page, the API and the packs (which
read the programme as of a past date): rows are every clause 4 to 10 requirement, then the
Annex A controls, AI systems and processes the programme plans; columns are the quarters of
the cycle. A clause row with nothing planned in the cycle is flagged as a gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarters_between(start: date, end: date) -> list[str]:
    """The quarters from the one holding ``start`` to the one holding ``end`` (e.g. 2026-Q1 ... 2026-Q4)."""
    if end < start:
        return []
    year, quarter = start.year, (start.month - 1) // 3 + 1
    last = (end.year, (end.month - 1) // 3 + 1)
    quarters = []
    while (year, quarter) <= last:
        quarters.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return quarters


@dataclass
class CoverageRow:
    key: str  # "clause:9.2.2", "control:A.6.2.8", "system:AIS-001", "process:Incident handling"
    label: str
    kind: str  # clause, control, system, process
    group: str = ""
    cells: dict[str, int] = field(default_factory=dict)  # quarter -> number of planned items
    audited: bool = False  # a reported or closed audit of the cycle had it in scope

    @property
    def planned(self) -> bool:
        return any(self.cells.values())

    @property
    def gap(self) -> bool:
        """A clause neither planned nor audited within the cycle."""
        return self.kind == "clause" and not self.planned and not self.audited


@dataclass
class Coverage:
    quarters: list[str]
    rows: list[CoverageRow]
    outside_cycle: int = 0  # planned items whose quarter lies outside the cycle

    @property
    def gaps(self) -> list[CoverageRow]:
        return [row for row in self.rows if row.gap]

    @property
    def clause_rows(self) -> list[CoverageRow]:
        return [row for row in self.rows if row.kind == "clause"]

    @property
    def covered_clauses(self) -> int:
        """How many clause rows are planned or audited within the cycle."""
        return sum(1 for row in self.clause_rows if not row.gap)

    @property
    def table(self) -> list[tuple[CoverageRow, list[int]]]:
        """Each row with its number of planned items per quarter, in the order of ``quarters`` (for a page)."""
        return [(row, [row.cells.get(quarter, 0) for quarter in self.quarters]) for row in self.rows]


def coverage_matrix(
    *,
    clauses: Iterable[Any],
    items: Iterable[Any],
    period_start: date,
    period_end: date,
    audited_requirement_ids: Iterable[int] = (),
) -> Coverage:
    """Build the matrix from the clause requirements (Control rows of the clauses framework, with
    ``area`` loaded), the programme's planned items (with ``requirement`` and ``ai_system`` loaded;
    current rows or historical ones as of a date) and the requirements in scope of the cycle's
    reported or closed audits."""
    quarters = quarters_between(period_start, period_end)
    audited = set(audited_requirement_ids)
    rows: dict[str, CoverageRow] = {}
    for clause in clauses:
        rows[f"clause:{clause.pk}"] = CoverageRow(
            key=f"clause:{clause.key}",
            label=f"{clause.key} {clause.title}",
            kind="clause",
            group=str(getattr(clause, "area", "") or ""),
            audited=clause.pk in audited,
        )
    extra: dict[str, CoverageRow] = {}
    outside = 0
    for item in items:
        requirement = getattr(item, "requirement", None)
        system = getattr(item, "ai_system", None)
        if requirement is not None and f"clause:{requirement.pk}" in rows:
            row = rows[f"clause:{requirement.pk}"]
        elif requirement is not None:
            row = extra.setdefault(
                f"control:{requirement.pk}",
                CoverageRow(f"control:{requirement.key}", f"{requirement.key} {requirement.title}", "control",
                            audited=requirement.pk in audited),
            )  # fmt: skip
        elif system is not None:
            row = extra.setdefault(
                f"system:{system.pk}", CoverageRow(f"system:{system.reference}", str(system), "system")
            )
        else:
            process = (item.process or "").strip() or "(unnamed process)"
            row = extra.setdefault(f"process:{process}", CoverageRow(f"process:{process}", process, "process"))
        if item.planned_quarter in quarters:
            row.cells[item.planned_quarter] = row.cells.get(item.planned_quarter, 0) + 1
        else:
            outside += 1
    ordered = list(rows.values()) + sorted(extra.values(), key=lambda row: (row.kind, row.label))
    return Coverage(quarters=quarters, rows=ordered, outside_cycle=outside)
