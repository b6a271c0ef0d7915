"""What the assessments app contributes to the items of "my work" and of reminders (``aims.work``).

Signatures: risks waiting for the acceptance their criteria give them, impact assessments waiting
for approval, and criteria versions not (or no longer) approved. Reviews: risks whose review or
acceptance review comes due, and impact assessments of the member's AI systems due for
re-assessment. Actions: the open treatment actions the member owns.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from aims.models import ManagementSystem
from aims.work import (
    ACTION,
    REVIEW,
    WorkItem,
    is_member,
    register_work_provider,
    review_is_near,
    signature_item,
)
from assessments import services
from assessments.models import AUTHORITY_RANK, Authority, ImpactAssessment, Risk, TreatmentAction
from assessments.signoffs import (
    ACCEPTANCE,
    APPROVAL,
    CRITERIA_APPROVAL,
    IMPACT_CRITERIA_APPROVAL,
    authority_of,
    rating_editors,
    risk_blockers,
)


def _url(name: str, ms_id: int, pk: int | None = None) -> str:
    return reverse(f"assessments:{name}", args=[ms_id] if pk is None else [ms_id, pk])


def _waits_for(user: Any, risk: Risk) -> bool:
    """Whether the risk's acceptance waits for this member: the authority its level needs, or its owner."""
    held = authority_of(user, risk)
    needed = AUTHORITY_RANK[risk.acceptance_authority]
    if held < needed:
        return False
    return held == needed or risk.owner_id == user.pk or risk.owner_id is None


def _pending(records: list[Any], kind: str) -> list[Any]:
    """The records never signed off, or changed since (two queries)."""
    return [r for r in ledger.annotate_sign_offs(records, kind) if r.latest_sign_off is None or r.changed_since_signed]


def risks_to_accept(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Assessed risks not accepted as they stand whose acceptance waits for this member."""
    if not is_member(user, management_system):
        return []
    risks = list(
        Risk.objects.filter(management_system=management_system, retired_at__isnull=True)
        .exclude(residual_level="")
        .select_related("criteria", "management_system")
    )
    mine = [r for r in _pending(risks, ACCEPTANCE) if _waits_for(user, r) and not risk_blockers(r)]
    editors = rating_editors([risk.pk for risk in mine])
    items = []
    for risk in mine:
        level = risk.get_residual_level_display().lower()
        needed = Authority(risk.acceptance_authority).label.lower()
        detail = f"Residual risk {level}: accepted by {needed}."
        if risk.latest_sign_off is not None:
            detail = f"Changed since it was accepted. {detail}"
        items.append(
            signature_item(
                ACCEPTANCE,
                risk,
                title=f"Accept {risk.reference} {risk.title}",
                page=_url("risk_detail", management_system.pk, risk.pk),
                detail=detail,
                own_change=editors.get(risk.pk) == user.pk,
            )
        )
    return items


def impact_assessments_to_approve(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Decided impact assessments (the latest of their system) not approved as they stand, for leadership."""
    if not access.can(user, Action.SIGN_OFF, management_system):
        return []
    assessments = list(
        ImpactAssessment.objects.filter(management_system=management_system, retired_at__isnull=True)
        .exclude(decision=ImpactAssessment.Decision.PENDING)
        .filter(reassessment__isnull=True)
    )
    pending = _pending(assessments, APPROVAL)
    editors = _newest_editors(ImpactAssessment, pending)
    items = []
    for assessment in pending:
        detail = f"Decision: {assessment.get_decision_display().lower()}."
        if assessment.latest_sign_off is not None:
            detail = f"Changed since it was approved. {detail}"
        items.append(
            signature_item(
                APPROVAL,
                assessment,
                title=f"Approve {assessment.reference} {assessment.title}",
                page=_url("impact_detail", management_system.pk, assessment.pk),
                detail=detail,
                own_change=editors.get(assessment.pk) == user.pk,
            )
        )
    return items


def _newest_editors(model: Any, records: list[Any]) -> dict[int, int | None]:
    """Who made each record's newest version (one query for all)."""
    if not records:
        return {}
    rows = model.history.filter(id__in=[r.pk for r in records]).order_by("id", "history_date", "history_id")
    return dict(rows.values_list("id", "history_user_id"))  # the newest of each id comes last and wins


def criteria_to_approve(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """The risk and impact criteria in force, when not approved as they stand, for whoever may approve them."""
    if not is_member(user, management_system):
        return []
    found = (
        (CRITERIA_APPROVAL, services.current_criteria(management_system=management_system), "criteria_detail"),
        (
            IMPACT_CRITERIA_APPROVAL,
            services.current_impact_criteria(management_system=management_system),
            "impact_criteria_detail",
        ),
    )
    items = []
    for kind, criteria, url_name in found:
        if criteria is None or not ledger.may_sign(kind, user, criteria):
            continue
        status = ledger.sign_off_status(kind, criteria)
        if status.latest is not None and not status.changed_since:
            continue
        detail = "Never approved." if status.latest is None else "Changed since it was approved."
        items.append(
            signature_item(
                kind,
                criteria,
                title=f"Approve {ledger.kind_label(kind).removesuffix(' approval').lower()} version {criteria.number}",
                page=_url(url_name, management_system.pk, criteria.pk),
                detail=detail,
                own_change=ledger.signs_own_change(kind, user, criteria),
            )
        )
    return items


def risk_reviews(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Risks the member owns whose review, or whose acceptance's review, comes due."""
    if not is_member(user, management_system):
        return []
    risks = list(
        Risk.objects.filter(management_system=management_system, owner=user, retired_at__isnull=True).order_by("pk")
    )
    accepted = {r.pk for r in ledger.annotate_sign_offs(risks, ACCEPTANCE) if r.latest_sign_off is not None}
    items = []
    for risk in risks:
        url = _url("risk_detail", management_system.pk, risk.pk)
        if review_is_near(risk.next_review, today):
            items.append(
                WorkItem(
                    key=f"risk_review:{risk.pk}:{risk.next_review}",
                    kind=REVIEW,
                    title=f"Review {risk.reference} {risk.title}",
                    url=url,
                    due=risk.next_review,
                )
            )
        if risk.pk in accepted and review_is_near(risk.acceptance_review_by, today):
            items.append(
                WorkItem(
                    key=f"risk_acceptance_review:{risk.pk}:{risk.acceptance_review_by}",
                    kind=REVIEW,
                    title=f"Review the acceptance of {risk.reference} {risk.title}",
                    url=url,
                    due=risk.acceptance_review_by,
                    detail="The acceptance must be reviewed by this date (6.1.3).",
                )
            )
    return items


def treatment_actions(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Open treatment actions the member owns, on risks still in use."""
    if not is_member(user, management_system):
        return []
    actions = TreatmentAction.objects.filter(
        risk__management_system=management_system,
        risk__retired_at__isnull=True,
        owner=user,
        status__in=(TreatmentAction.Status.PLANNED, TreatmentAction.Status.IN_PROGRESS),
    ).select_related("risk")
    return [
        WorkItem(
            key=f"treatment_action:{action.pk}:{action.due_date}",
            kind=ACTION,
            title=action.description,
            url=_url("risk_detail", management_system.pk, action.risk_id),
            due=action.due_date,
            detail=f"Treatment of {action.risk.reference} {action.risk.title} ({action.get_status_display().lower()}).",
        )
        for action in actions
    ]


def reassessments(user: Any, management_system: ManagementSystem, today: date) -> list[WorkItem]:
    """Impact assessments of the AI systems the member owns whose next review comes due."""
    if not is_member(user, management_system):
        return []
    assessments = ImpactAssessment.objects.filter(
        management_system=management_system,
        ai_system__owner=user,
        retired_at__isnull=True,
        reassessment__isnull=True,
        next_review__isnull=False,
    ).select_related("ai_system")
    return [
        WorkItem(
            key=f"impact_review:{assessment.pk}:{assessment.next_review}",
            kind=REVIEW,
            title=f"Re-assess the impact of {assessment.ai_system.name}",
            url=_url("impact_detail", management_system.pk, assessment.pk),
            due=assessment.next_review,
            detail=f"{assessment.reference} {assessment.title} is due for review.",
        )
        for assessment in assessments
        if review_is_near(assessment.next_review, today)
    ]


def register() -> None:
    """Declare this app's work contributions (called from its AppConfig.ready())."""
    register_work_provider("risk_acceptance", risks_to_accept, order=20)
    register_work_provider("impact_assessment_approval", impact_assessments_to_approve, order=21)
    register_work_provider("criteria_approval", criteria_to_approve, order=22)
    register_work_provider("risk_reviews", risk_reviews, order=120)
    register_work_provider("treatment_actions", treatment_actions, order=121)
    register_work_provider("impact_reviews", reassessments, order=122)
