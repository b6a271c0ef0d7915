"""The readiness page, its API, the overview panel and the work items: what members see, in fixed queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from aims import readiness as registry
from aims.readiness import ADVICE, BLOCKER, Finding, register_readiness_check
from aims.work import CHECK, work_for
from tests.factories import RiskFactory, SupplierFactory
from tests.governance.objectives_helpers import make_objective, record
from tests.improvement.nonconformities.helpers import add_action, analyse, contain, make_nc
from tests.kit import assert_constant_queries, get_ok, matrix
from tests.reviews.readiness_helpers import live_system


def page_url(ms) -> str:
    return reverse("reviews:readiness", args=[ms.pk])


def api_url(ms) -> str:
    return f"/api/v1/management-systems/{ms.pk}/readiness/"


@matrix({"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
         "expired_auditor": 404, "outsider": 404})  # fmt: skip
def test_every_member_sees_the_page_and_the_api_others_get_404(world, status_as, persona, expected):
    assert status_as(persona, "get", page_url(world.acme)) == expected
    assert status_as(persona, "get", api_url(world.acme), api=True) == expected


def test_page_names_the_live_system_without_impact_assessment_and_links_to_it(world, client_as):
    system = live_system(world)
    body = client_as("auditor").get(page_url(world.acme)).content.decode()
    assert "Not ready for Stage 1:" in body
    assert f"{system.reference} Triage assistant is in operation and monitoring but it has no impact assessment" in body
    assert reverse("registers:ai_system_detail", args=[world.acme.pk, system.pk]) in body
    # Rows are titled from the catalogue, clauses then Annex A groups; the auditor only reads.
    assert "Understanding the organization and its context" in body and "Third-party and customer relationships" in body
    rows = [body.index(f'id="clause-{key}"') for key in ("4.1", "6.1", "9.2", "10.2", "A.2", "A.10")]
    assert rows == sorted(rows)
    assert ">Fix<" not in body


def test_verdict_is_ready_with_no_failing_blocker(world, client_as, monkeypatch):
    monkeypatch.setattr(registry, "_CHECKS", {})
    register_readiness_check("passes", clause="4.1", title="It passes", severity=BLOCKER, check=lambda ctx: [],
                             fix_url=lambda ms_id: "/")  # fmt: skip
    register_readiness_check("advises", clause="7.3", title="Advice", severity=ADVICE,
                             check=lambda ctx: [Finding("Read the policy.")], fix_url=lambda ms_id: "/")  # fmt: skip
    body = client_as("leader").get(page_url(world.acme)).content.decode()
    assert "Ready for Stage 1" in body and "Not ready" not in body
    assert api_body(client_as("leader"), world.acme)["ready"] is True


def api_body(client, ms) -> dict:
    response = client.get(api_url(ms))
    assert response.status_code == 200
    return response.json()


def test_api_answers_the_verdict_and_every_clause_with_its_checks(world, api_as):
    live_system(world)
    body = api_as("auditor").get(api_url(world.acme)).json()
    assert body["ready"] is False
    rows = {row["clause"]: row for row in body["clauses"]}
    assert {"4.1", "9.2", "10.2", "A.2", "A.10"} <= set(rows)
    assert set(rows["6.1"]) >= {"clause", "status", "checks"} and rows["6.1"]["status"] == "blocked"
    check = next(c for c in rows["6.1"]["checks"] if c["id"] == "impact-assessments-current")
    assert set(check) >= {"id", "severity", "ok", "message", "fix_url"}
    assert (check["severity"], check["ok"]) == (BLOCKER, False)
    assert check["fix_url"].startswith(f"/ms/{world.acme.pk}/registers/ai-systems/")


def test_the_route_is_in_the_openapi_schema(world, api_as):
    schema = api_as("officer").get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/management-systems/{id}/readiness/" in schema["paths"] or any(
        path.endswith("/readiness/") for path in schema["paths"]
    )


def grow(world):
    """Add rows to every register the checks read."""

    def add() -> None:
        for n in range(2):
            supplier = SupplierFactory(management_system=world.acme, user=world.officer)
            live_system(world, name=f"Live system {n}", suppliers=[supplier])
            RiskFactory(management_system=world.acme, user=world.officer, title=f"Risk {n}")
            record(make_objective(world.acme, world.officer, title=f"Objective {n}").metric, world.officer, "90")
            nc = analyse(contain(make_nc(world.acme, world.officer, title=f"NC {n}"), world.officer), world.officer)
            add_action(nc, world.officer, world.contributor, due_date=nc.created_at.date() - timedelta(days=2))

    return add


def test_evaluating_page_and_api_cost_fixed_queries_whatever_the_rows(world, client_as, api_as):
    grow(world)()  # some rows in every register first: an empty register skips its prefetches
    fetches = {"page": get_ok(client_as("officer"), page_url(world.acme)),
               "api": get_ok(api_as("officer"), api_url(world.acme))}  # fmt: skip
    assert_constant_queries(fetches, grow(world))


def test_overview_panel_shows_the_verdict_and_links_to_the_page(world, client_as):
    body = client_as("contributor").get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert "Certification readiness" in body and "Not ready for Stage 1:" in body
    assert page_url(world.acme) in body


@pytest.mark.parametrize("persona,gets_items", [("officer", True), ("owner", True), ("leader", False),
                                                ("auditor", False)])  # fmt: skip
def test_failing_checks_are_work_for_those_who_edit_the_registers(world, persona, gets_items):
    items = [i for i in work_for(world.users[persona], world.acme, world.acme.created_at.date()) if i.kind == CHECK]
    assert bool(items) is gets_items
    if gets_items:
        keys = {i.key for i in items}
        assert "readiness:scope-approved" in keys and len(keys) == len(items)
        scope = next(i for i in items if i.key == "readiness:scope-approved")
        assert scope.url == reverse("governance:scope", args=[world.acme.pk])
