"""Lists and the heat map use the same number of queries for few and many risks or assessments."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.heatmap import heatmap_svg
from controls.models import Control
from tests.assessments.helpers import make_assessment, make_criteria, make_risk
from tests.factories import make_ai_system


def add_risks(world, n: int, start: int) -> None:
    system = make_ai_system(world.acme, user=world.officer, name=f"System {start}")
    controls = list(Control.objects.order_by("position")[:2])
    for i in range(start, start + n):
        risk = make_risk(
            world.acme, world.officer, title=f"Risk {i}", ai_systems=[system], controls=controls, owner=world.officer,
            residual_likelihood=1, residual_consequence=2, actions=[{"description": f"Action {i}", "owner": world.contributor}],
        )  # fmt: skip
        if i % 2:
            services.risk_accept(risk, user=world.leader, expected_version=risk.version, statement="Accepted")


def add_assessments(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        assessment = make_assessment(
            world.acme, world.officer, title=f"AIIA {i}", decision="proceed",
            rows=[{"area": "privacy", "affected_group": "Patients", "description": "x", "severity": 3, "likelihood": 2}],
        )  # fmt: skip
        if i % 2:
            services.impact_assessment_approve(assessment, user=world.leader, expected_version=1, statement="Approved")


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def assert_constant(world, client, urls, grow) -> None:
    grow(world, 2, 0)
    few = [count_queries(client, u) for u in urls]
    grow(world, 6, 10)
    many = [count_queries(client, u) for u in urls]
    assert few == many


def test_risk_list_page_and_api_queries_do_not_grow_with_risks(world, client_as):
    make_criteria(world.acme, world.officer)
    urls = [reverse("assessments:risk_list", args=[world.acme.pk]), f"/api/v1/risks/?management_system={world.acme.pk}"]
    assert_constant(world, client_as("auditor"), urls, add_risks)


def test_impact_assessment_list_page_and_api_queries_do_not_grow(world, client_as):
    urls = [reverse("assessments:impact_list", args=[world.acme.pk]), "/api/v1/impact-assessments/"]
    assert_constant(world, client_as("auditor"), urls, add_assessments)


def test_heat_map_page_api_and_svg_queries_do_not_grow_with_risks(world, client_as):
    make_criteria(world.acme, world.officer)
    urls = [
        reverse("assessments:heatmap", args=[world.acme.pk]),
        f"/api/v1/management-systems/{world.acme.pk}/heatmap/",
    ]
    assert_constant(world, client_as("auditor"), urls, add_risks)

    def svg_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            heatmap_svg(world.acme)
        return len(ctx.captured_queries)

    before = svg_queries()
    add_risks(world, 3, 50)
    assert svg_queries() == before == 2
