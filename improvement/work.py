"""What the improvement app contributes to the items of "my work" and of reminders (``aims.work``).

Signatures: nonconformities verified effective that the member may close, and possibly serious
incidents waiting for leadership's reporting decision. Actions: corrective actions and open
nonconformities the member owns, and the reporting obligations of the incidents they own, by
their deadline. Reviews: effectiveness reviews the member is to perform and internal audits
they lead that are still planned.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone

from aims import access
from aims.access import Action
from aims.models import ManagementSystem
from aims.work import ACTION, REVIEW, SIGNATURE, WorkItem, is_member, register_work_provider, signoff_anchor
from improvement.incidents.signoffs import KIND as REPORTING_DECISION
from improvement.models import (
    CorrectiveAction,
    EffectivenessReview,
    Incident,
    InternalAudit,
    Nonconformity,
    ReportingObligation,
)
from improvement.nonconformities.signoffs import CLOSURE, may_close


def _url(name: str, ms_id: int, pk: int) -> str:
    return reverse(f"improvement:{name}", args=[ms_id, pk])


def closures_and_decisions(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Nonconformities ready to close that the member may close; reporting decisions for leadership."""
    if not is_member(user, management_system):
        return []
    ms_id = management_system.pk
    ready = Nonconformity.objects.filter(
        management_system=management_system, retired_at__isnull=True, state=Nonconformity.State.EFFECTIVENESS_VERIFIED
    ).select_related("management_system")
    items = [
        WorkItem(
            key=f"{CLOSURE}:{nc.pk}:{nc.version}",
            kind=SIGNATURE,
            title=f"Close {nc.reference} {nc.title}",
            url=_url("nc_detail", ms_id, nc.pk) + signoff_anchor(CLOSURE),
            detail=f"{nc.get_grade_display()} nonconformity; its corrective actions were verified effective.",
        )
        for nc in ready
        if may_close(user, nc)
    ]
    if access.can(user, Action.SIGN_OFF, management_system):
        incidents = Incident.objects.filter(
            management_system=management_system, retired_at__isnull=True, possibly_serious=True, report_decision=""
        ).exclude(status=Incident.Status.CLOSED)
        items += [
            WorkItem(
                key=f"{REPORTING_DECISION}:{incident.pk}:{incident.version}",
                kind=SIGNATURE,
                title=f"Decide whether to report {incident.reference} {incident.title}",
                url=_url("incident_detail", ms_id, incident.pk) + signoff_anchor(REPORTING_DECISION),
                detail=f"Possibly serious {incident.get_severity_display().lower()} incident (A.8.4).",
            )
            for incident in incidents
        ]
    return items


def owned_actions(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Open corrective actions and nonconformities the member owns."""
    if not is_member(user, management_system):
        return []
    ms_id = management_system.pk
    actions = CorrectiveAction.objects.filter(
        management_system=management_system,
        owner=user,
        status__in=CorrectiveAction.OPEN,
        nonconformity__retired_at__isnull=True,
    ).select_related("nonconformity")
    items = [
        WorkItem(
            key=f"corrective_action:{action.pk}:{action.due_date}",
            kind=ACTION,
            title=f"{action.reference} {action.description[:120]}",
            url=_url("ca_detail", ms_id, action.pk),
            due=action.due_date,
            detail=f"Corrective action of {action.nonconformity.reference} ({action.get_status_display().lower()}).",
        )
        for action in actions
    ]
    ncs = Nonconformity.objects.filter(management_system=management_system, owner=user, retired_at__isnull=True)
    items += [
        WorkItem(
            key=f"nonconformity:{nc.pk}:{nc.state}",
            kind=ACTION,
            title=f"{nc.reference} {nc.title}",
            url=_url("nc_detail", ms_id, nc.pk),
            detail=f"{nc.get_grade_display()} nonconformity you own: {nc.get_state_display().lower()}.",
        )
        for nc in ncs.exclude(state=Nonconformity.State.CLOSED)
    ]
    return items


def reporting_obligations(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Reporting obligations, neither submitted nor waived, of the open incidents the member owns."""
    if not is_member(user, management_system):
        return []
    obligations = (
        ReportingObligation.objects.filter(
            incident__management_system=management_system,
            incident__owner=user,
            incident__retired_at__isnull=True,
            submitted_on__isnull=True,
            waived_reason="",
        )
        .exclude(incident__status=Incident.Status.CLOSED)
        .select_related("incident")
    )
    items = []
    for obligation in obligations:
        incident = obligation.incident
        deadline = timezone.localtime(obligation.deadline)
        items.append(
            WorkItem(
                key=f"reporting_obligation:{obligation.pk}:{deadline:%Y-%m-%dT%H:%M}",
                kind=ACTION,
                title=f"Report {incident.reference} {incident.title}: {obligation.regime_title}",
                url=_url("incident_detail", management_system.pk, incident.pk),
                due=deadline.date(),
                detail=f"Deadline {deadline:%d %b %Y %H:%M}"
                + (f", to {obligation.authority}." if obligation.authority else "."),
            )
        )
    return items


def reviews_and_audits(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Effectiveness reviews the member is to perform, and planned internal audits they lead."""
    if not is_member(user, management_system):
        return []
    ms_id = management_system.pk
    reviews = EffectivenessReview.objects.filter(
        nonconformity__management_system=management_system,
        nonconformity__retired_at__isnull=True,
        reviewer=user,
        result=EffectivenessReview.Result.PENDING,
    ).select_related("nonconformity")
    items = [
        WorkItem(
            key=f"effectiveness_review:{review.pk}:{review.planned_on}",
            kind=REVIEW,
            title=f"Review the effectiveness of the actions of {review.nonconformity.reference}",
            url=_url("nc_detail", ms_id, review.nonconformity_id),
            due=review.planned_on,
            detail=review.nonconformity.title,
        )
        for review in reviews.exclude(nonconformity__state=Nonconformity.State.CLOSED)
    ]
    audits = InternalAudit.objects.filter(
        management_system=management_system,
        lead_auditor=user,
        retired_at__isnull=True,
        status=InternalAudit.Status.PLANNED,
    )
    items += [
        WorkItem(
            key=f"internal_audit:{audit.pk}:{audit.planned_start}",
            kind=REVIEW,
            title=f"Lead the internal audit {audit.reference} {audit.title}",
            url=_url("audit_detail", ms_id, audit.pk),
            due=audit.planned_start,
            detail="Planned; you are its lead auditor.",
        )
        for audit in audits
    ]
    return items


def register() -> None:
    """Declare this app's work contributions (called from its AppConfig.ready())."""
    register_work_provider("improvement_signatures", closures_and_decisions, order=30)
    register_work_provider("improvement_actions", owned_actions, order=130)
    register_work_provider("reporting_obligations", reporting_obligations, order=131)
    register_work_provider("improvement_reviews", reviews_and_audits, order=132)
