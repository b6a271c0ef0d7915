"""The AI system and record lists filter alike on their page and their API list endpoint."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from aims import services as aims_services
from aims.models import Role
from tests.factories import DatasetRecord, ModelRecord, Supplier, make_ai_system, make_record
from tests.kit import assert_constant_queries, listed_by_api, listed_on_page

API = "/api/v1/ai-systems/"


def page_url(world) -> str:
    return reverse("registers:ai_system_list", args=[world.acme.pk])


@pytest.fixture
def systems(world) -> dict:
    """Four Acme AI systems that differ in every filtered field, and one of Northwind."""
    make = make_ai_system
    acme = world.acme
    return {
        "radiology": make(
            acme, user=world.owner, name="Radiology triage", purpose="Reads chest X-rays.",
            lifecycle_stage="operation", eu_ai_act_risk_class="high", owner=world.contributor,
        ),
        "faq": make(
            acme, user=world.owner, name="FAQ bot", purpose="Answers questions about opening hours.",
            lifecycle_stage="operation", eu_ai_act_risk_class="limited", in_scope=False, owner=world.officer,
        ),
        "rota": make(acme, user=world.owner, name="Rota planner", purpose="Plans shifts.", lifecycle_stage="design"),
        "letters": make(
            acme, user=world.owner, name="Discharge letters", purpose="Drafts discharge letters.",
            lifecycle_stage="verification", owner=world.contributor,
        ),
        "northwind": make(world.northwind, user=world.outsider, name="Radiology at Northwind", owner=world.outsider),
    }  # fmt: skip


def resolve(params: dict, world) -> dict:
    """Query values "@persona" stand for that persona's user id."""
    return {k: world.users[v[1:]].pk if str(v).startswith("@") else v for k, v in params.items()}


SYSTEM_QUERIES = [
    pytest.param({}, {"radiology", "faq", "rota", "letters"}, id="no-filter"),
    pytest.param({"q": "radiology"}, {"radiology"}, id="q-name"),
    pytest.param({"q": "x-rays"}, {"radiology"}, id="q-purpose"),
    pytest.param({"q": "AIS-003"}, {"rota"}, id="q-reference"),
    pytest.param({"lifecycle_stage": "operation"}, {"radiology", "faq"}, id="lifecycle_stage"),
    pytest.param({"eu_ai_act_risk_class": "high"}, {"radiology"}, id="eu_ai_act_risk_class"),
    pytest.param({"in_scope": "false"}, {"faq"}, id="in_scope-false"),
    pytest.param({"in_scope": "true"}, {"radiology", "rota", "letters"}, id="in_scope-true"),
    pytest.param({"owner": "@contributor"}, {"radiology", "letters"}, id="owner"),
    pytest.param({"owner": "@contributor", "lifecycle_stage": "operation"}, {"radiology"}, id="combined"),
    pytest.param({"q": "nothing like this"}, set(), id="no-match"),
]


@pytest.mark.parametrize("params,expected", SYSTEM_QUERIES)
def test_ai_system_page_and_api_list_the_same_systems(world, client_as, systems, params, expected):
    client = client_as("auditor")
    query = resolve(params, world)
    want = {systems[name].reference for name in expected}

    assert listed_on_page(client, page_url(world), query) == want
    assert listed_by_api(client, API, {**query, "management_system": world.acme.pk}) == want
    # The auditor sees Acme only, so without ?management_system= the API lists the same.
    assert listed_by_api(client, API, query) == want


BAD_SYSTEM_FILTERS = [
    pytest.param({"lifecycle_stage": "flying"}, "lifecycle_stage", id="lifecycle_stage"),
    pytest.param({"eu_ai_act_risk_class": "scary"}, "eu_ai_act_risk_class", id="eu_ai_act_risk_class"),
    pytest.param({"in_scope": "maybe"}, "in_scope", id="in_scope"),
    pytest.param({"owner": "abc"}, "owner", id="owner-not-a-number"),
    pytest.param({"owner": "@outsider"}, "owner", id="owner-of-another-management-system"),
    pytest.param({"owner": "@expired_auditor"}, "owner", id="owner-no-longer-a-member"),
    pytest.param({"owner": "99999999999999999999"}, "owner", id="owner-out-of-range"),
    pytest.param({"q": "x" * 201}, "q", id="q-too-long"),
]


@pytest.mark.parametrize("params,field", BAD_SYSTEM_FILTERS)
def test_invalid_ai_system_filter_is_a_form_error_on_the_page_and_a_400_on_the_api(
    world, client_as, systems, params, field
):
    client = client_as("auditor")
    query = resolve(params, world)

    page = client.get(page_url(world), {**query, "lifecycle_stage": query.get("lifecycle_stage", "operation")})
    assert page.status_code == 200
    assert f'id="id_{field}_errors"' in page.content.decode()
    if field != "lifecycle_stage":  # the valid filter still applies; the invalid one is ignored
        assert {s.name for s in page.context["page_obj"]} == {"Radiology triage", "FAQ bot"}

    response = client.get(API, {**query, "management_system": world.acme.pk})
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_api_without_management_system_accepts_an_owner_from_any_management_system_the_user_sees(
    world, client_as, systems
):
    aims_services.membership_add(
        management_system=world.northwind, actor=world.outsider, user=world.officer, role=Role.OFFICER
    )
    client = client_as("officer")

    assert listed_by_api(client, API, {"owner": world.outsider.pk}) == {systems["northwind"].reference}
    in_acme = client.get(API, {"owner": world.outsider.pk, "management_system": world.acme.pk})
    assert in_acme.status_code == 400 and "owner" in in_acme.json()
    # The auditor sees Acme only: Northwind's owner is no choice at all.
    assert client_as("auditor").get(API, {"owner": world.outsider.pk}).status_code == 400


def test_filtered_page_keeps_the_values_and_offers_to_clear_them(world, client_as, systems):
    body = client_as("auditor").get(page_url(world), {"q": "bot", "owner": world.officer.pk}).content.decode()
    assert 'name="q" value="bot"' in body
    assert f'<option value="{world.officer.pk}" selected>' in body
    assert f'<a href="{page_url(world)}">Clear</a>' in body and "1 AI system matches the filters" in body
    unfiltered = client_as("auditor").get(page_url(world)).content.decode()
    assert ">Clear</a>" not in unfiltered and "4 AI systems." in unfiltered


def test_owner_choices_are_the_active_members_of_the_management_system(world, client_as, systems):
    form = client_as("auditor").get(page_url(world)).context["filterset"].form
    owners = {user.username for user in form.fields["owner"].queryset}
    assert owners == {"owner", "officer", "leader", "contributor", "auditor"}


def test_filtered_ai_system_page_and_api_queries_do_not_grow_with_rows(world, client_as, systems):
    client = client_as("auditor")
    query = {"q": "triage", "lifecycle_stage": "operation", "in_scope": "true", "owner": world.contributor.pk}
    n = iter(range(100))

    def grow() -> None:
        for _ in range(5):
            make_ai_system(
                world.acme, user=world.owner, name=f"Triage {next(n)}", lifecycle_stage="operation",
                owner=world.contributor,
            )  # fmt: skip

    def fetch() -> None:
        assert len(listed_on_page(client, page_url(world), query)) >= 1
        assert len(listed_by_api(client, API, {**query, "management_system": world.acme.pk})) >= 1

    assert_constant_queries(fetch, grow)


# --- model records, dataset records, suppliers ---------------------------------------------

KINDS = [
    pytest.param("model-records", ModelRecord, id="model-records"),
    pytest.param("dataset-records", DatasetRecord, id="dataset-records"),
    pytest.param("suppliers", Supplier, id="suppliers"),
]
RECORD_QUERIES = [
    pytest.param({}, {"Alpha vision", "Beta speech", "Gamma vision"}, id="no-filter"),
    pytest.param({"q": "vision"}, {"Alpha vision", "Gamma vision"}, id="q-name"),
    pytest.param({"q": "-002"}, {"Beta speech"}, id="q-reference"),
    pytest.param({"q": "delta"}, set(), id="no-match"),
]


@pytest.mark.parametrize("params,expected", RECORD_QUERIES)
@pytest.mark.parametrize("kind,model", KINDS)
def test_record_page_and_api_list_the_same_records(world, client_as, kind, model, params, expected):
    records = {
        name: make_record(model, world.acme, user=world.owner, name=name)
        for name in ("Alpha vision", "Beta speech", "Gamma vision")
    }
    make_record(model, world.northwind, user=world.outsider, name="Alpha vision at Northwind")
    client = client_as("auditor")
    want = {records[name].reference for name in expected}

    assert listed_on_page(client, reverse("registers:record_list", args=[world.acme.pk, kind]), params) == want
    assert listed_by_api(client, f"/api/v1/{kind}/", {**params, "management_system": world.acme.pk}) == want


@pytest.mark.parametrize("kind,model", KINDS)
def test_over_long_record_search_is_a_form_error_on_the_page_and_a_400_on_the_api(world, client_as, kind, model):
    make_record(model, world.acme, user=world.owner, name="Alpha vision")
    client = client_as("auditor")

    page = client.get(reverse("registers:record_list", args=[world.acme.pk, kind]), {"q": "x" * 201})
    assert page.status_code == 200 and 'id="id_q_errors"' in page.content.decode()
    assert len(page.context["page_obj"]) == 1  # the invalid search is ignored

    response = client.get(f"/api/v1/{kind}/", {"q": "x" * 201})
    assert response.status_code == 400 and list(response.json()) == ["q"]


def test_schema_lists_the_filters_of_every_register_list(superuser_client):
    schema = yaml.safe_load(superuser_client.get("/api/schema/").content)  # the schema is for signed-in people
    expected = {
        "ai-systems": {"q", "lifecycle_stage", "eu_ai_act_risk_class", "in_scope", "owner", "status"},
        "model-records": {"q", "status"},
        "dataset-records": {"q", "status"},
        "suppliers": {"q", "status"},
    }
    for endpoint, filters in expected.items():
        parameters = {p["name"]: p for p in schema["paths"][f"/api/v1/{endpoint}/"]["get"]["parameters"]}
        assert filters | {"management_system", "page", "page_size"} == set(parameters), endpoint
        assert parameters["q"]["schema"] == {"type": "string"}
    ai_systems = {p["name"]: p for p in schema["paths"]["/api/v1/ai-systems/"]["get"]["parameters"]}
    assert ai_systems["owner"]["schema"] == {"type": "integer"}
    assert ai_systems["in_scope"]["schema"]["enum"] == ["false", "true"]
    detail = schema["paths"]["/api/v1/ai-systems/{id}/"]["get"].get("parameters", [])
    assert "q" not in {p["name"] for p in detail}
