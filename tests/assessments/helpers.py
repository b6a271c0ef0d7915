"""Short spellings of the assessment factories, as the assessment tests have always called them."""

from __future__ import annotations

from tests.factories import ImpactAssessmentFactory, RiskCriteriaFactory, RiskFactory


def make_criteria(management_system, user, **fields):
    return RiskCriteriaFactory(management_system=management_system, user=user, **fields)


def make_risk(management_system, user, **fields):
    return RiskFactory(management_system=management_system, user=user, **fields)


def make_assessment(management_system, user, system=None, **fields):
    if system is not None:
        fields["ai_system"] = system
    return ImpactAssessmentFactory(management_system=management_system, user=user, **fields)
