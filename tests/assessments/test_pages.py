"""HTML pages of the risk register, heat map and impact assessments."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments.models import ImpactAssessment, Risk
from assessments.signoffs import ACCEPTANCE
from controls.models import Control
from tests.assessments.helpers import make_assessment, make_criteria, make_risk
from tests.factories import make_ai_system
from tests.kit import sign_data


def url(name, ms, *args):
    return reverse(f"assessments:{name}", args=[ms.pk, *args])


def test_every_page_renders_for_an_auditor(world, client_as):
    risk = make_risk(
        world.acme, world.officer, residual_likelihood=2, residual_consequence=2, actions=[{"description": "Retrain"}]
    )
    assessment = make_assessment(
        world.acme,
        world.officer,
        rows=[
            {
                "area": "fairness",
                "affected_group": "Elderly patients",
                "description": "Under-triaged",
                "severity": 4,
                "likelihood": 3,
            }
        ],
    )
    client = client_as("auditor")
    pages = [
        url("risk_list", world.acme),
        url("risk_detail", world.acme, risk.pk),
        url("risk_history", world.acme, risk.pk),
        url("heatmap", world.acme),
        url("criteria_list", world.acme),
        url("criteria_detail", world.acme, risk.criteria_id),
        url("impact_list", world.acme),
        url("impact_detail", world.acme, assessment.pk),
        url("impact_history", world.acme, assessment.pk),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    body = client.get(url("risk_detail", world.acme, risk.pk)).content.decode()
    assert risk.title in body and "Retrain" in body and "Accept version" not in body


def test_officer_records_a_risk_with_controls_and_actions_through_the_form(world, client_as):
    make_criteria(world.acme, world.officer)
    system = make_ai_system(world.acme, user=world.officer)
    controls = list(Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position")[:2])
    data = {
        "title": "Chatbot leaks personal data",
        "ai_systems": [system.pk],
        "lifecycle_stage": "operation",
        "source": "privacy",
        "description": "Prompts may echo other patients' data.",
        "likelihood": "4",
        "consequence": "4",
        "treatment_option": "modify",
        "controls": [c.pk for c in controls],
        "residual_likelihood": "2",
        "residual_consequence": "3",
        "owner": world.officer.pk,
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-0-description": "Add output filter",
        "actions-0-status": "planned",
        "actions-1-description": "",
        "actions-1-status": "planned",
    }
    response = client_as("officer").post(url("risk_create", world.acme), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    risk = Risk.objects.get()
    assert (risk.inherent_level, risk.residual_level) == ("high", "medium")
    assert set(risk.controls.all()) == set(controls)
    assert [a.description for a in risk.actions.all()] == ["Add output filter"]


def test_bad_rating_in_the_form_is_shown_next_to_the_field_and_nothing_is_saved(world, client_as):
    make_criteria(world.acme, world.officer)
    data = {
        "title": "X",
        "source": "privacy",
        "description": "Y",
        "likelihood": "9",
        "consequence": "2",
        "treatment_option": "modify",
        "lifecycle_stage": "operation",
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
    }
    response = client_as("officer").post(url("risk_create", world.acme), data)
    assert response.status_code == 200
    assert re.search(r'id="id_likelihood_errors"', response.content.decode())
    assert "Y</textarea>" in response.content.decode()
    assert not Risk.objects.exists()


def test_leader_accepts_a_risk_on_its_page_and_the_list_shows_it(world, client_as):
    risk = make_risk(
        world.acme, world.officer, residual_likelihood=4, residual_consequence=4, acceptance_rationale="Proportionate."
    )
    client = client_as("leader")
    response = client.post(
        url("risk_accept", world.acme, risk.pk),
        sign_data(ACCEPTANCE, risk, "Accepted for one year.", signer=world.leader),
    )
    assert response.status_code == 302
    body = client.get(url("risk_list", world.acme) + "?accepted=yes").content.decode()
    assert risk.reference in body and "Accepted" in body


def test_officer_cannot_accept_a_critical_risk_on_its_page(world, client_as):
    risk = make_risk(
        world.acme, world.owner, owner=world.officer, residual_likelihood=5, residual_consequence=5,
        acceptance_rationale="Tried.",
    )  # fmt: skip
    response = client_as("officer").post(
        url("risk_accept", world.acme, risk.pk), sign_data(ACCEPTANCE, risk, "Fine.", signer=world.officer)
    )
    assert response.status_code == 403


def test_raising_a_risk_from_an_impact_row_links_both_ways(world, client_as):
    assessment = make_assessment(
        world.acme,
        world.officer,
        rows=[
            {
                "area": "privacy",
                "affected_group": "Patients",
                "description": "Health data exposed",
                "severity": 5,
                "likelihood": 2,
            }
        ],
    )
    row = assessment.rows.get()
    response = client_as("officer").post(url("impact_raise_risk", world.acme, assessment.pk, row.pk))
    risk = Risk.objects.get()
    assert response.status_code == 302 and response["Location"] == url("risk_edit", world.acme, risk.pk)
    assert risk.impact_row == row and list(row.risks.all()) == [risk]
    assert list(risk.ai_systems.all()) == [assessment.ai_system]
    assert (risk.source, risk.likelihood, risk.consequence) == ("privacy", 2, 5)
    detail = client_as("auditor").get(url("impact_detail", world.acme, assessment.pk)).content.decode()
    assert risk.reference in detail
    assert assessment.reference in client_as("auditor").get(url("risk_detail", world.acme, risk.pk)).content.decode()


def test_officer_creates_an_impact_assessment_with_rows(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    data = {
        "ai_system": system.pk, "title": "Initial AIIA", "trigger": "initial", "lifecycle_stage": "design", "scope": "All of it",
        "model_origin": "third_party", "decision": "proceed", "retention_period": "10 years",
        "rows-TOTAL_FORMS": "2", "rows-INITIAL_FORMS": "0",
        "rows-0-area": "fairness", "rows-0-affected_group": "Non-native speakers", "rows-0-description": "Misread", "rows-0-severity": "3",
        "rows-0-likelihood": "3", "rows-0-reversibility": "reversible", "rows-0-effect": "harm",
        "rows-0-scenario": "failure", "rows-0-people_scale": "4",
        "rows-1-reversibility": "reversible", "rows-1-effect": "harm", "rows-1-scenario": "intended_use",
    }  # fmt: skip
    response = client_as("officer").post(url("impact_create", world.acme), data)
    assert response.status_code == 302, response.content.decode()[:4000]
    assessment = ImpactAssessment.objects.get()
    assert assessment.system_version == "register v1"
    assert [r.affected_group for r in assessment.rows.all()] == ["Non-native speakers"]
    row = assessment.rows.get()
    assert (row.effect, row.scenario, row.people_scale) == ("harm", "failure", 4)
    assert assessment.impact_criteria.number == 1  # the default criteria were put in force


def test_heat_map_cells_link_to_the_filtered_register(world, client_as):
    risk = make_risk(world.acme, world.officer, likelihood=2, consequence=5)
    other = make_risk(world.acme, world.officer, title="Other", likelihood=1, consequence=1)
    client = client_as("auditor")
    body = client.get(url("heatmap", world.acme)).content.decode()
    link = url("risk_list", world.acme) + "?basis=inherent&amp;likelihood=2&amp;consequence=5"
    assert link in body
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert risk.reference in listed and other.reference not in listed


@pytest.mark.parametrize("persona", ["outsider", "expired_auditor"])
def test_outsiders_get_404_on_every_page(world, client_as, persona):
    risk = make_risk(world.acme, world.officer)
    assessment = make_assessment(world.acme, world.officer)
    client = client_as(persona)
    for page in [
        url("risk_list", world.acme),
        url("risk_detail", world.acme, risk.pk),
        url("heatmap", world.acme),
        url("impact_detail", world.acme, assessment.pk),
    ]:
        assert client.get(page).status_code == 404


def test_officer_deletes_a_risk_after_confirming_and_its_history_stays(world, client_as):
    risk = make_risk(world.acme, world.officer, actions=[{"description": "Retrain"}])
    client = client_as("officer")
    page = url("risk_delete", world.acme, risk.pk)
    assert "Delete" in client.get(page).content.decode()
    stale = client.post(page, {"version": 9})
    assert stale.status_code == 409 and Risk.objects.exists()
    response = client.post(page, {"version": 1, "change_reason": "Duplicate of RISK-002"})
    assert response.status_code == 302 and not Risk.objects.exists()
    assert Risk.history.filter(history_type="-").get().history_change_reason == "Duplicate of RISK-002"
    assert client_as("leader").get(url("risk_delete", world.acme, risk.pk)).status_code == 404


def test_leader_cannot_delete_an_impact_assessment(world, client_as):
    assessment = make_assessment(world.acme, world.officer)
    assert client_as("leader").post(url("impact_delete", world.acme, assessment.pk), {"version": 1}).status_code == 403
    assert client_as("officer").post(url("impact_delete", world.acme, assessment.pk), {"version": 1}).status_code == 302
    assert not ImpactAssessment.objects.exists()


def test_heat_map_as_of_a_past_day_shows_what_was_there_without_links(world, client_as):
    from datetime import timedelta

    from django.utils import timezone

    make_risk(world.acme, world.officer, likelihood=2, consequence=5)
    client = client_as("auditor")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    past = client.get(url("heatmap", world.acme), {"as_of": yesterday}).content.decode()
    assert "No risk criteria yet" in past
    today = client.get(url("heatmap", world.acme), {"as_of": timezone.localdate().isoformat()}).content.decode()
    assert "1 risk on Risk criteria v1" in today and "<a href" not in today.split("<svg")[1].split("</svg>")[0]


def test_history_tab_lists_treatment_action_changes_and_keeps_unchanged_actions(world, client_as):
    from assessments import services

    risk = make_risk(
        world.acme, world.officer, actions=[{"description": "Retrain", "status": "planned"}, {"description": "Audit"}]
    )
    retrain, audit = risk.actions.order_by("pk")
    services.risk_update(
        risk, user=world.officer, expected_version=1, reason="Retraining started",
        actions=[{"id": retrain.pk, "description": "Retrain", "status": "in_progress"}, {"id": audit.pk, "description": "Audit"}],
    )  # fmt: skip
    assert audit.history.count() == 1 and retrain.history.count() == 2
    body = client_as("auditor").get(url("risk_history", world.acme, risk.pk)).content.decode()
    assert "Treatment action changes" in body and "Retraining started" in body and "In progress" in body
