"""The responsibility matrix and the competence gaps, computed from rows already read.

The pages read live rows and the pack reads history rows as of its date; both hand them to
these functions, so a gap means the same in both places. Nothing here queries the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MISSING = "missing"
EXPIRED = "expired"


def is_current(assignment: Any, day: date) -> bool:
    """Whether an assignment (row or history row) runs on the day."""
    return assignment.starts_on <= day and (assignment.ends_on is None or assignment.ends_on >= day)


def is_valid(record: Any, day: date) -> bool:
    """Whether a competence record (row or history row) is valid on the day: achieved, not expired, not withdrawn."""
    return (
        record.retired_at is None
        and record.achieved_on <= day
        and (record.expires_on is None or record.expires_on >= day)
    )


@dataclass
class Gap:
    """A competence the role of a current assignment requires and the person has no valid record of."""

    assignment: Any
    person: Any
    role: Any
    competence: Any
    reason: str  # MISSING or EXPIRED
    expired_on: date | None = None

    @property
    def is_expired(self) -> bool:
        return self.reason == EXPIRED


def competence_gaps(
    assignments: Iterable[Any],
    *,
    people: Mapping[int, Any],
    roles: Mapping[int, Any],
    competences: Mapping[int, Any],
    required: Mapping[int, Iterable[int]],
    records: Iterable[Any],
    day: date,
) -> list[Gap]:
    """For each current assignment, the role's required competences minus the person's valid records on the day.

    A competence whose latest record expired by the day is a gap "expired", one never recorded
    a gap "missing". Left people, retired roles and retired competences are not counted.
    """
    valid: set[tuple[int, int]] = set()
    latest_expiry: dict[tuple[int, int], date] = {}
    for record in records:
        key = (record.person_id, record.competence_id)
        if is_valid(record, day):
            valid.add(key)
        elif record.retired_at is None and record.expires_on is not None and record.expires_on < day:
            latest_expiry[key] = max(record.expires_on, latest_expiry.get(key, record.expires_on))
    gaps = []
    for assignment in assignments:
        person, role = people.get(assignment.person_id), roles.get(assignment.role_id)
        if person is None or role is None or person.retired_at or role.retired_at or not is_current(assignment, day):
            continue
        for competence_id in required.get(role.id, ()):
            competence = competences.get(competence_id)
            key = (person.id, competence_id)
            if competence is None or competence.retired_at or key in valid:
                continue
            expired = latest_expiry.get(key)
            gaps.append(Gap(assignment, person, role, competence, EXPIRED if expired else MISSING, expired))
    gaps.sort(key=lambda g: (g.person.name, g.role.name, g.competence.name))
    return _unique(gaps)


def _unique(gaps: list[Gap]) -> list[Gap]:
    """One gap per person, role and competence (two assignments of the same role show once)."""
    seen, unique = set(), []
    for gap in gaps:
        key = (gap.person.id, gap.role.id, gap.competence.id)
        if key not in seen:
            seen.add(key)
            unique.append(gap)
    return unique


@dataclass
class Cell:
    """What one person holds of one role: the assignments and the AI systems they cover (none listed: all)."""

    assignments: list[Any] = field(default_factory=list)
    systems: list[Any] = field(default_factory=list)
    all_systems: bool = False


@dataclass
class Matrix:
    """People (rows) x roles (columns), from the current assignments."""

    roles: list[Any]
    rows: list[tuple[Any, list[Cell | None]]]
    unfilled: list[Any]  # mandatory roles nobody holds


def responsibility_matrix(
    assignments: Iterable[Any],
    *,
    people: Mapping[int, Any],
    roles: Iterable[Any],
    systems_of: Mapping[int, Iterable[Any]],
    day: date,
) -> Matrix:
    """The matrix of the assignments current on the day; every open role is a column, every holder a row."""
    columns = sorted((r for r in roles if r.retired_at is None), key=lambda r: r.reference)
    index = {role.id: i for i, role in enumerate(columns)}
    cells: dict[int, list[Cell | None]] = defaultdict(lambda: [None] * len(columns))
    for assignment in assignments:
        person = people.get(assignment.person_id)
        if person is None or person.retired_at or assignment.role_id not in index or not is_current(assignment, day):
            continue
        row = cells[person.id]
        cell = row[index[assignment.role_id]] or Cell()
        row[index[assignment.role_id]] = cell
        cell.assignments.append(assignment)
        systems = list(systems_of.get(assignment.id, ()))
        if not systems:
            cell.all_systems = True
        for system in systems:
            if system not in cell.systems:
                cell.systems.append(system)
    for row in cells.values():
        for cell in row:
            if cell is not None:
                cell.systems.sort(key=lambda s: s.reference)
    held = {i for row in cells.values() for i, cell in enumerate(row) if cell is not None}
    rows = sorted(((people[pid], row) for pid, row in cells.items()), key=lambda pr: pr[0].name)
    unfilled = [role for i, role in enumerate(columns) if role.mandatory and i not in held]
    return Matrix(roles=columns, rows=rows, unfilled=unfilled)
