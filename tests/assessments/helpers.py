"""Shared builders for the assessment tests: criteria, risks and impact assessments via the services."""

from __future__ import annotations

from assessments import services
from tests.factories import make_ai_system


def make_criteria(management_system, user, **fields):
    return services.risk_criteria_create(management_system=management_system, user=user, **fields)


def make_risk(management_system, user, **fields):
    if services.current_criteria(management_system=management_system) is None:
        make_criteria(management_system, user)
    fields.setdefault("title", "Triage model under-prioritises elderly patients")
    fields.setdefault("source", "fairness")
    fields.setdefault("description", "Training data under-represents patients over 80.")
    fields.setdefault("likelihood", 3)
    fields.setdefault("consequence", 4)
    return services.risk_create(management_system=management_system, user=user, **fields)


def make_assessment(management_system, user, system=None, **fields):
    system = system or make_ai_system(management_system, user=user)
    fields.setdefault("title", f"Impact assessment of {system.name}")
    fields.setdefault("scope", "The triage assistant in the patient portal.")
    return services.impact_assessment_create(management_system=management_system, user=user, ai_system=system, **fields)
