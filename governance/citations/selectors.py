"""Reads of SoA citations: a row's citations, the short labels of every row's (now or as of a moment), choices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from aims import access
from aims.history import rows_as_of
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, Risk
from governance.models import Document, Requirement, SoaCitation
from governance.models.citations import CITATION_TARGETS, LABEL_COLUMNS, target_label

TARGET_MODELS: dict[str, type] = {
    "requirement": Requirement,
    "risk": Risk,
    "impact_assessment": ImpactAssessment,
    "document": Document,
}


def citation_queryset(*, user: AbstractBaseUser | AnonymousUser | None = None) -> QuerySet[SoaCitation]:
    """Citations with their SoA row, control and cited record joined (scoped to what ``user`` may read)."""
    qs = SoaCitation.objects.select_related("management_system", "applicability__control", *CITATION_TARGETS).order_by(
        "reference", "pk"
    )
    return access.scope(user, qs) if user is not None else qs


def citations_of(row: Any) -> list[SoaCitation]:
    """One SoA row's citations, by reference."""
    return list(citation_queryset().filter(applicability=row))


def labels_by_row(
    management_system: ManagementSystem, row_ids: list[int], as_of: datetime | None = None
) -> dict[int, list[str]]:
    """Short labels of the rows' citations, now (one query) or as of a moment (history, one query per kind cited)."""
    found: dict[int, list[str]] = {}
    if as_of is None:
        # Only the cited records are joined, and only the columns a label names (``target_label``):
        # planning a join of every relation and column the full queryset reads cost more than running it.
        citations = (
            SoaCitation.objects.select_related(*CITATION_TARGETS)
            .only("applicability_id", "reference", *CITATION_TARGETS, *LABEL_COLUMNS)
            .filter(management_system=management_system, applicability_id__in=row_ids)
            .order_by("reference", "pk")
        )
        for citation in citations:
            found.setdefault(citation.applicability_id, []).append(citation.label)
        return found
    wanted = set(row_ids)
    versions = [
        v
        for v in rows_as_of(SoaCitation, as_of, management_system_id=management_system.pk)
        if v.applicability_id in wanted
    ]
    targets = {
        name: model._default_manager.in_bulk({getattr(v, f"{name}_id") for v in versions} - {None})
        for name, model in TARGET_MODELS.items()
        if any(getattr(v, f"{name}_id") for v in versions)
    }
    for version in versions:
        name = next((n for n in CITATION_TARGETS if getattr(version, f"{n}_id")), None)
        target = targets.get(name, {}).get(getattr(version, f"{name}_id")) if name else None
        found.setdefault(version.applicability_id, []).append(target_label(target) or version.reference)
    return found


def target_choices(management_system: ManagementSystem) -> dict[str, list[tuple[int, str]]]:
    """Current (not retired) records of the management system that a citation can cite, by field."""
    requirements = Requirement.objects.filter(management_system=management_system, retired_at__isnull=True)
    documents = Document.objects.filter(management_system=management_system, retired_at__isnull=True)
    risks = Risk.objects.filter(management_system=management_system, retired_at__isnull=True)
    assessments = ImpactAssessment.objects.filter(management_system=management_system, retired_at__isnull=True)
    return {
        "requirement": [
            (r.pk, f"{r.reference} {r.source_reference or r.title}"[:120]) for r in requirements.order_by("reference")
        ],
        "risk": [(r.pk, f"{r.reference} {r.title}"[:120]) for r in risks.order_by("reference")],
        "impact_assessment": [(a.pk, f"{a.reference} {a.title}"[:120]) for a in assessments.order_by("reference")],
        "document": [(d.pk, f"{d.identifier} {d.title}"[:120]) for d in documents.order_by("identifier")],
    }


def history_of(citation: SoaCitation) -> QuerySet:
    return citation.history.select_related("history_user").order_by("-history_date", "-history_id")


def row_citation_history(row: Any) -> QuerySet:
    """Every version of every citation a row ever had (removed ones included), newest first."""
    return (
        SoaCitation.history.filter(applicability_id=row.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def row_history_entries(row: Any) -> list[dict[str, Any]]:
    """What happened to a row's citations, newest first: who cited or removed what, when and why."""
    versions = list(row_citation_history(row)[:200])
    targets = {
        name: model._default_manager.in_bulk({getattr(v, f"{name}_id") for v in versions} - {None})
        for name, model in TARGET_MODELS.items()
        if any(getattr(v, f"{name}_id") for v in versions)
    }
    kinds = {"+": "Cited", "~": "Changed", "-": "Removed"}
    entries = []
    for version in versions:
        name = next((n for n in CITATION_TARGETS if getattr(version, f"{n}_id")), None)
        target = targets.get(name, {}).get(getattr(version, f"{name}_id")) if name else None
        entries.append(
            {
                "kind": kinds.get(version.history_type, version.history_type),
                "reference": version.reference,
                "label": target_label(target),
                "reason_type": SoaCitation.ReasonType(version.reason_type).label
                if version.reason_type in SoaCitation.ReasonType.values
                else version.reason_type,
                "date": version.history_date,
                "user": version.history_user,
                "reason": version.history_change_reason or "",
            }
        )
    return entries
