"""Reads for the Statement of Applicability: live rows, rows as of a past time, progress, changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from simple_history.models import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from aims.models import ManagementSystem
from aims.selectors import owner_candidates
from controls.models import Applicability, Control, ControlArea
from registers.models import AISystem

SHOW_CHOICES = {
    "": "All controls",
    "undecided": "Undecided",
    "excluded": "Excluded",
    "not_implemented": "Included, not yet implemented",
}


def control_list(*, framework_key: str | None = None) -> QuerySet[Control]:
    """The catalog, in order, with area, objective and framework joined."""
    qs = Control.objects.select_related("framework", "area", "objective").order_by("framework__key", "position")
    if framework_key:
        qs = qs.filter(framework__key=framework_key)
    return qs


def soa_queryset() -> QuerySet[Applicability]:
    """SoA rows with everything a page or the API shows, in catalog order."""
    return (
        Applicability.objects.select_related("control__area", "control__objective", "control__framework", "owner")
        .prefetch_related(Prefetch("ai_systems", queryset=AISystem.objects.order_by("reference")))
        .order_by("control__position")
    )


def soa_filter(rows: Iterable[Applicability], filters: dict[str, Any]) -> list[Applicability]:
    """Keep the rows matching the page's filters (show, owner)."""
    show = filters.get("show") or ""
    owner = filters.get("owner")
    D, S = Applicability.Decision, Applicability.ImplementationStatus
    tests = {
        "undecided": lambda r: r.applicable == D.UNDECIDED,
        "excluded": lambda r: r.applicable == D.EXCLUDED,
        "not_implemented": lambda r: r.applicable == D.INCLUDED and r.implementation_status != S.IMPLEMENTED,
    }
    keep = tests.get(show, lambda r: True)
    return [r for r in rows if keep(r) and (not owner or r.owner_id == int(owner))]


def soa_rows(*, management_system: ManagementSystem, filters: dict[str, Any] | None = None) -> list[Applicability]:
    """The management system's SoA rows now, filtered; each has ``linked_systems``."""
    rows = list(soa_queryset().filter(management_system=management_system))
    for row in rows:
        row.linked_systems = list(row.ai_systems.all())
    return soa_filter(rows, filters or {})


def soa_rows_as_of(
    *, management_system: ManagementSystem, when: datetime, filters: dict[str, Any] | None = None
) -> list[Applicability]:
    """The SoA rows exactly as they stood at ``when`` (simple-history ``as_of``), links included."""
    rows = list(Applicability.history.as_of(when).filter(management_system_id=management_system.pk))
    history_ids = [getattr(row, SIMPLE_HISTORY_REVERSE_ATTR_NAME).history_id for row in rows]
    links = _links_of_versions(history_ids)
    controls = {c.pk: c for c in control_list()}
    owners = get_user_model().objects.in_bulk({r.owner_id for r in rows if r.owner_id})
    systems = AISystem.objects.in_bulk({pk for ids in links.values() for pk in ids})
    for row, history_id in zip(rows, history_ids, strict=True):
        row.control = controls[row.control_id]
        row.owner = owners.get(row.owner_id)
        row.linked_systems = [systems[pk] for pk in sorted(links.get(history_id, [])) if pk in systems]
    rows.sort(key=lambda r: r.control.position)
    return soa_filter(rows, filters or {})


def _links_of_versions(history_ids: list[int]) -> dict[int, list[int]]:
    link_model = Applicability.history.model.ai_systems.model
    links: dict[int, list[int]] = {}
    for history_id, system_id in link_model.objects.filter(history_id__in=history_ids).values_list(
        "history_id", "aisystem_id"
    ):
        links.setdefault(history_id, []).append(system_id)
    return links


@dataclass
class AreaProgress:
    area: ControlArea
    rows: list[Applicability] = field(default_factory=list)
    total: int = 0
    decided: int = 0
    justified: int = 0
    included: int = 0
    implemented: int = 0


def soa_by_area(all_rows: list[Applicability], shown: list[Applicability]) -> list[AreaProgress]:
    """Group rows by control area, with progress counted over all rows of the area."""
    areas: dict[int, AreaProgress] = {}
    shown_ids = {id(r) for r in shown}
    for row in all_rows:
        progress = areas.setdefault(row.control.area_id, AreaProgress(area=row.control.area))
        progress.total += 1
        progress.decided += row.is_decided
        progress.justified += row.is_decided and row.is_justified
        progress.included += row.applicable == Applicability.Decision.INCLUDED
        progress.implemented += row.implementation_status == Applicability.ImplementationStatus.IMPLEMENTED
        if id(row) in shown_ids:
            progress.rows.append(row)
    return sorted(areas.values(), key=lambda p: p.area.position)


def soa_totals(groups: list[AreaProgress]) -> dict[str, int]:
    keys = ("total", "decided", "justified", "included", "implemented")
    return {key: sum(getattr(g, key) for g in groups) for key in keys}


def soa_owner_choices(management_system: ManagementSystem) -> list[tuple[int, str]]:
    """Members who can own a control (active, allowed to edit), as (user id, username)."""
    members = owner_candidates(management_system)
    return sorted(((user.pk, user.get_username()) for user in members), key=lambda c: c[1].lower())


def soa_system_choices(management_system: ManagementSystem) -> list[tuple[int, str]]:
    """AI systems a row can be linked to, as (id, "AIS-001 Name")."""
    systems = AISystem.objects.filter(management_system=management_system).order_by("reference")
    return [(s.pk, str(s)) for s in systems]


def soa_row_history(row: Applicability, *, since_history_id: int | None = None) -> QuerySet:
    """Versions of one SoA row, newest first (from a signed version onwards if given)."""
    qs = row.history.select_related("history_user").order_by("-history_date", "-history_id")
    if since_history_id is not None:
        qs = qs.filter(history_id__gte=since_history_id)
    return qs


def soa_rows_history(since: dict[int, int | None]) -> QuerySet:
    """Versions of several SoA rows in one query, newest first: row id -> from which history id (None: all)."""
    if not since:
        return Applicability.history.none()
    match = Q()
    for row_id, history_id in since.items():
        match |= Q(id=row_id, history_id__gte=history_id or 0)
    return Applicability.history.filter(match).select_related("history_user").order_by("-history_date", "-history_id")
