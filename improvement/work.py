"""What the improvement app contributes to the items of "my work" and of reminders (``aims.work``).

Signatures: nonconformities verified effective that the member may close, possibly serious
incidents waiting for leadership's reporting decision, audit programmes for leadership to approve,
audit reports for their lead auditor to sign and signed reports to acknowledge. Actions: corrective actions and open
nonconformities the member owns, and the reporting obligations of the incidents they own, by
their deadline. Reviews: effectiveness reviews the member is to perform and internal audits
they lead that are still planned.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from aims import access, ledger
from aims.access import Action
from aims.models import ManagementSystem
from aims.work import (
    ACTION,
    REVIEW,
    WorkItem,
    is_member,
    register_work_provider,
    signature_item,
)
from controls.models import Control
from improvement.audits.signoffs import (
    PROGRAMME_APPROVAL,
    REPORT,
    REPORT_ACKNOWLEDGEMENT,
    annotate_signed,
    programme_blockers,
)
from improvement.incidents.signoffs import KIND as REPORTING_DECISION
from improvement.models import (
    AuditCheck,
    AuditProgramme,
    CorrectiveAction,
    EffectivenessReview,
    Incident,
    InternalAudit,
    Nonconformity,
    ProgrammeItem,
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
        signature_item(
            CLOSURE,
            nc,
            title=f"Close {nc.reference} {nc.title}",
            page=_url("nc_detail", ms_id, nc.pk),
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
            signature_item(
                REPORTING_DECISION,
                incident,
                title=f"Decide whether to report {incident.reference} {incident.title}",
                page=_url("incident_detail", ms_id, incident.pk),
                detail=f"Possibly serious {incident.get_severity_display().lower()} incident (A.8.4).",
            )
            for incident in incidents
        ]
    return items


def _unsigned(records: list[Any], kind: str) -> list[Any]:
    """The records never signed off, or whose content changed since (three queries)."""
    return [r for r in annotate_signed(records, kind) if r.latest_sign_off is None or r.changed_since_signed]


def _programme_editors(programmes: list[AuditProgramme]) -> dict[int, int | None]:
    """Who made the newest version of each programme or of its planned items (two queries, as ``ledger.last_editor_id``)."""
    if not programmes:
        return {}
    newest: dict[int, tuple[Any, int, int | None]] = {}

    def keep(programme_id: int, when: Any, history_id: int, user_id: int | None) -> None:
        if programme_id not in newest or (when, history_id) > newest[programme_id][:2]:
            newest[programme_id] = (when, history_id, user_id)

    rows = AuditProgramme.history.filter(id__in=[p.pk for p in programmes])
    for pk, when, history_id, user_id in rows.values_list("id", "history_date", "history_id", "history_user_id"):
        keep(pk, when, history_id, user_id)
    owner_of = {item.pk: programme.pk for programme in programmes for item in programme.items.all()}
    latest: dict[int, tuple[Any, int, int | None]] = {}  # the latest version of each planned item
    item_rows = ProgrammeItem.history.filter(id__in=list(owner_of)).order_by("id", "history_id")
    for pk, when, history_id, user_id in item_rows.values_list("id", "history_date", "history_id", "history_user_id"):
        latest[pk] = (when, history_id, user_id)
    for pk, row in latest.items():
        keep(owner_of[pk], *row)
    return {pk: row[2] for pk, row in newest.items()}


def programmes_to_approve(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Audit programmes not approved as they stand, ready to approve, for leadership (9.2.2)."""
    if not access.can(user, Action.SIGN_OFF, management_system):
        return []
    programmes = list(
        AuditProgramme.objects.filter(management_system=management_system, retired_at__isnull=True)
        .exclude(status=AuditProgramme.Status.CLOSED)
        .select_related("management_system")
        .prefetch_related("items")
    )
    ready = [
        p
        for p in _unsigned(programmes, PROGRAMME_APPROVAL)
        if not programme_blockers(p) and ledger.may_sign(PROGRAMME_APPROVAL, user, p)
    ]
    editors = _programme_editors(ready)
    items = []
    for programme in ready:
        detail = f"Cycle {programme.period_start:%d %b %Y} to {programme.period_end:%d %b %Y}; "
        detail += "never approved." if programme.latest_sign_off is None else "changed since it was approved."
        items.append(
            signature_item(
                PROGRAMME_APPROVAL,
                programme,
                title=f"Approve the audit programme {programme.reference} {programme.title}",
                page=_url("programme_detail", management_system.pk, programme.pk),
                detail=detail,
                own_change=editors.get(programme.pk) == user.pk,
            )
        )
    return items


def _report_ready(audit: InternalAudit) -> bool:
    """Whether ``signoffs.report_blockers(audit)`` is empty, judged on the prefetched scope and checks (no query)."""
    if audit.is_retired or audit.status == InternalAudit.Status.PLANNED:
        return False
    if not audit.has_lead or not audit.conclusion.strip():
        return False
    scope = {requirement.pk for requirement in audit.scope_requirements.all()}
    return bool(scope) and all(check.result for check in audit.checks.all() if check.requirement_id in scope)


def reports_to_sign(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Reports of the audits the member leads (or signs for an external lead), ready and not signed as they stand."""
    if not is_member(user, management_system):
        return []
    audits = list(
        InternalAudit.objects.filter(management_system=management_system, retired_at__isnull=True)
        .filter(Q(lead_auditor=user) | Q(lead_auditor__isnull=True, team=user))
        .exclude(status=InternalAudit.Status.PLANNED)
        .distinct()
        .select_related("management_system")
        .prefetch_related(
            "team",
            Prefetch("scope_requirements", queryset=Control.objects.only("pk")),
            Prefetch(
                "checks", queryset=AuditCheck.objects.order_by().only("pk", "audit_id", "requirement_id", "result")
            ),
        )
    )
    ready = [a for a in audits if _report_ready(a) and ledger.may_sign(REPORT, user, a)]
    items = []
    for audit in _unsigned(ready, REPORT):
        detail = (
            "Every check in scope has a result." if audit.latest_sign_off is None else "Changed since it was signed."
        )
        if audit.lead_is_external:
            detail = f"{detail} You sign on behalf of the external lead auditor, {audit.lead_display}."
        items.append(
            signature_item(
                REPORT,
                audit,
                title=f"Sign the report of {audit.reference} {audit.title}",
                page=_url("audit_detail", management_system.pk, audit.pk),
                detail=detail,
            )
        )
    return items


def reports_to_acknowledge(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Signed audit reports, unchanged since, not yet acknowledged, for leadership and the programme's owner."""
    if not is_member(user, management_system):
        return []
    audits = InternalAudit.objects.filter(
        management_system=management_system,
        retired_at__isnull=True,
        status__in=(InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED),
    ).select_related("management_system", "programme")
    if not access.can(user, Action.SIGN_OFF, management_system):
        audits = audits.filter(programme__owner=user)
    mine = [a for a in audits if ledger.may_sign(REPORT_ACKNOWLEDGEMENT, user, a)]
    report = {a.pk: a.latest_sign_off for a in annotate_signed(mine, REPORT) if not a.changed_since_signed}
    signed = [a for a in mine if report.get(a.pk) is not None]
    items = []
    for audit in _unsigned(signed, REPORT_ACKNOWLEDGEMENT):
        signoff = report[audit.pk]
        signer = signoff.signer.get_full_name() or signoff.signer.get_username()
        detail = f"Report signed by {signer} on {timezone.localtime(signoff.signed_at):%d %b %Y}."
        if audit.latest_sign_off is not None:
            detail = f"Changed since it was acknowledged. {detail}"
        items.append(
            signature_item(
                REPORT_ACKNOWLEDGEMENT,
                audit,
                title=f"Acknowledge the report of {audit.reference} {audit.title}",
                page=_url("audit_detail", management_system.pk, audit.pk),
                detail=detail,
                own_change=signoff.signer_id
                == user.pk,  # the report's signer is its "last editor" (signoffs.report_signer)
            )
        )
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
    register_work_provider(PROGRAMME_APPROVAL, programmes_to_approve, order=31)
    register_work_provider(REPORT, reports_to_sign, order=32)
    register_work_provider(REPORT_ACKNOWLEDGEMENT, reports_to_acknowledge, order=33)
    register_work_provider("improvement_actions", owned_actions, order=130)
    register_work_provider("reporting_obligations", reporting_obligations, order=131)
    register_work_provider("improvement_reviews", reviews_and_audits, order=132)
