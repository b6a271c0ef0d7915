"""Reads for risk criteria, risks and impact assessments; selectors own the joins and prefetches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from aims import access, ledger
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, ImpactRow, Risk, RiskCriteria, TreatmentAction
from assessments.signoffs import APPROVAL, CRITERIA_APPROVAL


def criteria_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[RiskCriteria]:
    """Every version of the management system's risk criteria, newest first."""
    return access.scope(user, RiskCriteria.objects.filter(management_system=management_system)).order_by("-number")


def criteria_queryset(*, user: AbstractBaseUser) -> QuerySet[RiskCriteria]:
    """Risk criteria the user may read."""
    return access.scope(user, RiskCriteria.objects.select_related("management_system"))


def risk_queryset(*, user: AbstractBaseUser) -> QuerySet[Risk]:
    """Risks the user may read with what lists, details and the API show (constant queries)."""
    return access.scope(
        user, Risk.objects.select_related("criteria", "owner", "management_system", "impact_row__assessment")
    ).prefetch_related(
        "ai_systems",
        "controls",
        Prefetch("actions", queryset=TreatmentAction.objects.select_related("owner")),
    )


def risk_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Risk]:
    """Risks of a management system the user may read (``RiskFilterSet`` filters them)."""
    return risk_queryset(user=user).filter(management_system=management_system).order_by("reference")


# --- acceptance and approval ----------------------------------------------------------


# --- impact assessments ----------------------------------------------------------------


def impact_queryset(*, user: AbstractBaseUser) -> QuerySet[ImpactAssessment]:
    """Impact assessments the user may read, with their system and rows (and the risks rows raised)."""
    return access.scope(
        user, ImpactAssessment.objects.select_related("ai_system", "management_system")
    ).prefetch_related(Prefetch("rows", queryset=ImpactRow.objects.prefetch_related("risks")))


def impact_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[ImpactAssessment]:
    """Impact assessments of a management system the user may read (``ImpactFilterSet`` filters them)."""
    return (
        access.scope(user, ImpactAssessment.objects.select_related("ai_system"))
        .filter(management_system=management_system)
        .order_by("-reference")
    )


def latest_impact_assessment(*, user: AbstractBaseUser, ai_system: Any) -> ImpactAssessment | None:
    """The AI system's most recent impact assessment with its approval state, or None."""
    assessment = (
        access.scope(user, ImpactAssessment.objects.filter(ai_system=ai_system)).order_by("-created_at", "-pk").first()
    )
    if assessment is not None:
        ledger.annotate_sign_offs([assessment], APPROVAL)
    return assessment


def ai_system_impact_context(*, user: AbstractBaseUser, ai_system: Any) -> dict[str, Any]:
    """Template context for the AI system page's impact assessment box."""
    return {
        "latest_impact_assessment": latest_impact_assessment(user=user, ai_system=ai_system),
        "impact_ai_system": ai_system,
    }


# --- SoA rows --------------------------------------------------------------------------


def risks_by_control(*, user: AbstractBaseUser, management_system: ManagementSystem) -> dict[int, list[Risk]]:
    """The management system's risks grouped by the Annex A control they link to (one query)."""
    if not access.can(user, access.Action.VIEW, management_system):
        return {}
    links = Risk.controls.through.objects.filter(risk__management_system=management_system).select_related("risk")
    grouped: dict[int, list[Risk]] = defaultdict(list)
    for link in links.order_by("risk__reference"):
        grouped[link.control_id].append(link.risk)
    return dict(grouped)


def action_history(risk: Risk) -> QuerySet:
    """Every change to a risk's treatment actions, newest first."""
    return (
        TreatmentAction.history.filter(risk_id=risk.pk)
        .select_related("history_user", "owner")
        .order_by("-history_date", "-history_id")
    )


def impact_row_history(assessment: ImpactAssessment) -> QuerySet:
    """Every change to an impact assessment's impact rows, newest first."""
    return (
        ImpactRow.history.filter(assessment_id=assessment.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def criteria_is_approved(criteria: RiskCriteria) -> bool:
    """Whether leadership approved this criteria version as it stands."""
    status = ledger.sign_off_status(CRITERIA_APPROVAL, criteria)
    return status.latest is not None and not status.changed_since
