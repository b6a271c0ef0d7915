"""The assessments demo: criteria, about fifteen risks (some accepted, one overdue), two impact assessments."""

from __future__ import annotations

import pytest

from aims import demo, hooks, ledger
from assessments import selectors, signoffs
from assessments.demo import load
from assessments.models import ImpactAssessment, Risk, RiskCriteria


@pytest.fixture
def acme(db, monkeypatch):
    steps = ("registers.demo", "controls.demo", "assessments.demo")
    monkeypatch.setattr(hooks, "_DEMO_STEPS", {m: step for m, step in hooks._DEMO_STEPS.items() if m in steps})
    return demo.load()


def test_demo_has_criteria_risks_acceptances_and_impact_assessments(acme):
    ms = acme.acme
    assert RiskCriteria.objects.filter(management_system=ms).count() == 1
    risks = ledger.annotate_sign_offs(list(Risk.objects.filter(management_system=ms)), signoffs.ACCEPTANCE)
    assert 14 <= len(risks) <= 18
    assert sum(1 for r in risks if r.latest_sign_off) >= 5
    assert sum(1 for r in risks if r.changed_since_signed) == 1
    assert sum(1 for r in risks if r.is_overdue) == 1
    assert {s.name for r in risks for s in r.ai_systems.all()} >= {"Patient message triage", "Patient FAQ chatbot"}
    assessments = ledger.annotate_sign_offs(
        list(ImpactAssessment.objects.filter(management_system=ms)), signoffs.APPROVAL
    )
    assert len(assessments) == 2 and sum(1 for a in assessments if a.latest_sign_off) == 1
    assert Risk.objects.filter(management_system=ms, impact_row__isnull=False).count() == 2
    linked = selectors.risks_by_control(user=acme.users["auditor"], management_system=ms)
    assert len(linked) >= 10
    assert ledger.verify(ms)["ok"]


def test_demo_is_idempotent(acme):
    before = (Risk.objects.count(), Risk.history.count(), ImpactAssessment.objects.count())
    load(acme)
    demo.load()
    assert (Risk.objects.count(), Risk.history.count(), ImpactAssessment.objects.count()) == before
