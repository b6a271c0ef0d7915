"""The evidence list filters alike on its page and its API list endpoint: search, and every version or current ones."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from django.urls import reverse

from evidence.services import evidence_supersede
from tests.factories import EvidenceFactory
from tests.kit import assert_constant_queries, listed_by_api, listed_on_page

API = "/api/v1/evidence/"


def page_url(world) -> str:
    return reverse("evidence:list", args=[world.acme.pk])


def record(world, title: str, day: int = 1, **kwargs):
    return EvidenceFactory(
        management_system=world.acme, user=world.officer, title=title, evidence_date=date(2026, 1, day), **kwargs
    )


@pytest.fixture
def evidence(world) -> dict:
    """A bias test report corrected once (v1 superseded by v2), and a model card."""
    v1 = record(world, "Bias test report", 1)
    v2 = evidence_supersede(
        v1, user=world.officer, title="Bias test report, corrected", evidence_date=date(2026, 1, 2),
        url="https://example.org/v2",
    )  # fmt: skip
    card = record(world, "Model card", 3)
    EvidenceFactory(management_system=world.northwind, user=world.outsider, title="Bias test at Northwind")
    return {"v1": v1, "v2": v2, "card": card}


EVIDENCE_QUERIES = [
    pytest.param({}, {"v2", "card"}, id="current-versions-by-default"),
    pytest.param({"all": "1"}, {"v1", "v2", "card"}, id="all-1"),
    pytest.param({"all": "true"}, {"v1", "v2", "card"}, id="all-true"),
    pytest.param({"all": "on"}, {"v1", "v2", "card"}, id="all-on-as-the-checkbox-sends"),
    pytest.param({"all": "0"}, {"v2", "card"}, id="all-0"),
    pytest.param({"all": "false"}, {"v2", "card"}, id="all-false"),
    pytest.param({"q": "bias"}, {"v2"}, id="q-title"),
    pytest.param({"q": "bias", "all": "1"}, {"v1", "v2"}, id="q-and-all"),
    pytest.param({"q": "EVD-003"}, {"card"}, id="q-reference"),
    pytest.param({"q": "EVD-001"}, set(), id="q-superseded-reference-needs-all"),
]


@pytest.mark.parametrize("params,expected", EVIDENCE_QUERIES)
def test_evidence_page_and_api_list_the_same_evidence(world, client_as, evidence, params, expected):
    client = client_as("auditor")
    want = {evidence[name].reference for name in expected}

    assert listed_on_page(client, page_url(world), params) == want
    assert listed_by_api(client, API, {**params, "management_system": world.acme.pk}) == want
    assert listed_by_api(client, API, params) == want


@pytest.mark.parametrize(
    "params,field",
    [pytest.param({"all": "maybe"}, "all", id="all"), pytest.param({"q": "x" * 201}, "q", id="q-too-long")],
)
def test_invalid_evidence_filter_is_a_form_error_on_the_page_and_a_400_on_the_api(
    world, client_as, evidence, params, field
):
    client = client_as("auditor")

    page = client.get(page_url(world), params)
    assert page.status_code == 200
    assert f'id="id_{field}_errors"' in page.content.decode()
    # The invalid filter is ignored, which leaves the current versions.
    assert {e.reference for e in page.context["page_obj"].object_list} == {
        evidence["v2"].reference,
        evidence["card"].reference,
    }

    response = client.get(API, {**params, "management_system": world.acme.pk})
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_superseded_version_is_still_found_at_its_own_api_url(world, client_as, evidence):
    response = client_as("auditor").get(f"{API}{evidence['v1'].pk}/", {"q": "nothing like it"})
    assert response.status_code == 200 and response.json()["superseded"] is True


def test_evidence_page_shows_the_search_and_the_superseded_checkbox(world, client_as, evidence):
    client = client_as("auditor")
    plain = client.get(page_url(world)).content.decode()
    assert '<input type="search" name="q"' in plain
    assert '<input type="checkbox" name="all" value="1" id="id_all">' in plain
    assert ">Clear</a>" not in plain

    everything = client.get(page_url(world), {"all": "1", "q": "bias"}).content.decode()
    assert '<input type="checkbox" name="all" value="1" id="id_all" checked>' in everything
    assert "Showing every version." in everything and ">Clear</a>" in everything

    nothing = client.get(page_url(world), {"q": "minutes"}).content.decode()
    assert "No evidence matches these filters." in nothing


def test_filtered_evidence_page_and_api_queries_do_not_grow_with_rows(world, client_as, evidence):
    client = client_as("auditor")
    query = {"q": "report", "all": "1"}
    n = iter(range(2, 100))

    def grow() -> None:
        for _ in range(4):
            old = record(world, f"Test report {next(n)}")
            evidence_supersede(old, user=world.officer, evidence_date=date(2026, 1, 5), url="https://example.org/c")

    def fetch() -> None:
        assert listed_on_page(client, page_url(world), query)
        assert listed_by_api(client, API, {**query, "management_system": world.acme.pk})

    assert_constant_queries(fetch, grow)


def test_schema_lists_the_evidence_filters(superuser_client):
    schema = yaml.safe_load(superuser_client.get("/api/schema/").content)  # the schema is for signed-in people
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/evidence/"]["get"]["parameters"]}
    assert set(parameters) == {"q", "all", "management_system", "page", "page_size"}
    assert parameters["all"]["schema"] == {"type": "boolean"}
