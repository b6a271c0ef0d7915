"""Helpers of the readiness tests: run one check, and build the records that make checks pass."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from aims import ledger
from aims.readiness import Finding, ReadinessContext, readiness_checks
from assessments.signoffs import ACCEPTANCE, APPROVAL
from tests.factories import ImpactAssessmentFactory, RiskFactory, make_ai_system


def findings(management_system: Any, check_id: str) -> list[Finding]:
    """The findings of one registered check on the management system now ([] when it passes)."""
    spec = next(c for c in readiness_checks() if c.id == check_id)
    return list(spec.check(ReadinessContext(management_system=management_system, now=timezone.now())))


def words(found: list[Finding]) -> str:
    return " ".join(f.message for f in found)


def sign(kind: str, subject: Any, user: Any) -> Any:
    return ledger.sign_off(kind=kind, subject=subject, user=user, statement="Signed.", verification="recovery code")


def live_system(world: Any, name: str = "Triage assistant", **fields: Any) -> Any:
    return make_ai_system(world.acme, user=world.officer, name=name, lifecycle_stage="operation", **fields)


def approved_assessment(world: Any, system: Any) -> Any:
    assessment = ImpactAssessmentFactory(
        management_system=world.acme, user=world.officer, ai_system=system, decision="proceed"
    )
    sign(APPROVAL, assessment, world.leader)
    return assessment


def accepted_risk(world: Any, **fields: Any) -> Any:
    """A risk above the acceptable level, treated (plan, residual rating) and accepted by leadership."""
    risk = RiskFactory(
        management_system=world.acme, user=world.officer, treatment_plan="Second reader for every referral.",
        residual_likelihood=2, residual_consequence=2, acceptance_rationale="Residual risk is low.", **fields,
    )  # fmt: skip
    sign(ACCEPTANCE, risk, world.leader)
    return risk
