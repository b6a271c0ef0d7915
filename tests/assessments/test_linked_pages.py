"""Risks and impact assessments shown on other areas' pages: SoA rows and the AI system page."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from assessments import services
from controls.models import Control
from tests.assessments.helpers import make_assessment, make_risk
from tests.factories import make_ai_system
from tests.kit import assert_constant_queries, get_ok


def test_soa_rows_show_their_linked_risks_in_a_constant_number_of_queries(world, client_as):
    a, b = Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position")[:2]
    first = make_risk(world.acme, world.officer, controls=[a])
    soa = get_ok(client_as("auditor"), reverse("controls:soa", args=[world.acme.pk]))
    assert first.reference in soa().content.decode()

    def link_more_risks():
        for i in range(4):
            make_risk(world.acme, world.officer, title=f"More {i}", controls=[a, b])

    assert_constant_queries(soa, link_more_risks)
    assert soa().content.decode().count(">RISK-005<") == 2


def test_ai_system_page_shows_latest_impact_assessment_decision_and_overdue(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    make_assessment(world.acme, world.officer, system=system, title="Old one", decision="stop")
    latest = make_assessment(
        world.acme, world.officer, system=system, title="Latest one", decision="proceed",
        next_review=timezone.localdate() - timedelta(days=3),
    )  # fmt: skip
    services.impact_assessment_approve(
        latest, verification="password", user=world.leader, expected_version=1, statement="Go"
    )
    body = (
        client_as("auditor")
        .get(reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]))
        .content.decode()
    )
    assert "Latest one" in body and "Old one" not in body
    assert "Proceed" in body and "Approved by leader" in body and "Overdue" in body


def test_ai_system_page_without_assessment_offers_to_start_one_to_editors_only(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    url = reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk])
    start = reverse("assessments:impact_create", args=[world.acme.pk]) + f"?system={system.pk}"
    assert start in client_as("officer").get(url).content.decode()
    body = client_as("auditor").get(url).content.decode()
    assert "No impact assessment yet" in body and start not in body
