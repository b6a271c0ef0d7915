"""Risk acceptance and impact-assessment approval as kinds of sign-off (see ``aims.ledger``).

A risk acceptance signs the risk's current version together with its treatment actions;
an approval signs the impact assessment with its impact rows. Editing either afterwards
shows "changed since accepted/approved"; the old sign-off stays in the chain.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from aims.models import Role, SignOff
from assessments.models import ImpactAssessment, Risk

ACCEPTANCE = "risk_acceptance"
APPROVAL = "impact_assessment_approval"


def _latest_rows(obj: Any, children: Any) -> list[Any]:
    rows = [obj.history.order_by("-history_id").first()]
    rows += [child.history.order_by("-history_id").first() for child in children]
    return [row for row in rows if row is not None]


def risk_versions(risk: Risk) -> list[Any]:
    """The risk's latest version and those of its treatment actions."""
    return _latest_rows(risk, risk.actions.all())


def risk_blockers(risk: Risk) -> list[str]:
    """What stops a risk from being accepted."""
    if not risk.residual_level:
        return ["Assess the residual likelihood and consequence before accepting the risk."]
    return []


def can_accept_risk(user: Any, risk: Risk) -> bool:
    """Leadership accepts any risk; the risk owner accepts one within the criteria's acceptance threshold."""
    if not access.is_visible(user, risk):
        return False
    if access.can(user, Action.SIGN_OFF, risk):
        return True
    is_owner = risk.owner_id is not None and risk.owner_id == user.pk
    read_only = access.role_of(user, risk.management_system) == Role.AUDITOR
    return is_owner and not read_only and not risk.needs_leadership_acceptance


def acceptance_refusal(risk: Risk) -> str:
    """Explain why a member may not accept this risk."""
    if risk.needs_leadership_acceptance:
        level = risk.get_residual_level_display() or risk.get_inherent_level_display()
        threshold = risk.criteria.get_acceptance_threshold_display()
        return (
            f"{risk.reference} is {level}, above the acceptance threshold ({threshold}): only leadership may accept it."
        )
    return "Only the risk owner or leadership may accept this risk."


def acceptance_rule(risk: Risk) -> str:
    """Who may accept this risk, in words."""
    threshold = risk.criteria.get_acceptance_threshold_display()
    if risk.needs_leadership_acceptance:
        return f"Above the acceptance threshold ({threshold}): only leadership may accept this risk."
    return f"Within the acceptance threshold ({threshold}): the risk owner or leadership may accept it."


RATED_FIELDS = ("likelihood", "consequence", "residual_likelihood", "residual_consequence", "owner_id")


def risk_last_editor(risk: Risk) -> int | None:
    """Who last changed the risk's ratings or owner: the person whose judgement an acceptance approves."""
    rows = list(risk.history.order_by("-history_date", "-history_id").values("history_user_id", *RATED_FIELDS))
    for newer, older in zip(rows, rows[1:], strict=False):
        if any(newer[name] != older[name] for name in RATED_FIELDS):
            return newer["history_user_id"]
    return rows[-1]["history_user_id"] if rows else None


def impact_versions(assessment: ImpactAssessment) -> list[Any]:
    """The assessment's latest version and those of its impact rows."""
    return _latest_rows(assessment, assessment.rows.all())


def impact_blockers(assessment: ImpactAssessment) -> list[str]:
    """What stops an impact assessment from being approved."""
    if assessment.decision == ImpactAssessment.Decision.PENDING:
        return ["Record the decision (proceed, proceed with conditions or stop) before approval."]
    return []


def _history_url(name: str) -> Any:
    def url(obj: Any, signoff: SignOff) -> str:
        return reverse(f"assessments:{name}", args=[obj.management_system_id, obj.pk]) + "#history"

    return url


def register() -> None:
    """Declare risk acceptance and impact-assessment approval as kinds of sign-off."""
    ledger.register_signable(
        ACCEPTANCE,
        label="Risk acceptance",
        subject_model=Risk,
        versions=risk_versions,
        may_sign=can_accept_risk,
        blockers=risk_blockers,
        diff_url=_history_url("risk_detail"),
        refusal=acceptance_refusal,
        last_editor=risk_last_editor,
        verb="Accept",
        done_label="Accepted",
        rule=acceptance_rule,
    )
    ledger.register_signable(
        APPROVAL,
        label="AI impact assessment approval",
        subject_model=ImpactAssessment,
        versions=impact_versions,
        blockers=impact_blockers,
        diff_url=_history_url("impact_detail"),
        rule=lambda assessment: "Leadership approves the assessment and its decision (ISO/IEC 42005 5.11).",
    )
