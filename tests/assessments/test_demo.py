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
    assert 14 <= len(risks) <= 20
    assert sum(1 for r in risks if r.latest_sign_off) >= 5
    assert sum(1 for r in risks if r.changed_since_signed) == 1
    assert sum(1 for r in risks if r.is_overdue) == 1
    assert {s.name for r in risks for s in r.ai_systems.all()} >= {"Patient message triage", "Patient FAQ chatbot"}
    assessments = ledger.annotate_sign_offs(
        list(ImpactAssessment.objects.filter(management_system=ms)), signoffs.APPROVAL
    )
    assert len(assessments) == 4 and sum(1 for a in assessments if a.latest_sign_off) == 3
    assert Risk.objects.filter(management_system=ms, impact_row__isnull=False).count() == 4
    linked = selectors.soa_risks_by_control(user=acme.users["auditor"], management_system=ms)
    assert len(linked) >= 10 and all(brief.count >= len(brief.items) > 0 for brief in linked.values())
    assert ledger.verify(ms)["ok"]


def test_demo_is_idempotent(acme):
    before = (Risk.objects.count(), Risk.history.count(), ImpactAssessment.objects.count())
    load(acme)
    demo.load()
    assert (Risk.objects.count(), Risk.history.count(), ImpactAssessment.objects.count()) == before


def test_the_demo_follows_its_own_process(acme):
    from aims.models import SignOff
    from controls.models import Applicability
    from controls.signoffs import SOA
    from registers.models import AISystem

    ms = acme.acme
    soa = SignOff.objects.get(management_system=ms, kind=SOA)
    # Risks exist before the SoA is approved.
    assert not Risk.objects.filter(management_system=ms, created_at__gt=soa.signed_at).exists()
    # Systems in deployment or operation have an approved impact assessment, or the gap is the chatbot's,
    # whose assessment is recorded and not yet decided.
    approved = {
        a.ai_system_id
        for a in ledger.annotate_sign_offs(
            list(ImpactAssessment.objects.filter(management_system=ms)), signoffs.APPROVAL
        )
        if a.latest_sign_off
    }
    live = AISystem.objects.filter(
        management_system=ms, retired_at__isnull=True, lifecycle_stage__in=["deployment", "operation"]
    )
    gaps = {s.name for s in live if s.pk not in approved}
    assert gaps == {"Patient FAQ chatbot"}
    assert ImpactAssessment.objects.filter(ai_system__name="Patient FAQ chatbot", decision="pending").exists()
    # Retention periods agree between the SoA (A.5.3) and the impact assessments.
    a53 = Applicability.objects.get(management_system=ms, control__key="A.5.3").justification
    assert "life of the system plus 8 years" in a53.lower()
    assert {a.retention_period for a in ImpactAssessment.objects.filter(management_system=ms)} == {
        "Life of the AI system plus 8 years (health records retention schedule)"
    }
    # A.10.4 is included: the Trust provides in-house models.
    assert Applicability.objects.get(management_system=ms, control__key="A.10.4").applicable == "included"
