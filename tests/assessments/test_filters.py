"""The risk register and the impact assessments filter alike on their pages and their API list endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from assessments import services
from controls.models import Control
from registers.models import AISystem
from tests.assessments.helpers import make_assessment, make_risk
from tests.factories import make_ai_system
from tests.kit import assert_constant_queries, listed_by_api, listed_on_page

RISKS_API = "/api/v1/risks/"
IMPACTS_API = "/api/v1/impact-assessments/"


def resolve(params: dict, ids: dict) -> dict:
    """Query values "@name" stand for the id of that user, AI system or control."""
    return {k: ids[v[1:]] if str(v).startswith("@") else v for k, v in params.items()}


def check_same_rows(world, client, page: str, api: str, query: dict, want: set[str]) -> None:
    assert listed_on_page(client, reverse(page, args=[world.acme.pk]), query) == want
    assert listed_by_api(client, api, {**query, "management_system": world.acme.pk}) == want
    # The auditor sees Acme only, so without ?management_system= the API lists the same.
    assert listed_by_api(client, api, query) == want


# --- risks ---------------------------------------------------------------------------------


@pytest.fixture
def risks(world) -> dict:
    """Four Acme risks that differ in every filtered field (levels on the default 5 x 5 criteria)."""
    today = timezone.localdate()
    a = make_ai_system(world.acme, user=world.officer, name="Triage assistant")
    b = make_ai_system(world.acme, user=world.officer, name="Rota planner")
    c1, c2 = Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position")[:2]
    make = make_risk
    acme, officer = world.acme, world.officer
    rows = {
        # inherent 3 x 4 high, residual 2 x 2 low; overdue; accepted
        "r1": make(
            acme, officer, title="Elderly patients under-prioritised", ai_systems=[a], source="fairness",
            likelihood=3, consequence=4, residual_likelihood=2, residual_consequence=2, treatment_option="modify",
            owner=world.officer, next_review=today - timedelta(days=1), controls=[c1],
        ),
        # inherent 1 x 1 low, no residual
        "r2": make(
            acme, officer, title="Rota exposes staff names", description="Names of Polish staff leak.",
            ai_systems=[b], source="privacy", likelihood=1, consequence=1, treatment_option="retain",
            owner=world.contributor, next_review=today + timedelta(days=30),
        ),
        # inherent 5 x 5 critical, residual 4 x 4 high; both systems; accepted
        "r3": make(
            acme, officer, title="Prompt injection", ai_systems=[a, b], source="security",
            likelihood=5, consequence=5, residual_likelihood=4, residual_consequence=4, treatment_option="avoid",
            controls=[c1, c2], acceptance_rationale="Compensating controls in place.",
        ),
        # inherent 2 x 5 high, no residual; organisation-wide
        "r4": make(
            acme, officer, title="Model drift goes unnoticed", source="fairness", likelihood=2, consequence=5,
            treatment_option="share", owner=world.contributor, next_review=today,
        ),
    }  # fmt: skip
    for name in ("r1", "r3"):
        services.risk_accept(
            rows[name], verification="password", user=world.leader, expected_version=1, statement="Accepted."
        )
    make_risk(world.northwind, world.outsider, title="Prompt injection at Northwind", source="security")
    # A Northwind system of the same name links only Northwind's risk: the search stays in Acme.
    elsewhere = make_ai_system(world.northwind, user=world.outsider, name="Triage assistant")
    make_risk(world.northwind, world.outsider, title="Northwind triage", source="fairness", ai_systems=[elsewhere])
    ids = {
        "system_a": a.pk, "system_b": b.pk, "control_1": c1.pk, "control_2": c2.pk,
        "ref_system_b": b.reference.lower(),
        **{name: user.pk for name, user in world.users.items()},
    }  # fmt: skip
    return {"rows": rows, "ids": ids}


RISK_QUERIES = [
    pytest.param({}, {"r1", "r2", "r3", "r4"}, id="no-filter"),
    pytest.param({"q": "drift"}, {"r4"}, id="q-title"),
    pytest.param({"q": "polish"}, {"r2"}, id="q-description"),
    pytest.param({"q": "RISK-003"}, {"r3"}, id="q-reference"),
    pytest.param({"system": "@system_a"}, {"r1", "r3"}, id="system"),
    pytest.param({"system": "@system_b"}, {"r2", "r3"}, id="system-other"),
    pytest.param({"system_search": "TRIAGE"}, {"r1", "r3"}, id="system-search-name"),
    pytest.param({"system_search": "@ref_system_b"}, {"r2", "r3"}, id="system-search-reference"),
    pytest.param({"system_search": "a"}, {"r1", "r2", "r3"}, id="system-search-several-systems-once-each"),
    pytest.param({"system_search": "nothing like it"}, set(), id="system-search-no-system"),
    pytest.param({"system_search": "  "}, {"r1", "r2", "r3", "r4"}, id="system-search-blank"),
    pytest.param({"system_search": "rota", "source": "security"}, {"r3"}, id="system-search-combined"),
    pytest.param({"source": "fairness"}, {"r1", "r4"}, id="source"),
    pytest.param({"level": "high"}, {"r3", "r4"}, id="level-residual-else-inherent"),
    pytest.param({"level": "low"}, {"r1", "r2"}, id="level-low"),
    pytest.param({"level": "critical"}, set(), id="level-critical-only-inherent"),
    pytest.param({"treatment": "avoid"}, {"r3"}, id="treatment"),
    pytest.param({"owner": "@contributor"}, {"r2", "r4"}, id="owner"),
    pytest.param({"overdue": "yes"}, {"r1"}, id="overdue-yes"),
    pytest.param({"overdue": "no"}, {"r2", "r3", "r4"}, id="overdue-no"),
    pytest.param({"accepted": "yes"}, {"r1", "r3"}, id="accepted-yes"),
    pytest.param({"accepted": "no"}, {"r2", "r4"}, id="accepted-no"),
    pytest.param({"basis": "inherent", "likelihood": 3, "consequence": 4}, {"r1"}, id="cell-inherent"),
    pytest.param({"likelihood": 2, "consequence": 5}, {"r4"}, id="cell-without-basis-is-inherent"),
    pytest.param({"basis": "residual", "likelihood": 4, "consequence": 4}, {"r3"}, id="cell-residual"),
    pytest.param({"basis": "residual", "likelihood": 2, "consequence": 2}, {"r1"}, id="cell-residual-low"),
    pytest.param({"basis": "inherent", "likelihood": 2, "consequence": 2}, set(), id="cell-empty"),
    pytest.param({"likelihood": 5}, {"r3"}, id="likelihood-alone"),
    pytest.param({"basis": "residual"}, {"r1", "r2", "r3", "r4"}, id="basis-alone-filters-nothing"),
    pytest.param({"control": "@control_1"}, {"r1", "r3"}, id="control"),
    pytest.param({"control": "@control_2"}, {"r3"}, id="control-other"),
    pytest.param({"control": 999999}, set(), id="control-unknown"),
    pytest.param({"system": "@system_a", "level": "high", "accepted": "yes"}, {"r3"}, id="combined"),
]


@pytest.mark.parametrize("params,expected", RISK_QUERIES)
def test_risk_page_and_api_list_the_same_risks(world, client_as, risks, params, expected):
    want = {risks["rows"][name].reference for name in expected}
    query = resolve(params, risks["ids"])
    check_same_rows(world, client_as("auditor"), "assessments:risk_list", RISKS_API, query, want)


BAD_RISK_FILTERS = [
    pytest.param({"q": "x" * 201}, "q", id="q-too-long"),
    pytest.param({"system_search": "x" * 201}, "system_search", id="system-search-too-long"),
    pytest.param({"system": "abc"}, "system", id="system-not-a-number"),
    pytest.param({"system": "@northwind_system"}, "system", id="system-of-another-management-system"),
    pytest.param({"source": "gossip"}, "source", id="source"),
    pytest.param({"level": "extreme"}, "level", id="level"),
    pytest.param({"treatment": "ignore"}, "treatment", id="treatment"),
    pytest.param({"owner": "@outsider"}, "owner", id="owner-of-another-management-system"),
    pytest.param({"overdue": "maybe"}, "overdue", id="overdue"),
    pytest.param({"accepted": "true"}, "accepted", id="accepted"),
    pytest.param({"basis": "diagonal", "likelihood": 3}, "basis", id="basis"),
    pytest.param({"likelihood": 11}, "likelihood", id="likelihood-too-high"),
    pytest.param({"consequence": "abc"}, "consequence", id="consequence-not-a-number"),
    pytest.param({"control": 0}, "control", id="control-zero"),
]


@pytest.mark.parametrize("params,field", BAD_RISK_FILTERS)
def test_invalid_risk_filter_is_a_form_error_on_the_page_and_a_400_on_the_api(world, client_as, risks, params, field):
    ids = {**risks["ids"], "northwind_system": make_ai_system(world.northwind, user=world.outsider).pk}
    query = resolve(params, ids)
    client = client_as("auditor")

    page = client.get(reverse("assessments:risk_list", args=[world.acme.pk]), {"source": "fairness", **query})
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="id_{field}_errors"' in body
    if field not in ("source", "basis"):  # the valid filters still apply; the invalid one is ignored
        assert {r.reference for r in page.context["page_obj"].object_list} == {
            risks["rows"]["r1"].reference,
            risks["rows"]["r4"].reference,
        }

    response = client.get(RISKS_API, {**query, "management_system": world.acme.pk})
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_invalid_basis_falls_back_to_inherent_on_the_page(world, client_as, risks):
    page = client_as("auditor").get(
        reverse("assessments:risk_list", args=[world.acme.pk]), {"basis": "diagonal", "likelihood": 3, "consequence": 4}
    )
    assert "Heat map basis: Select a valid choice" in page.content.decode()
    assert [r.reference for r in page.context["page_obj"].object_list] == [risks["rows"]["r1"].reference]


def test_heat_map_cell_keeps_its_hidden_fields_and_says_which_cell(world, client_as, risks):
    query = {"basis": "residual", "likelihood": 4, "consequence": 4, "owner": ""}
    body = client_as("auditor").get(reverse("assessments:risk_list", args=[world.acme.pk]), query).content.decode()
    assert '<input type="hidden" name="basis" value="residual"' in body
    assert '<input type="hidden" name="likelihood" value="4"' in body
    assert "Showing the heat map cell: residual likelihood 4, consequence 4." in body
    assert "1 risk matches the filters" in body and ">Clear</a>" in body


def test_filtered_risk_page_and_api_queries_do_not_grow_with_rows(world, client_as, risks):
    client = client_as("auditor")
    ids = risks["ids"]
    query = {
        "q": "drift", "system": ids["system_a"], "source": "fairness", "level": "high", "treatment": "share",
        "owner": ids["contributor"], "overdue": "no", "accepted": "no", "control": ids["control_1"],
        "basis": "inherent", "likelihood": 2, "consequence": 5,
    }  # fmt: skip
    system = AISystem.objects.get(pk=ids["system_a"])
    control = Control.objects.get(pk=ids["control_1"])
    n = iter(range(100))

    def grow() -> None:
        for _ in range(4):
            make_risk(
                world.acme, world.officer, title=f"Model drift {next(n)}", source="fairness", likelihood=2,
                consequence=5, treatment_option="share", owner=world.contributor, controls=[control],
                ai_systems=[system],
            )  # fmt: skip

    def fetch() -> None:
        assert listed_on_page(client, reverse("assessments:risk_list", args=[world.acme.pk]), query)
        assert listed_by_api(client, RISKS_API, {**query, "management_system": world.acme.pk})

    grow()
    assert_constant_queries(fetch, grow)


# --- impact assessments --------------------------------------------------------------------


@pytest.fixture
def assessments(world) -> dict:
    """Three Acme impact assessments that differ in every filtered field."""
    today = timezone.localdate()
    a = make_ai_system(world.acme, user=world.officer, name="Triage assistant")
    b = make_ai_system(world.acme, user=world.officer, name="Rota planner")
    make = make_assessment
    acme, officer = world.acme, world.officer
    rows = {
        "a1": make(acme, officer, a, title="Triage before launch", decision="proceed", trigger="initial",
                   next_review=today - timedelta(days=1)),
        "a2": make(acme, officer, b, title="Rota yearly review", decision="stop", trigger="periodic",
                   next_review=today + timedelta(days=90)),
        "a3": make(acme, officer, a, title="Triage after retraining", decision="pending",
                   trigger="significant_change"),
    }  # fmt: skip
    make_assessment(world.northwind, world.outsider, title="Triage at Northwind")
    return {"rows": rows, "ids": {"system_a": a.pk, "system_b": b.pk, "ref_system_a": a.reference}}


IMPACT_QUERIES = [
    pytest.param({}, {"a1", "a2", "a3"}, id="no-filter"),
    pytest.param({"q": "triage"}, {"a1", "a3"}, id="q-title"),
    pytest.param({"q": "AIIA-002"}, {"a2"}, id="q-reference"),
    pytest.param({"system": "@system_a"}, {"a1", "a3"}, id="system"),
    pytest.param({"system_search": "rota"}, {"a2"}, id="system-search-name"),
    pytest.param({"system_search": "@ref_system_a"}, {"a1", "a3"}, id="system-search-reference"),
    pytest.param({"system_search": "nothing like it"}, set(), id="system-search-no-system"),
    pytest.param({"decision": "stop"}, {"a2"}, id="decision"),
    pytest.param({"trigger": "significant_change"}, {"a3"}, id="trigger"),
    pytest.param({"overdue": "yes"}, {"a1"}, id="overdue-yes"),
    pytest.param({"overdue": "no"}, {"a2", "a3"}, id="overdue-no"),
    pytest.param({"system": "@system_a", "decision": "pending"}, {"a3"}, id="combined"),
]


@pytest.mark.parametrize("params,expected", IMPACT_QUERIES)
def test_impact_page_and_api_list_the_same_assessments(world, client_as, assessments, params, expected):
    want = {assessments["rows"][name].reference for name in expected}
    query = resolve(params, assessments["ids"])
    check_same_rows(world, client_as("auditor"), "assessments:impact_list", IMPACTS_API, query, want)


BAD_IMPACT_FILTERS = [
    pytest.param({"q": "x" * 201}, "q", id="q-too-long"),
    pytest.param({"system": "abc"}, "system", id="system"),
    pytest.param({"decision": "later"}, "decision", id="decision"),
    pytest.param({"trigger": "whim"}, "trigger", id="trigger"),
    pytest.param({"overdue": "1"}, "overdue", id="overdue"),
]


@pytest.mark.parametrize("params,field", BAD_IMPACT_FILTERS)
def test_invalid_impact_filter_is_a_form_error_on_the_page_and_a_400_on_the_api(
    world, client_as, assessments, params, field
):
    client = client_as("auditor")

    page = client.get(reverse("assessments:impact_list", args=[world.acme.pk]), params)
    assert page.status_code == 200
    assert f'id="id_{field}_errors"' in page.content.decode()
    assert len(page.context["page_obj"].object_list) == 3  # the invalid filter is ignored

    response = client.get(IMPACTS_API, {**params, "management_system": world.acme.pk})
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_filtered_impact_page_and_api_queries_do_not_grow_with_rows(world, client_as, assessments):
    client = client_as("auditor")
    system = assessments["rows"]["a1"].ai_system
    query = {"q": "triage", "system": system.pk, "decision": "proceed", "trigger": "initial", "overdue": "no"}
    n = iter(range(100))

    def grow() -> None:
        for _ in range(4):
            make_assessment(world.acme, world.officer, system, title=f"Triage {next(n)}", decision="proceed")

    def fetch() -> None:
        assert listed_on_page(client, reverse("assessments:impact_list", args=[world.acme.pk]), query)
        assert listed_by_api(client, IMPACTS_API, {**query, "management_system": world.acme.pk})

    grow()
    assert_constant_queries(fetch, grow)


def test_schema_lists_the_risk_and_impact_filters(superuser_client):
    schema = yaml.safe_load(superuser_client.get("/api/schema/").content)  # the schema is for signed-in people
    expected = {
        "risks": {
            "q", "system", "system_search", "source", "level", "treatment", "owner", "overdue", "accepted",
            "basis", "likelihood", "consequence", "control", "status",
        },
        "impact-assessments": {"q", "system", "system_search", "decision", "trigger", "overdue", "status"},
    }  # fmt: skip
    for endpoint, filters in expected.items():
        parameters = {p["name"]: p for p in schema["paths"][f"/api/v1/{endpoint}/"]["get"]["parameters"]}
        assert filters | {"management_system", "page", "page_size"} == set(parameters), endpoint
        assert parameters["system"]["schema"] == {"type": "integer"}
        assert parameters["system_search"]["schema"] == {"type": "string"}
        assert parameters["overdue"]["schema"]["enum"] == ["no", "yes"]
    risks = {p["name"]: p for p in schema["paths"]["/api/v1/risks/"]["get"]["parameters"]}
    assert risks["likelihood"]["schema"] == {"type": "integer"}
    assert risks["basis"]["schema"]["enum"] == ["inherent", "residual"]


# --- the AI system filter at the size of a real organisation -------------------------------


def test_risk_and_impact_pages_search_ai_systems_instead_of_listing_them(world, client_as, risks):
    """The filter bar holds a search box for the AI system, not one option per AI system."""
    client = client_as("auditor")
    for page in ("assessments:risk_list", "assessments:impact_list"):
        url = reverse(page, args=[world.acme.pk])
        before = client.get(url).content.decode()
        for i in range(5):
            make_ai_system(world.acme, user=world.officer, name=f"Another system {i}")
        after = client.get(url).content.decode()
        assert after.count("<option") == before.count("<option")
        assert "Another system" not in after
        assert '<input type="search" name="system_search"' in after
        assert '<select name="system"' not in after


def test_risk_page_names_the_ai_system_chosen_by_id(world, client_as, risks):
    system = AISystem.objects.get(pk=risks["ids"]["system_a"])
    body = (
        client_as("auditor")
        .get(reverse("assessments:risk_list", args=[world.acme.pk]), {"system": system.pk})
        .content.decode()
    )
    assert f'<input type="hidden" name="system" value="{system.pk}"' in body
    assert f"Showing the risks of {system.reference} Triage assistant." in body
