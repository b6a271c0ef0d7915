"""Readiness checks over many records name each record once, in one pass (no list searched per record)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aims.readiness import ReadinessContext
from assessments import readiness as risk_checks
from tests.factories import RiskFactory, make_ai_system
from tests.reviews.readiness_helpers import live_system

pytestmark = pytest.mark.django_db


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def test_a_risk_past_both_review_dates_is_named_once_and_each_overdue_risk_by_reference(world):
    both = RiskFactory(management_system=world.acme, user=world.officer, next_review=days(-3),
                       acceptance_review_by=days(-1))  # fmt: skip
    acceptance_only = RiskFactory(management_system=world.acme, user=world.officer, acceptance_review_by=days(-2))
    review_only = RiskFactory(management_system=world.acme, user=world.officer, next_review=days(-1))
    RiskFactory(management_system=world.acme, user=world.officer, next_review=days(5))  # not due
    ctx = ReadinessContext(management_system=world.acme, now=timezone.now())
    said = [finding.message for finding in risk_checks.check_risks_reviewed(ctx)]
    assert said == [
        f"{risk.reference} {risk.title} is past its review date."
        for risk in sorted([both, acceptance_only, review_only], key=lambda r: r.reference)
    ]


def test_only_live_systems_in_scope_without_a_risk_are_named(world):
    named = live_system(world)
    covered = make_ai_system(world.acme, user=world.officer, name="Covered", lifecycle_stage="operation")
    make_ai_system(world.acme, user=world.officer, name="Designed", lifecycle_stage="design")  # not live
    make_ai_system(world.acme, user=world.officer, name="Elsewhere", lifecycle_stage="operation", in_scope=False)
    RiskFactory(management_system=world.acme, user=world.officer, ai_systems=[covered])
    ctx = ReadinessContext(management_system=world.acme, now=timezone.now())
    said = [finding.message for finding in risk_checks.check_systems_risk_assessed(ctx)]
    assert said == [f"{named.reference} {named.name} is live and no risk in the register names it."]
