"""Reads for evidence: lists with age and staleness, links, versions, downloads, evidence of a record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from aims import access
from aims.access import Action
from aims.files import open_stored
from aims.links import url_maker
from aims.models import ManagementSystem
from evidence.linkables import Linkable, linkable_for, linkables
from evidence.models import Evidence, EvidenceDownload, EvidenceLink, evidence_folder


def stale_before(today: date | None = None) -> date:
    """Evidence dated before this day is stale."""
    return (today or timezone.localdate()) - timedelta(days=settings.EVIDENCE_STALE_DAYS)


def with_age(rows: Iterable[Evidence]) -> list[Evidence]:
    """Give each evidence row ``age_days`` and ``is_stale`` (dated before the stale period)."""
    rows = list(rows)
    today = timezone.localdate()
    limit = stale_before(today)
    for row in rows:
        row.age_days = (today - row.evidence_date).days
        row.is_stale = row.evidence_date < limit
    return rows


def _base() -> QuerySet[Evidence]:
    newer = Evidence.objects.filter(supersedes=OuterRef("pk"))
    return Evidence.objects.select_related("uploaded_by", "management_system").annotate(is_superseded=Exists(newer))


# --- links ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkGroup:
    """The records of one linkable kind an evidence row is linked to."""

    spec: Linkable
    records: list[Any]

    def items(self) -> list[tuple[str, str | None]]:
        """(text, url) of each linked record."""
        return [(self.spec.text(obj), self.spec.link(obj)) for obj in self.records]


def attach_links(rows: Iterable[Evidence]) -> list[Evidence]:
    """Give each row ``link_groups`` and one attribute per linkable key (the linked records).

    One query for the links and one per kind of record linked, however many rows.
    """
    rows = list(rows)
    specs = linkables()
    by_type = {ContentType.objects.get_for_model(spec.model).pk: spec for spec in specs}
    targets: dict[str, dict[int, list[int]]] = {spec.key: defaultdict(list) for spec in specs}
    if rows:
        # Unordered: each row's records are sorted below (the links' own ordering joins every evidence row).
        links = EvidenceLink.objects.filter(evidence__in=[r.pk for r in rows], target_type__in=list(by_type)).order_by()
        for evidence_id, type_id, target_id in links.values_list("evidence_id", "target_type_id", "target_id"):
            targets[by_type[type_id].key][evidence_id].append(target_id)
    loaded = {
        spec.key: spec.model._default_manager.in_bulk({pk for ids in targets[spec.key].values() for pk in ids})
        for spec in specs
        if targets[spec.key]
    }
    for row in rows:
        groups = []
        for spec in specs:
            objects = loaded.get(spec.key, {})
            records = sorted((objects[pk] for pk in targets[spec.key].get(row.pk, []) if pk in objects), key=_sort_key)
            setattr(row, spec.key, records)
            if records:
                groups.append(LinkGroup(spec, records))
        row.link_groups = groups
    return rows


def current_links(evidence: Evidence) -> dict[str, list[Any]]:
    """The records an evidence row is linked to, by linkable key (a correction starts from them)."""
    attach_links([evidence])
    return {spec.key: list(getattr(evidence, spec.key)) for spec in linkables()}


def _sort_key(obj: Any) -> tuple[str, int]:
    return (str(getattr(obj, "reference", "")), obj.pk)


def _target_filter(obj: models.Model) -> Q:
    return Q(target_type=ContentType.objects.get_for_model(obj), target_id=obj.pk)


def evidence_for(obj: models.Model) -> list[Evidence]:
    """Current evidence linked to a record, newest first, with age."""
    linked = EvidenceLink.objects.filter(_target_filter(obj)).values("evidence_id")
    rows = _base().filter(pk__in=linked, is_superseded=False).order_by("-evidence_date", "-pk")
    return with_age(rows)


PANEL_COLUMNS = ("id", "management_system_id", "reference", "title", "evidence_date")


def evidence_panel_rows(obj: models.Model) -> list[Evidence]:
    """``evidence_for`` with only what a record page's evidence panel shows, each row with its ``url``."""
    linked = EvidenceLink.objects.filter(_target_filter(obj)).values("evidence_id")
    newer = Evidence.objects.filter(supersedes=OuterRef("pk"))
    rows = with_age(
        Evidence.objects.filter(~Exists(newer), pk__in=linked).only(*PANEL_COLUMNS).order_by("-evidence_date", "-pk")
    )
    detail = url_maker("evidence:detail", obj.management_system_id)
    for row in rows:
        row.url = detail(row.pk)
    return rows


def evidence_by_target(model: type[models.Model], *, management_system_id: int) -> dict[int, list[Evidence]]:
    """Current evidence of every record of a model in a management system, by record id (two queries)."""
    content_type = ContentType.objects.get_for_model(model)
    current = _base().filter(management_system_id=management_system_id, is_superseded=False)
    rows = {e.pk: e for e in with_age(current)}
    result: dict[int, list[Evidence]] = defaultdict(list)
    links = EvidenceLink.objects.filter(target_type=content_type, evidence_id__in=list(rows))
    for target_id, evidence_id in links.values_list("target_id", "evidence_id"):
        result[target_id].append(rows[evidence_id])
    return dict(result)


def evidence_referring(obj: models.Model) -> QuerySet[Evidence] | bool:
    """The evidence that points at a record (an unevaluated query set), or False where none can."""
    if linkable_for(type(obj)) is None:
        return False
    return Evidence.objects.filter(links__in=EvidenceLink.objects.filter(_target_filter(obj)))


def evidence_references(obj: models.Model) -> list[str]:
    """Evidence that points at a record (so it is retired, never deleted)."""
    references = evidence_referring(obj)
    if references is False:
        return []
    found = sorted(references.values_list("reference", flat=True).distinct())
    return [f"evidence {', '.join(found)}"] if found else []


# --- lists and detail ----------------------------------------------------------------------


def evidence_list(*, user: Any, management_system: ManagementSystem) -> QuerySet[Evidence]:
    """Evidence the user may read in a management system, every version (``EvidenceFilterSet`` filters them)."""
    return access.scope(user, _base()).filter(management_system=management_system).order_by("-evidence_date", "-pk")


def evidence_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Evidence:
    """One evidence row the user may read (404 otherwise), with its links."""
    evidence = access.get_record(user, _base(), pk, action)
    attach_links([evidence])
    return evidence


def evidence_in(*, user: Any, management_system: ManagementSystem, pk: Any, action: Action = Action.VIEW) -> Evidence:
    """One evidence row of this management system, or 404."""
    evidence = evidence_get(user=user, pk=pk, action=action)
    if evidence.management_system_id != management_system.pk:
        raise Http404("Not found.")
    return evidence


def evidence_list_all(*, user: Any) -> QuerySet[Evidence]:
    """Every evidence row the user may read (for the API; attach links per page)."""
    return access.scope(user, _base())


def _chain_ids(evidence: Evidence) -> list[int]:
    """The ids of every version in the evidence's correction chain, found by the database (one query).

    Two recursive walks from the evidence: to the versions that supersede it and to those it
    supersedes, within its management system. However long the chain or the register, one
    query, and only the chain's ids come back.
    """
    meta, quote = Evidence._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    pk, ms = quote(meta.pk.column), quote(meta.get_field("management_system").column)
    supersedes = quote(meta.get_field("supersedes").column)
    # Names from the model's metadata, quoted; every value is a parameter.
    sql = (
        f"WITH RECURSIVE newer(id) AS (SELECT {pk} FROM {table} WHERE {pk} = %s UNION SELECT e.{pk} FROM {table} e "  # noqa: S608
        f"JOIN newer n ON e.{supersedes} = n.id WHERE e.{ms} = %s), "
        f"older(id, supersedes) AS (SELECT {pk}, {supersedes} FROM {table} WHERE {pk} = %s AND {ms} = %s "
        f"UNION SELECT e.{pk}, e.{supersedes} FROM {table} e JOIN older o ON e.{pk} = o.supersedes WHERE e.{ms} = %s) "
        "SELECT id FROM newer UNION SELECT id FROM older"
    )
    ms_id = evidence.management_system_id
    with connection.cursor() as cursor:
        cursor.execute(sql, [evidence.pk, ms_id, evidence.pk, ms_id, ms_id])
        return [row[0] for row in cursor.fetchall()]


def evidence_versions(evidence: Evidence) -> list[Evidence]:
    """Every version in the evidence's correction chain, newest first (two queries, whatever the register's size)."""
    chain_rows = {
        row.pk: row
        for row in Evidence.objects.filter(
            pk__in=_chain_ids(evidence), management_system_id=evidence.management_system_id
        )
        .select_related("uploaded_by")
        .only(
            "pk",
            "reference",
            "title",
            "evidence_date",
            "created_at",
            "sha256",
            "supersedes_id",
            "uploaded_by__username",
            "kind",
            "original_name",
        )
    }
    successors = {row.supersedes_id: row for row in chain_rows.values() if row.supersedes_id}
    current = chain_rows.get(evidence.pk, evidence)
    while current.pk in successors:
        current = successors[current.pk]
    versions = [current]
    while current.supersedes_id and current.supersedes_id in chain_rows:
        current = chain_rows[current.supersedes_id]
        versions.append(current)
    return with_age(versions)


def evidence_downloads(evidence: Evidence, limit: int = 20) -> list[EvidenceDownload]:
    """The latest downloads of an evidence file, with who downloaded it."""
    return list(evidence.downloads.select_related("user")[:limit])


def open_evidence_file(evidence: Evidence) -> Any:
    """Open an evidence file for reading, only from its management system's evidence folder.

    Raises ``aims.files.UnsafeStoredName`` for a stored name outside it, ``FileNotFoundError``
    when the file is missing.
    """
    return open_stored(evidence.file.name, folder=evidence_folder(evidence.management_system_id))
