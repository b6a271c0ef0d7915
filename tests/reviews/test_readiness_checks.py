"""Each readiness check fails on purpose, naming what is at fault, and passes once it is fixed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from aims import services as aims_services
from aims.readiness import readiness_checks
from assessments import services as assessment_services
from assessments.models import Risk
from assessments.signoffs import CRITERIA_APPROVAL
from controls.models import Applicability
from controls.signoffs import SOA
from governance.documents.required import REQUIRED
from governance.models import AimsRole, ContextIssue, InterestedParty, Requirement
from governance.scope import services as scope_services
from improvement.models import CorrectiveAction
from improvement.nonconformities import services as nc_services
from registers.models import Supplier
from tests.factories import ImpactAssessmentFactory, RiskFactory, SupplierFactory, decide_soa_row
from tests.governance import documents_helpers as docs
from tests.governance.objectives_helpers import make_objective, record
from tests.governance.people_helpers import appoint_user
from tests.governance.scope_helpers import approve as approve_scope
from tests.governance.scope_helpers import make_scope
from tests.improvement.audits import helpers as audits
from tests.improvement.nonconformities.helpers import add_action, analyse, contain, make_nc
from tests.reviews.readiness_helpers import (
    accepted_risk,
    approved_assessment,
    findings,
    live_system,
    sign,
    words,
)

Case = Callable[[Any], tuple[str, Callable[[], Any]]]  # world -> (words the failure says, the fix)


def scope_case(world: Any) -> tuple[str, Callable[[], Any]]:
    scope = make_scope(world.acme, world.officer)
    approve_scope(scope, world.leader)
    scope_services.scope_update(scope.__class__.objects.get(pk=scope.pk), user=world.officer,
                                expected_version=None, sites="Riverside\nHillcrest\nHome working")  # fmt: skip
    return "Scope changed since approval", lambda: approve_scope(scope, world.leader)


def ai_policy_case(world: Any) -> tuple[str, Callable[[], Any]]:
    def fix() -> None:
        docs.make_top_management(world, world.leader)
        docs.approve(world, docs.in_review(world))

    return "AIMS-POL-001 AI policy has no approved version", fix


def roles_case(world: Any) -> tuple[str, Callable[[], Any]]:
    def fix() -> None:
        for role in AimsRole.objects.filter(management_system=world.acme, mandatory=True):
            appoint_user(world.acme, world.officer, world.officer, role.key)

    return "Nobody holds the mandatory AIMS role", fix


def criteria_case(world: Any) -> tuple[str, Callable[[], Any]]:
    risk = RiskFactory(management_system=world.acme, user=world.officer)
    return "is not approved by leadership", lambda: sign(CRITERIA_APPROVAL, risk.criteria, world.leader)


def soa_case(world: Any) -> tuple[str, Callable[[], Any]]:
    def fix() -> None:
        for row in Applicability.objects.filter(management_system=world.acme).select_related("control"):
            decide_soa_row(world.acme, row, user=world.officer)
        sign(SOA, world.acme, world.leader)

    return "38 control(s) not decided yet: A.2.2", fix


def risk_case(world: Any) -> tuple[str, Callable[[], Any]]:
    risk = accepted_risk(world)
    risk = assessment_services.risk_update(
        Risk.objects.get(pk=risk.pk), user=world.officer, expected_version=risk.version, residual_likelihood=1
    )
    return f"{risk.reference} ", lambda: sign("risk_acceptance", Risk.objects.get(pk=risk.pk), world.leader)


def impact_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = live_system(world)
    return f"{system.reference} Triage assistant is in operation", lambda: approved_assessment(world, system)


def objectives_case(world: Any) -> tuple[str, Callable[[], Any]]:
    objective = make_objective(world.acme, world.officer)
    return "No AI objective was measured", lambda: record(objective.metric, world.officer, "97")


def documents_case(world: Any) -> tuple[str, Callable[[], Any]]:
    def fix() -> None:
        docs.make_top_management(world, world.leader)
        for spec in REQUIRED:
            docs.approve(world, docs.in_review(world, spec.key))

    return "AIMS-SCO-001 Scope of the AI management system has no approved version", fix


def programme_case(world: Any) -> tuple[str, Callable[[], Any]]:
    programme = audits.make_programme(world.acme, world.officer, owner=world.officer)
    return f"{programme.reference} Internal audit programme 2026 is not approved", lambda: audits.approve(
        programme, world.leader
    )


def full_scope_case(world: Any) -> tuple[str, Callable[[], Any]]:
    clauses = ("4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.2", "6.3",
               "7.1", "7.2", "7.3", "7.4", "7.5.1", "7.5.2", "7.5.3", "8.1", "8.2", "8.3", "8.4", "9.1", "9.2.1",
               "9.2.2", "9.3.1", "9.3.2", "9.3.3", "10.1", "10.2")  # fmt: skip
    partial = audits.reportable_audit(world, requirements=("9.2.2",))
    audits.sign_report(partial, world.contributor)

    def fix() -> None:
        full = audits.reportable_audit(world, requirements=clauses, title="Full-scope audit")
        audits.sign_report(full, world.contributor)

    return "do not cover clause(s) 4.1, 4.2", fix


def nonconformity_case(world: Any) -> tuple[str, Callable[[], Any]]:
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    action = add_action(nc, world.officer, world.contributor, due_date=timezone.localdate() - timedelta(days=3))

    def fix() -> None:
        action.refresh_from_db()
        nc_services.corrective_action_update(
            action, user=world.officer, expected_version=action.version, status=CorrectiveAction.Status.DONE,
            completed_on=timezone.localdate(),
        )  # fmt: skip

    return f"{nc.reference} Model card not kept up to date (minor) has an overdue corrective action", fix


def context_case(world: Any) -> tuple[str, Callable[[], Any]]:
    def fix() -> None:
        for origin in ("internal", "external"):
            aims_services.register_create(ContextIssue, management_system=world.acme, user=world.officer,
                                          title=f"{origin} issue", origin=origin, category="legal")  # fmt: skip

    return "No internal issue", fix


def parties_case(world: Any) -> tuple[str, Callable[[], Any]]:
    def fix() -> None:
        party = aims_services.register_create(
            InterestedParty, management_system=world.acme, user=world.officer, name="Regulator", kind="regulator"
        )
        aims_services.register_create(Requirement, management_system=world.acme, user=world.officer, party=party,
                                      title="Deployer obligations", requirement_type="legal", addressed="yes")  # fmt: skip

    return "No interested party is recorded", fix


def supplier_case(world: Any) -> tuple[str, Callable[[], Any]]:
    supplier = SupplierFactory(management_system=world.acme, user=world.officer, due_diligence_status="in_progress")
    live_system(world, suppliers=[supplier])

    def fix() -> None:
        supplier.refresh_from_db()
        aims_services.register_update(supplier, user=world.officer, expected_version=supplier.version,
                                      due_diligence_status=Supplier.DueDiligence.APPROVED)  # fmt: skip

    return f"{supplier.reference} {supplier.name} supplies an AI system in scope", fix


CASES: dict[str, Case] = {
    "scope-approved": scope_case,
    "ai-policy-approved": ai_policy_case,
    "mandatory-roles": roles_case,
    "risk-criteria-approved": criteria_case,
    "soa-approved": soa_case,
    "risks-treated-accepted": risk_case,
    "impact-assessments-current": impact_case,
    "objectives-measured": objectives_case,
    "documents-approved": documents_case,
    "audit-programme-approved": programme_case,
    "internal-audit-full-scope": full_scope_case,
    "nonconformities-on-time": nonconformity_case,
    "context-issues": context_case,
    "interested-parties": parties_case,
    "supplier-due-diligence": supplier_case,
}


@pytest.mark.parametrize("check_id", list(CASES))
def test_check_fails_naming_the_fault_then_passes_once_fixed(world, check_id):
    expected, fix = CASES[check_id](world)
    failing = findings(world.acme, check_id)
    assert failing, f"{check_id} passes on a state built to fail it"
    assert expected in words(failing)
    fix()
    assert findings(world.acme, check_id) == [], words(findings(world.acme, check_id))


def test_every_clause_and_annex_a_group_has_a_check():
    groups = {check.group for check in readiness_checks()}
    clauses = {"4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6.1", "6.2", "6.3", "7.1", "7.2", "7.3", "7.4", "7.5",
               "8.1", "8.2", "8.3", "8.4", "9.1", "9.2", "10.1", "10.2"}  # fmt: skip
    # 9.3 is read by the management review's own check ("signed after the latest audit").
    annex = {f"A.{n}" for n in range(2, 11)}
    assert clauses | annex <= groups, sorted((clauses | annex) - groups)


def test_scope_not_written_and_never_approved_are_told_apart(world):
    assert "not written yet" in words(findings(world.acme, "scope-approved"))
    make_scope(world.acme, world.officer)
    assert "is not approved by top management" in words(findings(world.acme, "scope-approved"))


def test_an_impact_assessment_awaiting_approval_is_named(world):
    system = live_system(world)
    pending = ImpactAssessmentFactory(management_system=world.acme, user=world.officer, ai_system=system)
    assert f"its impact assessment {pending.reference} is not approved" in words(
        findings(world.acme, "impact-assessments-current")
    )
