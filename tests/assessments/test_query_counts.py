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
from tests.kit import assert_constant_queries, get_ok


def add_risks(world, n: int, start: int) -> None:
    system = make_ai_system(world.acme, user=world.officer, name=f"System {start}")
    controls = list(Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position")[:2])
    for i in range(start, start + n):
        risk = make_risk(
            world.acme, world.officer, title=f"Risk {i}", ai_systems=[system], controls=controls, owner=world.officer,
            residual_likelihood=1, residual_consequence=2, actions=[{"description": f"Action {i}", "owner": world.contributor}],
        )  # fmt: skip
        if i % 2:
            services.risk_accept(
                risk, verification="password", user=world.leader, expected_version=risk.version, statement="Accepted"
            )


def add_assessments(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        assessment = make_assessment(
            world.acme, world.officer, title=f"AIIA {i}", decision="proceed",
            rows=[{"area": "privacy", "affected_group": "Patients", "description": "x", "severity": 3, "likelihood": 2}],
        )  # fmt: skip
        if i % 2:
            services.impact_assessment_approve(
                assessment, verification="password", user=world.leader, expected_version=1, statement="Approved"
            )


def test_risk_list_page_and_api_queries_do_not_grow_with_risks(world, client_as):
    make_criteria(world.acme, world.officer)
    add_risks(world, 2, 0)
    urls = [reverse("assessments:risk_list", args=[world.acme.pk]), f"/api/v1/risks/?management_system={world.acme.pk}"]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_risks(world, 6, 10))


def test_risk_list_page_and_api_queries_do_not_grow_with_risks_or_ai_systems_when_filtered(world, client_as):
    make_criteria(world.acme, world.officer)
    add_risks(world, 2, 0)
    page = reverse("assessments:risk_list", args=[world.acme.pk])
    api = f"/api/v1/risks/?management_system={world.acme.pk}"
    urls = [
        f"{page}?system_search=system&accepted=no&level=low",
        f"{page}?page=2",
        f"{api}&system_search=system&accepted=yes&page_size=200",
        f"{api}&status=all&page_size=200",
    ]
    client = client_as("auditor")
    counts = assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_risks(world, 6, 10))
    # The API list reads the page, its count, the three links and the sign-offs (two): nothing per row.
    assert counts[urls[2]] == counts[urls[3]]


def test_risk_and_impact_lists_never_use_distinct(world, client_as):
    """Filters on links are EXISTS subqueries: no row repeats, so no query needs DISTINCT (a sort of every row)."""
    make_criteria(world.acme, world.officer)
    add_risks(world, 3, 0)
    add_assessments(world, 2, 0)
    control = Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position").first()
    risk_filters = f"q=risk&system_search=system&accepted=yes&control={control.pk}&overdue=no&level=low&status=all"
    urls = [
        f"{reverse('assessments:risk_list', args=[world.acme.pk])}?{risk_filters}",
        f"/api/v1/risks/?{risk_filters}",
        f"{reverse('assessments:impact_list', args=[world.acme.pk])}?system_search=a&q=AIIA&overdue=no",
        "/api/v1/impact-assessments/?system_search=a&q=AIIA&overdue=no",
    ]
    client = client_as("auditor")
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert not [q["sql"] for q in captured if "DISTINCT" in q["sql"].upper()], url


def test_impact_assessment_list_page_and_api_queries_do_not_grow(world, client_as):
    add_assessments(world, 2, 0)
    urls = [reverse("assessments:impact_list", args=[world.acme.pk]), "/api/v1/impact-assessments/"]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_assessments(world, 6, 10))


def test_heat_map_page_api_and_svg_queries_do_not_grow_with_risks(world, client_as):
    make_criteria(world.acme, world.officer)
    add_risks(world, 2, 0)
    urls = [
        reverse("assessments:heatmap", args=[world.acme.pk]),
        f"/api/v1/management-systems/{world.acme.pk}/heatmap/",
    ]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_risks(world, 6, 10))

    svg = assert_constant_queries(lambda: heatmap_svg(world.acme), lambda: add_risks(world, 3, 50), warm=False)
    assert svg == 2
