"""Reads for risk criteria, risks and impact assessments; selectors own the joins and prefetches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from aims import access, ledger
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, ImpactRow, Risk, RiskCriteria, TreatmentAction
from assessments.signoffs import ACCEPTANCE, APPROVAL

TRUE = (True, "true", "True", "1", "yes", "on")
FALSE = (False, "false", "False", "0", "no", "off")


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


def _bool_filter(qs: QuerySet[Risk], value: Any, condition: Q) -> QuerySet[Risk]:
    if value in TRUE:
        return qs.filter(condition)
    if value in FALSE:
        return qs.exclude(condition)
    return qs


def risk_list(
    *, user: AbstractBaseUser, management_system: ManagementSystem, filters: dict[str, Any] | None = None
) -> QuerySet[Risk]:
    """Risks of a management system the user may read, filtered as the register's filters ask."""
    from aims.models import SignOff

    qs = risk_queryset(user=user).filter(management_system=management_system)
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if f.get("q"):
        qs = qs.filter(Q(title__icontains=f["q"]) | Q(reference__icontains=f["q"]) | Q(description__icontains=f["q"]))
    simple = {
        "system": "ai_systems",
        "source": "source",
        "treatment": "treatment_option",
        "owner": "owner_id",
        "control": "controls",
    }
    for key, field in simple.items():
        if key in f:
            qs = qs.filter(**{field: f[key]})
    if "level" in f:
        qs = qs.filter(Q(residual_level=f["level"]) | Q(residual_level="", inherent_level=f["level"]))
    if "inherent_level" in f:
        qs = qs.filter(inherent_level=f["inherent_level"])
    if "residual_level" in f:
        qs = qs.filter(residual_level=f["residual_level"])
    qs = _cell_filter(qs, f)
    qs = _bool_filter(qs, f.get("overdue"), Q(next_review__lt=timezone.localdate()))
    accepted_ids = SignOff.objects.filter(kind=ACCEPTANCE, management_system=management_system).values("subject_id")
    qs = _bool_filter(qs, f.get("accepted"), Q(pk__in=accepted_ids))
    return qs.distinct().order_by("reference")


def _cell_filter(qs: QuerySet[Risk], f: dict[str, Any]) -> QuerySet[Risk]:
    """Risks in one heat map cell: likelihood and consequence, inherent or residual."""
    basis = "residual_" if f.get("basis") == "residual" else ""
    for rating in ("likelihood", "consequence"):
        if rating in f:
            try:
                qs = qs.filter(**{f"{basis}{rating}": int(f[rating])})
            except (TypeError, ValueError):
                return qs.none()
    return qs


# --- acceptance and approval ----------------------------------------------------------


# --- impact assessments ----------------------------------------------------------------


def impact_queryset(*, user: AbstractBaseUser) -> QuerySet[ImpactAssessment]:
    """Impact assessments the user may read, with their system and rows (and the risks rows raised)."""
    return access.scope(
        user, ImpactAssessment.objects.select_related("ai_system", "management_system")
    ).prefetch_related(Prefetch("rows", queryset=ImpactRow.objects.prefetch_related("risks")))


def impact_list(
    *, user: AbstractBaseUser, management_system: ManagementSystem, filters: dict[str, Any] | None = None
) -> QuerySet[ImpactAssessment]:
    """Impact assessments of a management system, filtered by system, decision, trigger or overdue."""
    qs = access.scope(user, ImpactAssessment.objects.select_related("ai_system")).filter(
        management_system=management_system
    )
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if f.get("q"):
        qs = qs.filter(Q(title__icontains=f["q"]) | Q(reference__icontains=f["q"]))
    for key, field in {"system": "ai_system_id", "decision": "decision", "trigger": "trigger"}.items():
        if key in f:
            qs = qs.filter(**{field: f[key]})
    qs = _bool_filter(qs, f.get("overdue"), Q(next_review__lt=timezone.localdate()))
    return qs.order_by("-reference")


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
