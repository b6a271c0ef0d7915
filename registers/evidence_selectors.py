"""Reads for evidence: lists with age and staleness, versions, downloads, evidence of a record."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from aims import access
from aims.access import Action
from aims.models import ManagementSystem
from registers.models import Evidence, EvidenceDownload


def stale_before(today: date | None = None) -> date:
    """Evidence dated before this day is stale."""
    return (today or timezone.localdate()) - timedelta(days=settings.EVIDENCE_STALE_DAYS)


def with_age(rows: list[Evidence]) -> list[Evidence]:
    """Give each evidence row ``age_days`` and ``is_stale`` (dated before the stale period)."""
    today = timezone.localdate()
    limit = stale_before(today)
    for row in rows:
        row.age_days = (today - row.evidence_date).days
        row.is_stale = row.evidence_date < limit
    return rows


def _base() -> QuerySet[Evidence]:
    newer = Evidence.objects.filter(supersedes=OuterRef("pk"))
    return Evidence.objects.select_related("uploaded_by", "management_system").annotate(is_superseded=Exists(newer))


def evidence_list(
    *, user: Any, management_system: ManagementSystem, include_superseded: bool = False, q: str = ""
) -> QuerySet[Evidence]:
    """Evidence the user may read in a management system, current versions unless asked otherwise."""
    qs = access.scope(user, _base()).filter(management_system=management_system).prefetch_related("ai_systems")
    if not include_superseded:
        qs = qs.filter(is_superseded=False)
    if q:
        qs = qs.filter(title__icontains=q) | qs.filter(reference__icontains=q)
    return qs.order_by("-evidence_date", "-pk")


LINK_PREFETCH = ["ai_systems", "soa_rows__control", "risks", "impact_assessments"]


def evidence_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Evidence:
    """One evidence row the user may read (404 otherwise), with its links."""
    return access.get_record(user, _base().prefetch_related(*LINK_PREFETCH), pk, action)


def evidence_in(*, user: Any, management_system: ManagementSystem, pk: Any, action: Action = Action.VIEW) -> Evidence:
    """One evidence row of this management system, or 404."""
    evidence = evidence_get(user=user, pk=pk, action=action)
    if evidence.management_system_id != management_system.pk:
        raise Http404("Not found.")
    return evidence


def evidence_versions(evidence: Evidence) -> list[Evidence]:
    """Every version in the evidence's correction chain, newest first."""
    ms_rows = {
        row.pk: row
        for row in Evidence.objects.filter(management_system_id=evidence.management_system_id)
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
    successors = {row.supersedes_id: row for row in ms_rows.values() if row.supersedes_id}
    current = ms_rows.get(evidence.pk, evidence)
    while current.pk in successors:
        current = successors[current.pk]
    versions = [current]
    while current.supersedes_id and current.supersedes_id in ms_rows:
        current = ms_rows[current.supersedes_id]
        versions.append(current)
    return with_age(versions)


def evidence_downloads(evidence: Evidence, limit: int = 20) -> list[EvidenceDownload]:
    """The latest downloads of an evidence file, with who downloaded it."""
    return list(evidence.downloads.select_related("user")[:limit])


def evidence_for_ai_system(ai_system: Any) -> list[Evidence]:
    """Current evidence linked to an AI system, newest first, with age."""
    rows = _base().filter(ai_systems=ai_system, is_superseded=False).order_by("-evidence_date", "-pk")
    return with_age(list(rows))


def evidence_list_all(*, user: Any) -> QuerySet[Evidence]:
    """Every evidence row the user may read, with links (for the API)."""
    return access.scope(user, _base()).prefetch_related("ai_systems", "soa_rows", "risks", "impact_assessments")


def evidence_for_soa_row(row: Any) -> list[Evidence]:
    """Current evidence linked to a Statement of Applicability row, newest first, with age."""
    rows = _base().filter(soa_rows=row, is_superseded=False).order_by("-evidence_date", "-pk")
    return with_age(list(rows))


def evidence_by_soa_row(*, management_system: ManagementSystem) -> dict[int, list[Evidence]]:
    """Current evidence of every SoA row of a management system (one query), with age."""
    through = Evidence.soa_rows.through
    links = through.objects.filter(evidence__management_system=management_system).values_list(
        "applicability_id", "evidence_id"
    )
    rows = {e.pk: e for e in with_age(list(_base().filter(management_system=management_system, is_superseded=False)))}
    result: dict[int, list[Evidence]] = {}
    for row_id, evidence_id in links:
        if evidence_id in rows:
            result.setdefault(row_id, []).append(rows[evidence_id])
    return result
