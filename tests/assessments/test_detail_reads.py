"""The risk, impact and AI system pages read what they show once: the shortcuts agree with the long way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aims import ledger
from assessments import selectors, services, signoffs
from registers.models import ModelRecord
from tests.assessments.helpers import make_assessment, make_criteria, make_risk
from tests.factories import make_record
from tests.kit import count_queries

pytestmark = pytest.mark.django_db


def test_criteria_approval_in_one_query_agrees_with_the_sign_off_status(world):
    criteria = make_criteria(world.acme, world.officer)

    def long_way() -> bool:
        status = ledger.sign_off_status(signoffs.CRITERIA_APPROVAL, criteria)
        return status.latest is not None and not status.changed_since

    assert selectors.criteria_is_approved(criteria) is False and long_way() is False
    ledger.sign_off(
        kind=signoffs.CRITERIA_APPROVAL, subject=criteria, user=world.leader, statement="Approved.", verification="t"
    )
    assert count_queries(lambda: selectors.criteria_is_approved(criteria)) == 1
    assert selectors.criteria_is_approved(criteria) is True and long_way() is True
    criteria = services.risk_criteria_update(
        criteria, user=world.officer, expected_version=criteria.version, title="Corrected title"
    )
    assert selectors.criteria_is_approved(criteria) is False and long_way() is False


def test_the_versions_an_acceptance_signs_are_the_latest_of_the_risk_and_each_action_in_two_queries(world):
    actions = [{"description": f"Action {n}", "status": "planned"} for n in range(4)]
    risk = make_risk(world.acme, world.officer)
    risk = services.risk_update(risk, user=world.officer, expected_version=risk.version, actions=actions)
    risk = services.risk_update(
        risk,
        user=world.officer,
        expected_version=risk.version,
        actions=actions[:3] + [{"description": "New", "status": "planned"}],
    )
    expected = [risk.history.order_by("-history_id").first()] + [
        action.history.order_by("-history_id").first() for action in risk.actions.all()
    ]
    children = list(risk.actions.all())
    found = count_queries(lambda: signoffs._latest_rows(risk, children))
    assert found == 2
    assert [row.history_id for row in signoffs._latest_rows(risk, children)] == [row.history_id for row in expected]


def test_the_impact_box_gives_the_same_reasons_as_reassessment_reasons(world, client_as):
    model = make_record(ModelRecord, world.acme, user=world.officer, name="Classifier", model_version="2.0")
    assessment = make_assessment(world.acme, world.officer, decision="proceed")
    from registers import services as register_services

    system = register_services.ai_system_update(
        assessment.ai_system, user=world.officer, expected_version=1, model_records=[model]
    )
    services.impact_assessment_approve(
        assessment, user=world.leader, expected_version=assessment.version, statement="Approved.", verification="t"
    )
    register_services.ai_system_update(
        system, user=world.officer, expected_version=system.version, lifecycle_stage="operation"
    )
    register_services.record_update(model, user=world.officer, expected_version=model.version, model_version="3.0")
    reasons = selectors.reassessment_reasons(assessment)
    assert "Classifier is now version 3.0" in reasons and any("moved into operation" in r for r in reasons)
    system.refresh_from_db()
    context = selectors.ai_system_impact_context(user=world.officer, ai_system=system)
    assert context["reassessment_reasons"] == reasons
    page = client_as("officer").get(reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]))
    assert "Classifier is now version 3.0" in page.content.decode()


def test_ai_system_tabs_count_the_linked_records_without_reading_them(world, client_as):
    models = [make_record(ModelRecord, world.acme, user=world.officer, name=f"M{n}") for n in range(3)]
    assessment = make_assessment(world.acme, world.officer)
    from registers import services as register_services

    system = register_services.ai_system_update(
        assessment.ai_system, user=world.officer, expected_version=1, model_records=models
    )
    client = client_as("officer")
    for tab in ("", "?tab=datasets"):
        html = client.get(reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]) + tab).content.decode()
        assert 'Models <span class="count">3</span>' in html and 'Datasets <span class="count">0</span>' in html
    history = client.get(reverse("registers:ai_system_history", args=[world.acme.pk, system.pk])).content.decode()
    assert 'Models <span class="count">3</span>' in history


def test_a_long_list_of_reassessment_reasons_names_five_and_counts_the_rest():
    from django.template.loader import render_to_string

    partial = "assessments/partials/reassessment_reasons.html"
    reasons = [f"moved into stage {i}" for i in range(1, 8)]
    html = render_to_string(partial, {"reassessment_reasons": reasons})
    assert "moved into stage 5" in html and "moved into stage 6" not in html
    assert "; and 2 more changes" in html
    short = render_to_string(partial, {"reassessment_reasons": reasons[:2]}).strip()
    assert short == "moved into stage 1; moved into stage 2"
