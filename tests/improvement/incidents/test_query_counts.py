"""The incident list page, its API endpoint and the overview panel make as many queries for many incidents as for few."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from improvement.incidents import services
from tests.improvement.incidents.conftest import high_risk_system, make_incident
from tests.kit import assert_constant_queries, get_ok


def add_incidents(world, n: int, start: int) -> None:
    system = high_risk_system(world.acme, world.officer, name=f"System {start}")
    for i in range(start, start + n):
        incident = make_incident(
            world.acme, world.officer, title=f"Incident {i}", ai_systems=[system], possibly_serious=True,
            personal_data_breach=bool(i % 2), detected_at=timezone.now() - timedelta(days=i % 5, hours=1), owner=world.contributor,
        )  # fmt: skip
        if i % 3 == 0:
            services.incident_triage(incident, user=world.officer, expected_version=1, outcome="none", reason="R")


def test_incident_list_page_api_and_overview_queries_do_not_grow(world, client_as):
    add_incidents(world, 2, 3)  # INC-001 (3 days ago, a breach) is overdue
    ms = world.acme.pk
    urls = [
        reverse("improvement:incident_list", args=[ms]),
        f"/api/v1/incidents/?management_system={ms}",
        f"/api/v1/incidents/?management_system={ms}&overdue=yes&status=all",
        f"/ms/{ms}/",
    ]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_incidents(world, 6, 10))


def test_incident_page_queries_do_not_grow_with_its_timeline(world, client_as):
    system = high_risk_system(world.acme, world.officer)
    incident = make_incident(world.acme, world.officer, ai_systems=[system], possibly_serious=True,
                             personal_data_breach=True)  # fmt: skip
    client = client_as("leader")
    page = reverse("improvement:incident_detail", args=[world.acme.pk, incident.pk])

    def grow():
        for i in range(5):
            services.timeline_append(incident, user=world.officer, text=f"Entry {i}")

    assert_constant_queries(get_ok(client, page), grow)
