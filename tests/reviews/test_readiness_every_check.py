"""Every readiness check not covered elsewhere fails on purpose, naming what is at fault, then passes once fixed.

``test_readiness_checks.py`` holds the cases of the first checks (its ``CASES``) and
``test_meetings_demo.py`` those of the management review's two; this file holds the others. The
guard at the end fails when a check is registered without a case in one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from aims.models import ManagementSystem
from aims.readiness import Finding, ReadinessContext, readiness_checks
from assessments import services as assessment_services
from assessments.models import ImpactAssessment, Risk, TreatmentAction
from assessments.signoffs import APPROVAL, CRITERIA_APPROVAL, IMPACT_CRITERIA_APPROVAL
from controls import services as control_services
from controls.models import Applicability
from controls.readiness import GROUPS
from governance.context import services as context_services
from governance.documents import services as document_services
from governance.documents.required import BY_KEY
from governance.documents.seeding import seed_required_documents
from governance.models import AimsRole, DocumentVersion, Objective
from governance.objectives import services as objective_services
from governance.people import services as people_services
from improvement.audits import finding_services
from improvement.incidents import services as incident_services
from improvement.models import Incident
from registers import services as register_services
from registers.models import AISystem, DatasetRecord
from tests.factories import (
    DatasetRecordFactory,
    ImpactAssessmentFactory,
    ModelRecordFactory,
    RiskCriteriaFactory,
    RiskFactory,
    decide_soa_row,
    make_ai_system,
)
from tests.governance import documents_helpers as docs
from tests.governance import people_helpers as people
from tests.governance.context_helpers import make_requirement
from tests.governance.objectives_helpers import make_objective, record
from tests.improvement.audits.helpers import finding_fields
from tests.reviews.readiness_helpers import live_system, sign, words
from tests.reviews.test_readiness_checks import CASES as FIRST_CASES

Case = Callable[[Any], tuple[str, Callable[[], Any]]]  # world -> (words the failure says, the fix)
# The management review's checks fail and pass in test_meetings_demo.py.
MANAGEMENT_REVIEW_CHECKS = {"management-review-after-audit", "management-review-actions-overdue"}
# The gateway policy's check fails and passes in tests/gateway/test_policy_readiness.py.
GATEWAY_CHECKS = {"gateway-policy-approved"}
# A check about time passing is evaluated this much later than now.
LATER = {"document-reviews-moving": timedelta(days=31)}


def findings(management_system: Any, check_id: str, *, later: timedelta = timedelta()) -> list[Finding]:
    spec = next(c for c in readiness_checks() if c.id == check_id)
    return list(spec.check(ReadinessContext(management_system=management_system, now=timezone.now() + later)))


def days(count: int) -> Any:
    return timezone.localdate() + timedelta(days=count)


def update_system(system: AISystem, world: Any, **fields: Any) -> AISystem:
    current = AISystem.objects.get(pk=system.pk)
    return register_services.ai_system_update(current, user=world.officer, expected_version=current.version, **fields)


# --- the AI system inventory (4.1, A.4, A.7, A.9) -------------------------------------------------


def inventory_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = make_ai_system(world.acme, user=world.officer, in_scope=False)
    return "no AI system in scope of the AIMS", lambda: update_system(system, world, in_scope=True)


def system_roles_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = make_ai_system(world.acme, user=world.officer)
    said = f"{system.reference} Triage assistant: the organisation's role for it"
    return said, lambda: update_system(system, world, roles=[{"role": "deployer", "basis": "We run it."}])


def owners_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = make_ai_system(world.acme, user=world.officer)
    return f"{system.reference} Triage assistant has no owner.", lambda: update_system(
        system, world, owner=world.officer
    )


def resources_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = live_system(world)

    def fix() -> None:
        model = ModelRecordFactory(management_system=world.acme, user=world.officer)
        dataset = DatasetRecordFactory(management_system=world.acme, user=world.officer)
        update_system(system, world, model_records=[model], dataset_records=[dataset])

    return f"{system.reference} Triage assistant is live but lists no models and no datasets.", fix


def oversight_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = live_system(world, human_oversight=AISystem.HumanOversight.NONE)
    said = f"{system.reference} Triage assistant is in operation and monitoring with no human oversight."
    return said, lambda: update_system(system, world, human_oversight=AISystem.HumanOversight.IN_THE_LOOP)


def dataset_case(world: Any) -> tuple[str, Callable[[], Any]]:
    dataset = DatasetRecordFactory(management_system=world.acme, user=world.officer, name="Referral notes 2024")
    make_ai_system(world.acme, user=world.officer, dataset_records=[dataset])

    def fix() -> None:
        current = DatasetRecord.objects.get(pk=dataset.pk)
        register_services.record_update(current, user=world.officer, expected_version=current.version,
                                        provenance="Exported from the referral system.",
                                        quality="Checked for gaps by age band.")  # fmt: skip

    return f"{dataset.reference} Referral notes 2024: its provenance and quality are not recorded.", fix


# --- context, leadership, support (4.2, 4.4, 5.1, 7.2 to 7.4) -------------------------------------


def requirements_case(world: Any) -> tuple[str, Callable[[], Any]]:
    requirement = make_requirement(world.acme, world.officer)

    def fix() -> None:
        context_services.requirement_update(requirement.__class__.objects.get(pk=requirement.pk), user=world.officer,
                                            expected_version=None, addressed="yes",
                                            how_addressed="Every AI system has a DPIA.")  # fmt: skip

    return f"{requirement.reference} Carry out a DPIA is not addressed by the AIMS.", fix


def top_management_case(world: Any) -> tuple[str, Callable[[], Any]]:
    people.appoint_user(world.acme, world.officer, world.leader, AimsRole.TOP_MANAGEMENT)
    criteria = RiskCriteriaFactory(management_system=world.acme, user=world.officer)
    return "Top management (leader) signed nothing in the register", lambda: sign(
        CRITERIA_APPROVAL, criteria, world.leader
    )


def competence_case(world: Any) -> tuple[str, Callable[[], Any]]:
    person = people.make_person(world.acme, world.officer, "Ada Lovelace")
    role = people.role(world.acme, AimsRole.AI_SYSTEM_OWNER)
    competence = people.make_competence(world.acme, world.officer, "AI risk assessment")
    people.require(role, world.officer, competence)
    people.appoint(world.acme, world.officer, person, AimsRole.AI_SYSTEM_OWNER)
    return f"Ada Lovelace holds {role.name} without a valid record of AI risk assessment.", lambda: people.make_record(
        person, competence, world.officer
    )


def acknowledged_case(world: Any) -> tuple[str, Callable[[], Any]]:
    docs.make_top_management(world, world.leader)
    policy = docs.approve(world, docs.in_review(world))

    def fix() -> None:
        for member in (world.owner, world.officer, world.leader, world.contributor):  # auditors do not acknowledge
            document_services.acknowledge(policy, user=member)

    return "0 of 4 members acknowledged AIMS-POL-001 version 1.", fix


def communication_case(world: Any) -> tuple[str, Callable[[], Any]]:
    item = people_services.plan_item_create(management_system=world.acme, user=world.officer,
                                            subject="AI literacy induction", timing="At induction",
                                            audience="New staff", channel="E-learning")  # fmt: skip

    def fix() -> None:
        people_services.communication_create(management_system=world.acme, user=world.officer, plan_item=item,
                                             delivered_on=timezone.localdate(), audience="Ward 3",
                                             summary="AI literacy session")  # fmt: skip

    return "No communication was recorded as delivered in the last twelve months.", fix


# --- documents (6.3, 8.1, A.6, A.7, A.8) ----------------------------------------------------------


def reviews_moving_case(world: Any) -> tuple[str, Callable[[], Any]]:
    version = docs.in_review(world, "operational_planning")

    def fix() -> None:
        docs.make_top_management(world, world.leader)
        docs.approve(world, DocumentVersion.objects.get(pk=version.pk))

    return f"AIMS-PRO-004 version 1 has been in review since {timezone.localdate():%d %b %Y}.", fix


def procedure_case(key: str) -> Case:
    """The case of a required procedure's own check: it has no approved version until top management approves it."""

    def case(world: Any) -> tuple[str, Callable[[], Any]]:
        spec = BY_KEY[key]

        def fix() -> None:
            docs.make_top_management(world, world.leader)
            docs.approve(world, docs.in_review(world, key))

        return f"{spec.identifier} {spec.title} has no approved version (version 1 is draft).", fix

    return case


# --- risks and impact assessments (6.1.2, 8.2 to 8.4, A.5) ----------------------------------------


def risks_assessed_case(world: Any) -> tuple[str, Callable[[], Any]]:
    return "The risk register holds no AI risk", lambda: RiskFactory(management_system=world.acme, user=world.officer)


def systems_risk_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = live_system(world)
    said = f"{system.reference} Triage assistant is live and no risk in the register names it."
    return said, lambda: RiskFactory(management_system=world.acme, user=world.officer, ai_systems=[system])


def risks_reviewed_case(world: Any) -> tuple[str, Callable[[], Any]]:
    risk = RiskFactory(management_system=world.acme, user=world.officer, next_review=days(-1))

    def fix() -> None:
        current = Risk.objects.get(pk=risk.pk)
        assessment_services.risk_update(current, user=world.officer, expected_version=current.version,
                                        next_review=days(90))  # fmt: skip

    return f"{risk.reference} {risk.title} is past its review date.", fix


def treatment_case(world: Any) -> tuple[str, Callable[[], Any]]:
    action = {"description": "Second reader for every referral.", "owner": world.contributor, "due_date": days(-2)}
    risk = RiskFactory(management_system=world.acme, user=world.officer, actions=[action])

    def fix() -> None:
        current = Risk.objects.get(pk=risk.pk)
        done = [{**action, "id": current.actions.get().pk, "status": TreatmentAction.Status.DONE}]
        assessment_services.risk_update(current, user=world.officer, expected_version=current.version, actions=done)

    return f"{risk.reference}: 1 treatment action(s) overdue since {days(-2):%d %b %Y}.", fix


def impact_reviews_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = live_system(world)
    overdue = ImpactAssessmentFactory(management_system=world.acme, user=world.officer, ai_system=system,
                                      decision="proceed", next_review=days(-1))  # fmt: skip
    sign(APPROVAL, overdue, world.leader)

    def fix() -> None:  # reviewed: re-assessed, and the re-assessment approved
        successor = assessment_services.impact_assessment_reassess(overdue, user=world.officer)
        successor = assessment_services.impact_assessment_update(
            successor, user=world.officer, expected_version=successor.version, decision="proceed", next_review=days(365)
        )
        sign(APPROVAL, ImpactAssessment.objects.get(pk=successor.pk), world.leader)

    return f"{overdue.reference} {overdue.title} was due for review on {days(-1):%d %b %Y}.", fix


def impact_criteria_case(world: Any) -> tuple[str, Callable[[], Any]]:
    criteria = assessment_services.impact_criteria_ensure_default(management_system=world.acme, user=world.officer)
    return f"{criteria.reference} (impact criteria, version 1) is not approved by leadership.", lambda: sign(
        IMPACT_CRITERIA_APPROVAL, criteria, world.leader
    )


# --- objectives (6.2, 7.1, 9.1) -------------------------------------------------------------------


def objectives_set_case(world: Any) -> tuple[str, Callable[[], Any]]:
    return "No AI objective is set.", lambda: make_objective(world.acme, world.officer)


def update_objective(objective: Objective, world: Any, **fields: Any) -> Objective:
    current = Objective.objects.get(pk=objective.pk)
    return objective_services.objective_update(current, user=world.officer, expected_version=current.version, **fields)


def planned_case(world: Any) -> tuple[str, Callable[[], Any]]:
    objective = make_objective(world.acme, world.officer)

    def fix() -> None:
        update_objective(objective, world, plan="Sample ten suggestions a week.", due_on=days(180),
                         responsible=people.make_person(world.acme, world.officer),
                         evaluation="Monthly rate against the target.")  # fmt: skip

    missing = "has no plan, no responsible person, no due date, no evaluation."
    return f"{objective.reference} Clinician in the loop {missing}", fix


def resourced_case(world: Any) -> tuple[str, Callable[[], Any]]:
    objective = make_objective(world.acme, world.officer)
    said = f"{objective.reference} Clinician in the loop does not state the resources it needs."
    return said, lambda: update_objective(objective, world, resources="Two hours of a clinician a week.")


def measurements_case(world: Any) -> tuple[str, Callable[[], Any]]:
    objective = make_objective(world.acme, world.officer)
    return f"{objective.reference} Clinician in the loop has no measurement for", lambda: record(
        objective.metric, world.officer, "97"
    )


# --- improvement and incidents (10.1, A.8.4) ------------------------------------------------------


def improvement_case(world: Any) -> tuple[str, Callable[[], Any]]:
    def fix() -> None:
        fields = finding_fields(finding_type="opportunity", title="Share the model card template across teams")
        finding_services.finding_create(management_system=world.acme, user=world.officer, **fields)

    return "No corrective action was completed and no opportunity for improvement recorded", fix


def incident_case(world: Any) -> tuple[str, Callable[[], Any]]:
    system = make_ai_system(world.acme, user=world.officer, name="Triage chatbot", eu_ai_act_risk_class="high")
    incident = incident_services.incident_create(
        management_system=world.acme, user=world.officer, title="Chatbot advised a patient to stop their medication",
        description="The triage chatbot told a patient to stop taking a prescribed drug.", ai_systems=[system],
        possibly_serious=True, severity="high", detected_at=timezone.now() - timedelta(days=30),
    )  # fmt: skip

    def fix() -> None:
        current = Incident.objects.get(pk=incident.pk)
        incident_services.incident_decide_reporting(
            current, user=world.leader, expected_version=current.version, decision="do_not_report",
            reason="The clinician overrode the advice before the patient read it.", statement="Decided after review.",
            verification="password",
        )  # fmt: skip

    # Both findings: the EU AI Act report overdue (detected a month ago), and no reporting decision.
    return f"is neither submitted nor waived. {incident.reference} {incident.title} may be serious and awaits", fix


# --- Annex A groups of the SoA (A.2 to A.10) ------------------------------------------------------


def soa_group_case(group: str) -> Case:
    """The case of one Annex A group: its first control included, owned by nobody and not started."""

    def case(world: Any) -> tuple[str, Callable[[], Any]]:
        row = (
            Applicability.objects.filter(management_system=world.acme, control__area__key=group)
            .select_related("control")
            .order_by("control__position")
            .first()
        )
        row = decide_soa_row(
            world.acme, row, user=world.officer, implementation_status=Applicability.ImplementationStatus.NOT_STARTED
        )
        key = row.control.key

        def fix() -> None:
            current = Applicability.objects.get(pk=row.pk)
            control_services.applicability_update(
                current, user=world.officer, expected_version=current.version, owner=world.officer,
                implementation_status=Applicability.ImplementationStatus.PLANNED,
            )  # fmt: skip

        return f"Included controls without an owner: {key}. Included controls not started: {key}.", fix

    return case


CASES: dict[str, Case] = {
    "ai-inventory": inventory_case,
    "ai-system-roles": system_roles_case,
    "ai-system-owners": owners_case,
    "ai-system-resources": resources_case,
    "ai-system-oversight": oversight_case,
    "dataset-provenance": dataset_case,
    "requirements-addressed": requirements_case,
    "top-management-engaged": top_management_case,
    "competence-gaps": competence_case,
    "policy-acknowledged": acknowledged_case,
    "communication-plan": communication_case,
    "document-reviews-moving": reviews_moving_case,
    "operational-procedure": procedure_case("operational_planning"),
    "lifecycle-procedure": procedure_case("ai_lifecycle_procedure"),
    "data-procedure": procedure_case("data_management_procedure"),
    "user-information": procedure_case("user_information"),
    "risks-assessed": risks_assessed_case,
    "systems-risk-assessed": systems_risk_case,
    "risks-reviewed": risks_reviewed_case,
    "treatment-actions-on-time": treatment_case,
    "impact-reviews-on-time": impact_reviews_case,
    "impact-criteria-approved": impact_criteria_case,
    "objectives-set": objectives_set_case,
    "objectives-planned": planned_case,
    "objectives-resourced": resourced_case,
    "measurements-current": measurements_case,
    "improvement-shown": improvement_case,
    "incident-obligations": incident_case,
    **{f"soa-{group}": soa_group_case(group) for group in GROUPS},
}


@pytest.mark.parametrize("check_id", list(CASES))
def test_check_fails_naming_the_fault_then_passes_once_fixed(world, check_id):
    expected, fix = CASES[check_id](world)
    later = LATER.get(check_id, timedelta())
    failing = findings(world.acme, check_id, later=later)
    assert failing, f"{check_id} passes on a state built to fail it"
    assert expected in words(failing)
    fix()
    assert findings(world.acme, check_id, later=later) == [], words(findings(world.acme, check_id, later=later))


def test_required_documents_missing_from_an_older_management_system_are_named_until_seeded(world):
    # Recorded before the documents register existed (without the hooks that seed it): nothing to withdraw in Acme.
    older = ManagementSystem.objects.create(organisation="Acme Health", name="Older AIMS")
    assert "AIMS-POL-001 AI policy is missing or withdrawn." in words(findings(older, "required-documents-present"))
    seed_required_documents(older, world.officer)  # the master list's "add the required documents"
    assert findings(older, "required-documents-present") == []


def test_every_registered_check_fails_and_passes_in_a_test():
    covered = set(FIRST_CASES) | set(CASES) | MANAGEMENT_REVIEW_CHECKS | GATEWAY_CHECKS | {"required-documents-present"}
    registered = {check.id for check in readiness_checks()}
    assert covered == registered, {
        "without a case": sorted(registered - covered),
        "unknown": sorted(covered - registered),
    }
