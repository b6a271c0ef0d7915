"""Impact assessments an auditor accepts (ISO/IEC 42005): versioned criteria, locked approvals, re-assessment chains."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from aims.models import SignOff
from assessments import selectors, services, signoffs
from assessments.models import ImpactAssessment, ImpactCriteria
from registers import services as register_services
from registers.models import ModelRecord
from tests.assessments.helpers import make_assessment
from tests.factories import make_record
from tests.kit import second_factor, sign_data

pytestmark = pytest.mark.django_db

ROW = {
    "area": "privacy", "effect": "harm", "scenario": "misuse", "affected_group": "Patients", "people_scale": 4,
    "description": "Messages forwarded to the wrong team", "severity": 4, "likelihood": 2,
}  # fmt: skip


def approve(assessment, user):
    return services.impact_assessment_approve(
        assessment, user=user, expected_version=assessment.version, statement="Approved.", verification="totp"
    )


def test_an_assessment_is_made_on_the_criteria_in_force_and_leadership_approves_them(world, client_as):
    assessment = make_assessment(world.acme, world.officer, rows=[ROW])
    criteria = assessment.impact_criteria
    assert criteria.number == 1 and criteria.definition("severity_scale", 4).startswith("High:")
    url = reverse("assessments:impact_criteria_approve", args=[world.acme.pk, criteria.pk])
    assert client_as("officer").post(url, sign_data(signoffs.IMPACT_CRITERIA_APPROVAL, criteria, signer=world.officer)).status_code == 403  # fmt: skip
    done = client_as("leader").post(url, sign_data(signoffs.IMPACT_CRITERIA_APPROVAL, criteria, signer=world.leader))
    assert done.status_code == 302 and SignOff.objects.get().kind == signoffs.IMPACT_CRITERIA_APPROVAL
    row = assessment.rows.get()
    assert (row.effect, row.scenario, row.people_scale) == ("harm", "misuse", 4)


def test_criteria_need_a_definition_for_every_value(world):
    with pytest.raises(ValidationError, match="5 points"):
        services.impact_criteria_create(
            management_system=world.acme, user=world.officer, severity_scale=[{"label": "Low", "description": "x"}]
        )
    assert not ImpactCriteria.objects.exists()


def test_an_approved_assessment_is_locked_and_a_reassessment_is_a_new_linked_record(world, client_as):
    assessment = make_assessment(world.acme, world.officer, decision="proceed", rows=[ROW])
    approve(assessment, world.leader)
    with pytest.raises(ValidationError, match="locked"):
        services.impact_assessment_update(assessment, user=world.officer, expected_version=1, title="Changed")
    edit = client_as("officer").get(reverse("assessments:impact_edit", args=[world.acme.pk, assessment.pk]))
    assert edit.status_code == 302

    response = client_as("officer").post(reverse("assessments:impact_reassess", args=[world.acme.pk, assessment.pk]))

    successor = ImpactAssessment.objects.exclude(pk=assessment.pk).get()
    assert response.status_code == 302 and successor.predecessor == assessment
    assert successor.decision == "pending" and [r.description for r in successor.rows.all()] == [ROW["description"]]
    assert [a.pk for a in selectors.assessment_chain(assessment)] == [assessment.pk, successor.pk]
    page = client_as("auditor").get(
        reverse("registers:ai_system_detail", args=[world.acme.pk, assessment.ai_system_id])
    )
    assert f"{assessment.reference}</a> → " in page.content.decode()
    with pytest.raises(ValidationError, match="already re-assessed"):
        services.impact_assessment_reassess(assessment, user=world.officer)


def test_a_significant_change_of_the_system_makes_the_assessment_due_again(world):
    model = make_record(ModelRecord, world.acme, user=world.officer, name="Classifier", model_version="2.0")
    assessment = make_assessment(world.acme, world.officer, decision="proceed")
    system = register_services.ai_system_update(
        assessment.ai_system, user=world.officer, expected_version=1, model_records=[model]
    )
    approve(assessment, world.leader)
    assert selectors.reassessment_reasons(assessment) == []

    system = register_services.ai_system_update(
        system, user=world.officer, expected_version=system.version, lifecycle_stage="operation"
    )
    register_services.record_update(model, user=world.officer, expected_version=model.version, model_version="3.0")

    reasons = selectors.reassessment_reasons(ImpactAssessment.objects.get(pk=assessment.pk))
    assert any("moved into operation" in r for r in reasons) and "Classifier is now version 3.0" in reasons


def test_the_api_reassesses_and_approves_criteria(world, api_as):
    assessment = make_assessment(world.acme, world.officer, decision="proceed")
    approve(assessment, world.leader)
    officer = api_as("officer")
    locked = officer.patch(
        f"/api/v1/impact-assessments/{assessment.pk}/", {"title": "X"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert locked.status_code == 400 and "locked" in str(locked.json())
    created = officer.post(f"/api/v1/impact-assessments/{assessment.pk}/reassess/")
    assert created.status_code == 201 and created.json()["predecessor"] == assessment.pk
    criteria = assessment.impact_criteria
    approved = api_as("leader").post(
        f"/api/v1/impact-criteria/{criteria.pk}/approve/", {"statement": "Approved."}, format="json",
        HTTP_IF_MATCH=f'"{criteria.version}"', HTTP_X_OTP=second_factor(world.leader),
    )  # fmt: skip
    assert approved.status_code == 201 and approved.json()["kind"] == signoffs.IMPACT_CRITERIA_APPROVAL


def test_reassessment_compares_with_each_models_version_at_the_approval_not_its_first(world):
    model = make_record(ModelRecord, world.acme, user=world.officer, name="Classifier", model_version="2.0")
    assessment = make_assessment(world.acme, world.officer, decision="proceed")
    register_services.ai_system_update(
        assessment.ai_system, user=world.officer, expected_version=1, model_records=[model]
    )
    for version in ("2.1", "2.2"):  # versions before the approval: the last one is what was assessed
        model = register_services.record_update(
            model, user=world.officer, expected_version=model.version, model_version=version
        )
    approve(assessment, world.leader)
    model = register_services.record_update(
        model, user=world.officer, expected_version=model.version, notes="Renamed nothing, same version"
    )
    assert selectors.reassessment_reasons(ImpactAssessment.objects.get(pk=assessment.pk)) == []
    register_services.record_update(model, user=world.officer, expected_version=model.version, model_version="3.0")
    assert selectors.reassessment_reasons(ImpactAssessment.objects.get(pk=assessment.pk)) == [
        "Classifier is now version 3.0"
    ]


def test_reassessment_names_each_move_into_a_significant_stage_since_the_approval_and_no_other(
    world, django_assert_num_queries
):
    """Moves are found by comparing each version with the one before it: an edit that keeps the stage,
    a move into a stage that is not significant, and the stage the system had at the approval are no reason.
    """
    assessment = make_assessment(world.acme, world.officer, decision="proceed")
    system = register_services.ai_system_update(
        assessment.ai_system, user=world.officer, expected_version=1, lifecycle_stage="deployment"
    )
    approve(assessment, world.leader)

    def update(**changes):
        nonlocal system
        system = register_services.ai_system_update(
            system, user=world.officer, expected_version=system.version, **changes
        )

    update(purpose="Still deployed, edited")  # deployment at the approval and after: no move
    assert selectors.reassessment_reasons(ImpactAssessment.objects.get(pk=assessment.pk)) == []
    update(lifecycle_stage="operation")
    update(purpose="Operated, edited")
    update(lifecycle_stage="retired")  # not significant
    update(lifecycle_stage="operation")
    update(lifecycle_stage="deployment")
    day = f"{system.history.latest('history_date').history_date:%d %b %Y}"
    operation = f"moved into operation and monitoring on {day}"
    expected = [operation, operation, f"moved into deployment on {day}"]
    fresh = ImpactAssessment.objects.select_related("ai_system", "reassessment").get(pk=assessment.pk)
    latest = selectors.ledger.sign_offs_of(signoffs.APPROVAL, fresh).first()
    # The stages, the models linked at the approval, the models now (it has none: no changes to read).
    with django_assert_num_queries(3):
        assert selectors.reassessment_reasons_since(fresh, latest) == expected
    for number in range(5):
        update(purpose=f"Edited again {number}")
    fresh = ImpactAssessment.objects.select_related("ai_system", "reassessment").get(pk=assessment.pk)
    with django_assert_num_queries(3):  # however many versions since
        assert selectors.reassessment_reasons_since(fresh, latest) == expected
