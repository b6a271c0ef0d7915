"""Reads for the Statement of Applicability: live rows, rows as of a past time, progress, changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from simple_history.models import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from aims.models import ManagementSystem
from aims.selectors import link_count, owner_candidates
from controls.models import Applicability, Control, ControlArea
from evidence.models import Evidence, EvidenceLink
from evidence.selectors import with_age
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


def soa_api_list_queryset() -> QuerySet[Applicability]:
    """SoA rows for the API list: each with ``ai_systems_count``, no linked AI system read."""
    return soa_queryset().prefetch_related(None).annotate(ai_systems_count=link_count(Applicability, "ai_systems"))


def soa_api_row_queryset() -> QuerySet[Applicability]:
    """SoA rows for the API's row URL: every linked AI system (ids only) and ``ai_systems_count``."""
    return (
        soa_queryset()
        .prefetch_related(None)
        .prefetch_related(Prefetch("ai_systems", queryset=AISystem.objects.only("pk").order_by("reference", "pk")))
        .annotate(ai_systems_count=link_count(Applicability, "ai_systems"))
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


SOA_SYSTEMS_SHOWN = 5  # linked AI systems the SoA page names per row (the count says how many in all)


def soa_rows_compact(*, management_system: ManagementSystem, limit: int = SOA_SYSTEMS_SHOWN) -> list[Applicability]:
    """The SoA rows now for the page: each has ``linked_count`` and its first ``limit`` ``linked_systems``.

    Four queries however many AI systems the rows link: the rows, the link counts, the first
    few links of every row (the first linked, by id: on PostgreSQL a lateral join that reads
    ``limit`` index entries per row), and those systems.
    """
    rows = list(soa_queryset().filter(management_system=management_system).prefetch_related(None))
    through = Applicability.ai_systems.through
    ids = [row.pk for row in rows]
    links = through.objects.filter(applicability_id__in=ids)
    counts = dict(links.values_list("applicability_id").annotate(n=Count("pk")).values_list("applicability_id", "n"))
    first: dict[int, list[int]] = {}
    if limit > 0 and ids:
        for row_id, system_id in _first_links(through, ids, limit):
            first.setdefault(row_id, []).append(system_id)
    systems = AISystem.objects.only("pk", "reference", "name").in_bulk([pk for pks in first.values() for pk in pks])
    for row in rows:
        row.linked_count = counts.get(row.pk, 0)
        row.linked_systems = sorted(
            (systems[pk] for pk in first.get(row.pk, []) if pk in systems), key=lambda s: (s.reference, s.pk)
        )
        row.linked_more = row.linked_count - len(row.linked_systems)
    return rows


_FIRST_LINKS_SQL = (
    "SELECT a.id, l.aisystem_id FROM unnest(%s::bigint[]) AS a(id) CROSS JOIN LATERAL "
    "(SELECT t.aisystem_id FROM {table} t WHERE t.applicability_id = a.id ORDER BY t.aisystem_id LIMIT %s) l"
)


def _first_links(through: Any, row_ids: list[int], limit: int) -> list[tuple[int, int]]:
    """(row id, AI system id) of the first ``limit`` links of each row, by AI system id."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(through._meta.db_table)
        # The table name is the model's, quoted; the values are parameters.
        sql = _FIRST_LINKS_SQL.replace("{table}", table)
        with connection.cursor() as cursor:
            cursor.execute(sql, [row_ids, limit])
            return list(cursor.fetchall())
    ranked = (
        through.objects.filter(applicability_id__in=row_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("applicability_id")], order_by=[F("aisystem_id").asc()]))
        .filter(rank__lte=limit)
        .values_list("applicability_id", "aisystem_id")
    )
    return list(ranked)


def _attach_first_links(
    rows: list[Any], *, key: Any, links: QuerySet, group: str, system_prefix: str, limit: int
) -> None:
    """Give each row ``linked_count`` and ``linked_systems`` (the first ``limit`` by reference) from a link table."""
    counts = dict(links.values_list(group).annotate(n=Count("pk")).values_list(group, "n"))
    ranked = (
        links.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F(group)],
                order_by=[F(f"{system_prefix}reference").asc(), F(f"{system_prefix}id").asc()],
            )
        )
        .filter(rank__lte=limit)
        .values_list(group, f"{system_prefix}id", f"{system_prefix}reference", f"{system_prefix}name", "rank")
    )
    first: dict[int, list[tuple[int, AISystem]]] = {}
    for owner, pk, reference, name, rank in ranked:
        first.setdefault(owner, []).append((rank, AISystem(pk=pk, reference=reference, name=name)))
    for row in rows:
        row.linked_count = counts.get(key(row), 0)
        row.linked_systems = [system for _rank, system in sorted(first.get(key(row), []), key=lambda p: p[0])]
        row.linked_more = row.linked_count - len(row.linked_systems)


EVIDENCE_SHOWN = 5  # evidence files the SoA page names per row


@dataclass
class Linked:
    """The first few records linked to one SoA row, and how many there are in all."""

    count: int = 0
    items: list[Any] = field(default_factory=list)
    more_url: str = ""  # where all of them are listed, when the linking app says

    @property
    def more(self) -> int:
        return self.count - len(self.items)


def first_of_groups(links: QuerySet, *, group: str, order_by: list[Any], values: list[str], limit: int) -> dict:
    """{group value: Linked of the first ``limit`` link rows (as ``values`` dicts)} in one query.

    Each link is numbered within its group and the group counted by window functions, and only
    the first ``limit`` of each group leave the database: what comes back is bounded by the
    number of groups, not by the number of links.
    """
    ranked = (
        links.annotate(
            rank=Window(RowNumber(), partition_by=[F(group)], order_by=order_by),
            total=Window(Count("pk"), partition_by=[F(group)]),
        )
        .filter(rank__lte=max(limit, 1))
        .values(group, "rank", "total", *values)
        .order_by(group, "rank")
    )
    found: dict[Any, Linked] = {}
    for link in ranked:
        linked = found.setdefault(link[group], Linked(count=link["total"]))
        if link["rank"] <= limit:
            linked.items.append(link)
    return found


def soa_linked_evidence(rows: list[Applicability], *, limit: int = EVIDENCE_SHOWN) -> None:
    """Give each row ``evidence``: a ``Linked`` of its current evidence (the newest ``limit``, with age).

    Two queries at most (the content type is cached) however much evidence the rows link:
    only the links of these rows to evidence not superseded by a later version are read.
    """
    newer = Evidence.objects.filter(supersedes=OuterRef("evidence_id"))
    links = EvidenceLink.objects.filter(
        target_type=ContentType.objects.get_for_model(Applicability), target_id__in=[row.pk for row in rows]
    ).exclude(Exists(newer))
    found = first_of_groups(
        links,
        group="target_id",
        order_by=[F("evidence__evidence_date").desc(), F("evidence_id").desc()],
        values=["evidence_id", "evidence__reference", "evidence__title", "evidence__evidence_date"],
        limit=limit,
    )
    for row in rows:
        linked = found.get(row.pk, Linked())
        linked.items = with_age(
            Evidence(
                pk=item["evidence_id"],
                reference=item["evidence__reference"],
                title=item["evidence__title"],
                evidence_date=item["evidence__evidence_date"],
            )
            for item in linked.items
        )
        row.evidence = linked


def soa_rows_as_of(
    *,
    management_system: ManagementSystem,
    when: datetime,
    filters: dict[str, Any] | None = None,
    systems_limit: int | None = None,
) -> list[Applicability]:
    """The SoA rows exactly as they stood at ``when`` (simple-history ``as_of``), links included.

    With ``systems_limit`` each row has only its first linked systems in ``linked_systems``
    (and ``linked_count``): what the page shows, in a constant number of queries.
    """
    rows = list(Applicability.history.as_of(when).filter(management_system_id=management_system.pk))
    history_ids = [getattr(row, SIMPLE_HISTORY_REVERSE_ATTR_NAME).history_id for row in rows]
    controls = {c.pk: c for c in control_list()}
    owners = get_user_model().objects.in_bulk({r.owner_id for r in rows if r.owner_id})
    if systems_limit is not None:
        history_of = dict(zip((id(r) for r in rows), history_ids, strict=True))
        link_model = Applicability.history.model.ai_systems.model
        _attach_first_links(
            rows,
            key=lambda row: history_of[id(row)],
            links=link_model.objects.filter(history_id__in=history_ids, aisystem__reference__isnull=False),
            group="history_id",
            system_prefix="aisystem__",
            limit=systems_limit,
        )
    else:
        links = _links_of_versions(history_ids)
        systems = AISystem.objects.in_bulk({pk for ids in links.values() for pk in ids})
        for row, history_id in zip(rows, history_ids, strict=True):
            row.linked_systems = [systems[pk] for pk in sorted(links.get(history_id, [])) if pk in systems]
    for row in rows:
        row.control = controls[row.control_id]
        row.owner = owners.get(row.owner_id)
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


LINKED_SHOWN = 100  # linked AI systems the row editor lists before asking for a search
FOUND_SHOWN = 50  # AI systems one search lists


@dataclass
class SystemPicker:
    """What the row editor lists to link AI systems: the linked ones first, then what a search found.

    ``linked`` holds the first ``LINKED_SHOWN`` linked systems (``linked_count`` says how many in
    all); ``found`` the systems matching ``query`` that ``linked`` does not list, each with
    ``is_linked``. Only what is listed can be changed: saving keeps every other link.
    """

    query: str
    linked: list[AISystem]
    linked_count: int
    found: list[AISystem]
    found_more: bool

    @property
    def listed(self) -> list[AISystem]:
        return [*self.linked, *self.found]


def _matching(qs: QuerySet[AISystem], query: str) -> QuerySet[AISystem]:
    query = query.strip()
    return qs.filter(Q(reference__icontains=query) | Q(name__icontains=query)) if query else qs


def soa_system_picker(row: Applicability, query: str = "") -> SystemPicker:
    """The linked systems of a row and a search among its management system's AI systems (four queries)."""
    query = query.strip()[:100]
    linked_qs = row.ai_systems.order_by("reference", "pk")
    linked = list(linked_qs.only("pk", "reference", "name")[:LINKED_SHOWN])
    for system in linked:
        system.is_linked = True
    linked_count = linked_qs.count()  # always asked, so the page makes as many queries however many are linked
    through = Applicability.ai_systems.through
    found = list(
        _matching(AISystem.objects.filter(management_system_id=row.management_system_id), query)
        .exclude(pk__in=[s.pk for s in linked])
        .annotate(is_linked=Exists(through.objects.filter(applicability_id=row.pk, aisystem_id=OuterRef("pk"))))
        .only("pk", "reference", "name")
        .order_by("reference", "pk")[: FOUND_SHOWN + 1]
    )
    return SystemPicker(
        query=query,
        linked=linked,
        linked_count=linked_count,
        found=found[:FOUND_SHOWN],
        found_more=len(found) > FOUND_SHOWN,
    )


def soa_system_choices(management_system: ManagementSystem, ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """AI systems a row can be linked to, as (id, "AIS-001 Name"); only those of ``ids`` if given."""
    systems = AISystem.objects.filter(management_system=management_system).order_by("reference")
    if ids is not None:
        systems = systems.filter(pk__in=list(ids))
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
