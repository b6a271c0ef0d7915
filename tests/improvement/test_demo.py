"""The improvement demo: what issue 11 asks the demo to show, loaded through the services."""

from __future__ import annotations

import pytest

from aims import demo, hooks, ledger
from controls.catalog import CLAUSES
from controls.models import Control
from improvement.audits import signoffs as audit_signoffs
from improvement.coverage import coverage_matrix
from improvement.models import (
    AuditProgramme,
    CorrectiveAction,
    EffectivenessReview,
    Finding,
    Incident,
    InternalAudit,
    Nonconformity,
)
from improvement.nonconformities.signoffs import CLOSURE

STEPS = ("registers.demo", "controls.demo", "assessments.demo", "improvement.demo")


@pytest.fixture
def acme(db, monkeypatch):
    monkeypatch.setattr(hooks, "_DEMO_STEPS", {m: step for m, step in hooks._DEMO_STEPS.items() if m in STEPS})
    return demo.load()


def test_demo_shows_the_whole_improvement_loop(acme):
    ms = acme.acme
    programme = AuditProgramme.objects.get(management_system=ms)
    assert programme.status == AuditProgramme.Status.ACTIVE
    assert ledger.sign_offs_of(audit_signoffs.PROGRAMME_APPROVAL, programme).exists()
    coverage = coverage_matrix(
        clauses=Control.objects.filter(framework__key=CLAUSES).select_related("area"),
        items=programme.items.select_related("requirement", "ai_system"),
        period_start=programme.period_start,
        period_end=programme.period_end,
    )
    assert [row.key for row in coverage.gaps] == ["clause:7.4"]  # one gap, to show what one looks like

    audit = InternalAudit.objects.get(management_system=ms)
    assert audit.status == InternalAudit.Status.CLOSED and audit.independence_override
    assert ledger.sign_offs_of(audit_signoffs.REPORT, audit).get().signer == acme.users["owner"]
    assert ledger.sign_offs_of(audit_signoffs.REPORT_ACKNOWLEDGEMENT, audit).get().signer == acme.users["leader"]
    assert not audit.checks.filter(result="").exists()
    minor = Finding.objects.get(management_system=ms, finding_type=Finding.Type.MINOR)
    assert minor.nonconformity.source == Nonconformity.Source.FINDING
    assert "impact assessment" in minor.title

    open_nc = minor.nonconformity
    assert open_nc.state == Nonconformity.State.ACTIONS_PLANNED
    assert any(action.is_overdue for action in CorrectiveAction.objects.filter(nonconformity=open_nc))

    closed = Nonconformity.objects.get(management_system=ms, state=Nonconformity.State.CLOSED)
    assert closed.iteration == 2 and closed.grade == Nonconformity.Grade.MAJOR
    results = list(EffectivenessReview.objects.filter(nonconformity=closed).values_list("result", flat=True))
    assert results == ["not_effective", "effective"]
    assert ledger.sign_offs_of(CLOSURE, closed).get().signer == acme.users["leader"]
    states = list(closed.history.order_by("history_id").values_list("state", flat=True))
    assert states.index("analysed") < states.index("actions_done") < len(states) - states[::-1].index("analysed") - 1

    concern, serious = Incident.objects.filter(management_system=ms).order_by("reference")
    assert concern.channel == Incident.Channel.STAFF_CONCERN and concern.outcome
    assert serious.possibly_serious and serious.report_decision == "report"
    assert serious.obligations.filter(regime="eu-ai-act-art-73").exists()
    assert serious.nonconformities.get().source == Nonconformity.Source.INCIDENT
    assert ledger.verify(ms)["ok"]


def test_demo_is_idempotent(acme):
    before = (Nonconformity.history.count(), Incident.history.count(), InternalAudit.history.count())
    demo.load()
    assert (Nonconformity.history.count(), Incident.history.count(), InternalAudit.history.count()) == before
