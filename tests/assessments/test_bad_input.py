"""Bad input is refused with a clear message and nothing is saved (services, API and forms)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from assessments import services
from assessments.models import ImpactAssessment, Risk, TreatmentAction
from controls.models import Control
from tests.assessments.helpers import make_criteria, make_risk
from tests.factories import make_ai_system


def counts():
    return Risk.objects.count(), Risk.history.count(), TreatmentAction.objects.count()


def base(world, **extra):
    return {
        "management_system": world.acme.pk,
        "title": "T",
        "source": "privacy",
        "description": "D",
        "likelihood": 2,
        "consequence": 3,
    } | extra


@pytest.mark.parametrize(("field", "value"), [("likelihood", 6), ("consequence", 0), ("residual_likelihood", 9)])
def test_rating_off_the_scale_is_refused_by_the_service(world, field, value):
    make_criteria(world.acme, world.officer)
    fields = {"residual_likelihood": 1, "residual_consequence": 1, field: value}
    before = counts()
    with pytest.raises(ValidationError) as err:
        make_risk(world.acme, world.officer, actions=[{"description": "Should not be saved"}], **fields)
    assert field in err.value.message_dict and "off the scale" in err.value.message_dict[field][0]
    assert counts() == before


def test_rating_off_the_scale_is_refused_by_the_api(world, client_as):
    make_criteria(world.acme, world.officer)
    response = client_as("officer").post(
        "/api/v1/risks/", base(world, likelihood=7, actions=[{"description": "x"}]), content_type="application/json"
    )
    assert response.status_code == 400 and "likelihood" in response.json()
    assert counts() == (0, 0, 0)


def test_unknown_control_is_refused_by_the_api(world, client_as):
    make_criteria(world.acme, world.officer)
    missing = (Control.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    response = client_as("officer").post(
        "/api/v1/risks/", base(world, controls=[missing]), content_type="application/json"
    )
    assert response.status_code == 400 and "controls" in response.json()
    assert counts() == (0, 0, 0)


def test_unknown_control_is_refused_by_the_form(world, client_as):
    make_criteria(world.acme, world.officer)
    from django.urls import reverse

    data = {"title": "T", "source": "privacy", "description": "D", "likelihood": "2", "consequence": "2", "treatment_option": "modify",
            "lifecycle_stage": "operation", "controls": ["999999"], "actions-TOTAL_FORMS": "0", "actions-INITIAL_FORMS": "0"}  # fmt: skip
    response = client_as("officer").post(reverse("assessments:risk_create", args=[world.acme.pk]), data)
    assert response.status_code == 200 and "id_controls_errors" in response.content.decode()
    assert counts() == (0, 0, 0)


def test_ai_system_of_another_management_system_is_refused_by_the_service(world):
    foreign = make_ai_system(world.northwind, user=world.outsider)
    with pytest.raises(ValidationError) as err:
        make_risk(world.acme, world.officer, ai_systems=[foreign])
    assert "ai_systems" in err.value.message_dict
    assert Risk.objects.count() == 0


def test_ai_system_of_another_management_system_is_refused_by_the_api(world, client_as):
    make_criteria(world.acme, world.officer)
    foreign = make_ai_system(world.northwind, user=world.outsider)
    response = client_as("officer").post(
        "/api/v1/risks/", base(world, ai_systems=[foreign.pk]), content_type="application/json"
    )
    assert response.status_code == 400 and "ai_systems" in response.json()
    assert counts() == (0, 0, 0)


def test_impact_assessment_of_a_system_in_another_management_system_is_refused(world, client_as):
    foreign = make_ai_system(world.northwind, user=world.outsider)
    with pytest.raises(ValidationError):
        services.impact_assessment_create(
            management_system=world.acme, user=world.officer, ai_system=foreign, title="X", scope="Y"
        )
    body = {"management_system": world.acme.pk, "ai_system": foreign.pk, "title": "X", "scope": "Y"}
    assert (
        client_as("officer").post("/api/v1/impact-assessments/", body, content_type="application/json").status_code
        == 400
    )
    assert ImpactAssessment.objects.count() == 0


def test_risk_owner_must_be_a_member(world):
    with pytest.raises(ValidationError) as err:
        make_risk(world.acme, world.officer, owner=world.outsider)
    assert "owner" in err.value.message_dict and Risk.objects.count() == 0


def test_half_a_residual_rating_is_refused(world):
    with pytest.raises(ValidationError) as err:
        make_risk(world.acme, world.officer, residual_likelihood=2)
    assert "residual_consequence" in err.value.message_dict


def test_impact_row_with_a_bad_rating_saves_nothing(world):
    system = make_ai_system(world.acme, user=world.officer)
    rows = [{"area": "privacy", "affected_group": "Patients", "description": "x", "severity": 9, "likelihood": 1}]
    with pytest.raises(ValidationError):
        services.impact_assessment_create(
            management_system=world.acme, user=world.officer, ai_system=system, title="X", scope="Y", rows=rows
        )
    assert ImpactAssessment.objects.count() == 0 and ImpactAssessment.history.count() == 0
