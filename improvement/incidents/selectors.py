"""Reads of AI incidents: lists, one incident with its timeline and obligations, history, the overview."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from aims import access
from aims.access import Action
from aims.models import ManagementSystem, Role
from improvement.models import Incident, Nonconformity, ReportingObligation, TimelineEntry


def incident_queryset(*, user: AbstractBaseUser) -> QuerySet[Incident]:
    """Incidents the user may read, with what lists, details and the API show (constant queries)."""
    return access.scope(
        user,
        Incident.objects.select_related(
            "management_system", "owner", "reporter", "model_record", "outcome_risk", "outcome_impact_assessment"
        ),
    ).prefetch_related(
        "ai_systems",
        "obligations",
        Prefetch("nonconformities", queryset=Nonconformity.objects.only("pk", "reference", "title", "source_incident")),
    )


def incident_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Incident]:
    """Incidents of a management system the user may read, newest first (``IncidentFilterSet`` filters them)."""
    return incident_queryset(user=user).filter(management_system=management_system).order_by("-detected_at", "-pk")


def timeline_of(incident: Incident) -> QuerySet[TimelineEntry]:
    """The incident's timeline in the order things happened, with who wrote each entry."""
    return TimelineEntry.objects.filter(incident=incident).select_related("author").order_by("at", "pk")


def history_of(incident: Incident) -> QuerySet:
    """Every version of an incident, newest first, with who made it."""
    return incident.history.select_related("history_user").order_by("-history_date", "-history_id")


def obligation_history(incident: Incident) -> QuerySet:
    """Every change to the incident's reporting obligations, newest first."""
    return (
        ReportingObligation.history.filter(incident_id=incident.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def may_raise_concern(user: AbstractBaseUser, management_system: ManagementSystem) -> bool:
    """Whether the user may raise a concern (A.3.3) in the management system.

    Every current member may, whatever their role, except auditors: theirs is a read-only
    role (certification and internal auditors), and what an auditor observes is recorded as
    an audit finding (9.2), which keeps the audit independent of what it audits. An expired
    auditor or an outsider sees no management system at all.
    """
    return access.is_visible(user, management_system) and access.role_of(user, management_system) != Role.AUDITOR


def overview(*, user: AbstractBaseUser, management_system: ManagementSystem) -> dict[str, Any] | None:
    """The overview panel: open incidents by status, decisions awaited, overdue obligations (four queries)."""
    if not access.is_visible(user, management_system):
        return None
    incidents = Incident.objects.filter(management_system=management_system, retired_at__isnull=True)
    counts = incidents.exclude(status=Incident.Status.CLOSED).aggregate(
        open=Count("pk"),
        reported=Count("pk", filter=Q(status=Incident.Status.REPORTED)),
        awaiting_decision=Count("pk", filter=Q(possibly_serious=True, report_decision="")),
    )
    overdue = ReportingObligation.objects.filter(
        incident__in=incidents.exclude(status=Incident.Status.CLOSED),
        submitted_on__isnull=True,
        waived_reason="",
        deadline__lt=timezone.now(),
    )
    return {
        "counts": counts,
        "overdue": list(overdue.select_related("incident").order_by("deadline")[:5]),
        "overdue_count": overdue.count(),
        "can_create": access.can(user, Action.CREATE, management_system),
        "can_raise_concern": may_raise_concern(user, management_system),
    }
