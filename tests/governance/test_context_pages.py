"""Pages of the context family: who may read and edit (other management systems are 404), the forms, the
legal register's filters (the page and the API list the same rows) and constant query counts."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from governance.models import ContextIssue, InterestedParty, Requirement
from tests.factories import RiskFactory, make_ai_system
from tests.governance.context_helpers import make_issue, make_party, make_requirement
from tests.kit import assert_constant_queries, get_ok, listed_by_api, listed_on_page

READ = {"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
        "expired_auditor": 404, "outsider": 404, "anonymous": 302}  # fmt: skip
EDIT = {**READ, "leader": 403, "contributor": 403, "auditor": 403}
API_READ = {**READ, "anonymous": 401}
API_EDIT = {**API_READ, "owner": 200, "officer": 200, "leader": 403, "contributor": 403, "auditor": 403}


def records(ms: Any, user: Any) -> dict[str, Any]:
    requirement = make_requirement(ms, user)
    return {"context_issue": make_issue(ms, user), "interested_party": requirement.party, "requirement": requirement}


def read_urls(ms: Any, rows: dict[str, Any]) -> list[str]:
    urls = [
        reverse(f"governance:{name}", args=[ms.pk])
        for name in ("context_issue_list", "interested_party_list", "legal_register")
    ]
    for name, row in rows.items():
        urls += [reverse(f"governance:{name}_{view}", args=[ms.pk, row.pk]) for view in ("detail", "history")]
    return urls


def edit_urls(ms: Any, rows: dict[str, Any]) -> list[str]:
    urls = [reverse(f"governance:{name}_create", args=[ms.pk]) for name in rows]
    for name, row in rows.items():
        urls += [reverse(f"governance:{name}_{view}", args=[ms.pk, row.pk]) for view in ("edit", "retire")]
    return urls


def test_permission_matrix_of_pages_and_api(world, client_as, api_as):
    """Every persona on every page and endpoint, in its own management system and in the other one (404)."""
    mine, theirs = records(world.acme, world.officer), records(world.northwind, world.outsider)
    for persona, expected in READ.items():
        client, api = client_as(persona), api_as(persona)
        for url in read_urls(world.acme, mine):
            assert client.get(url).status_code == expected, (persona, url)
        for url in edit_urls(world.acme, mine):
            assert client.get(url).status_code == EDIT[persona], (persona, url)
        for endpoint, row in (
            ("context-issues", mine["context_issue"]),
            ("interested-parties", mine["interested_party"]),
            ("requirements", mine["requirement"]),
        ):
            assert api.get(f"/api/v1/{endpoint}/{row.pk}/").status_code == API_READ[persona], (persona, endpoint)
            version = type(row).objects.get(pk=row.pk).version
            patch = api.patch(
                f"/api/v1/{endpoint}/{row.pk}/",
                {"change_reason": "Matrix"},
                format="json",
                HTTP_IF_MATCH=f'"{version}"',
            )
            assert patch.status_code == API_EDIT[persona], (persona, endpoint, patch.content)
        if persona in ("anonymous", "outsider"):
            continue
        # Acme's members see nothing of Northwind's records: 404, never 403.
        for url in read_urls(world.northwind, theirs) + edit_urls(world.northwind, theirs):
            assert client.get(url).status_code == 404, (persona, url)
        for endpoint, row in (("context-issues", theirs["context_issue"]), ("requirements", theirs["requirement"])):
            assert api.get(f"/api/v1/{endpoint}/{row.pk}/").status_code == 404
        if expected == 200:
            assert api.get("/api/v1/requirements/").json()["count"] == 1
    # The refused writes changed nothing; the two allowed API saves made a version each.
    assert Requirement.objects.get(pk=mine["requirement"].pk).version == 3
    assert Requirement.objects.get(pk=theirs["requirement"].pk).version == 1


def test_officer_records_edits_and_retires_through_the_pages(world, client_as):
    client, ms = client_as("officer"), world.acme
    system = make_ai_system(ms, user=world.officer, name="Radiology triage")
    risk = RiskFactory(management_system=ms, user=world.officer)
    response = client.post(reverse("governance:context_issue_create", args=[ms.pk]), {
        "title": "Funding pressure", "origin": "external", "category": "market", "risks": [risk.pk],
        "review_on": "2020-01-01", "change_reason": "Context workshop",
    })  # fmt: skip
    issue = ContextIssue.objects.get(management_system=ms)
    assert response.status_code == 302 and list(issue.risks.all()) == [risk]
    page = client.get(reverse("governance:context_issue_list", args=[ms.pk]), {"review_overdue": "yes"})
    assert "Review overdue" in page.content.decode() and [i.pk for i in page.context["page_obj"]] == [issue.pk]

    client.post(reverse("governance:interested_party_create", args=[ms.pk]), {"name": "Patients", "kind": "affected"})
    party = InterestedParty.objects.get(management_system=ms)
    create = reverse("governance:requirement_create", args=[ms.pk])
    data = {"party": party.pk, "title": "Tell patients about AI", "requirement_type": "voluntary",
            "ai_systems": [system.pk], "addressed": "yes", "how_addressed": ""}  # fmt: skip
    refused = client.post(create, data)
    assert refused.status_code == 400 and "Say how" in refused.content.decode()
    assert client.post(create, {**data, "how_addressed": "Leaflets"}).status_code == 302
    requirement = Requirement.objects.get(management_system=ms)
    stale = client.post(
        reverse("governance:requirement_edit", args=[ms.pk, requirement.pk]),
        {**data, "how_addressed": "Leaflets", "version": 9},
    )
    assert stale.status_code == 409
    detail = client.get(reverse("governance:interested_party_detail", args=[ms.pk, party.pk])).content.decode()
    assert "Tell patients about AI" in detail and "Addressed" in detail
    retire = reverse("governance:requirement_retire", args=[ms.pk, requirement.pk])
    assert client.post(retire, {"version": 1, "reason": "Superseded"}).status_code == 302
    history = client.get(reverse("governance:requirement_history", args=[ms.pk, requirement.pk])).content.decode()
    assert "Retired: Superseded" in history


def test_legal_register_filters_list_the_same_rows_on_the_page_and_the_api(world, client_as, api_as):
    ms, user = world.acme, world.officer
    radiology = make_ai_system(ms, user=user, name="Radiology")
    chatbot = make_ai_system(ms, user=user, name="Chatbot")
    regulator = make_party(ms, user, name="MHRA")
    supplier = make_party(ms, user, name="Lumina", kind="supplier")
    rows = {
        "mdr": make_requirement(ms, user, regulator, title="UKCA mark", requirement_type="regulatory", ai_systems=[radiology], addressed="yes", how_addressed="Checked"),
        "art50": make_requirement(ms, user, regulator, title="Tell people", jurisdiction="EU", ai_systems=[chatbot]),
        "gdpr": make_requirement(ms, user, regulator, title="DPIA", addressed="partly", how_addressed="Two done"),
        "contract": make_requirement(ms, user, supplier, title="Report faults", requirement_type="contractual", ai_systems=[radiology]),
    }  # fmt: skip
    refs = {key: row.reference for key, row in rows.items()}
    page, api = reverse("governance:legal_register", args=[ms.pk]), "/api/v1/requirements/"
    cases = [
        ({}, {"mdr", "art50", "gdpr", "contract"}),
        ({"requirement_type": "regulatory"}, {"mdr"}),
        ({"addressed": "no"}, {"art50", "contract"}),
        ({"system": radiology.pk}, {"mdr", "gdpr", "contract"}),  # a requirement of no system applies to all
        ({"jurisdiction": "eu"}, {"art50"}),
        ({"party": supplier.pk, "addressed": "no"}, {"contract"}),
        ({"q": "Art. 35"}, {"art50", "gdpr", "contract", "mdr"}),
    ]
    browser, client = client_as("auditor"), api_as("auditor")
    for params, expected in cases:
        wanted = {refs[key] for key in expected}
        assert listed_on_page(browser, page, params) == wanted, params
        assert listed_by_api(client, api, {**params, "management_system": ms.pk}) == wanted, params
    assert client.get(api, {"addressed": "sometimes"}).status_code == 400


def _grow(world: Any, n: int) -> None:
    ms, user = world.acme, world.officer
    system = make_ai_system(ms, user=user, name=f"System {n}")
    risk = RiskFactory(management_system=ms, user=user)
    for i in range(n):
        party = make_party(ms, user, name=f"Party {n}-{i}")
        make_issue(ms, user, title=f"Issue {n}-{i}", risks=[risk], review_on="2020-01-01")
        make_requirement(ms, user, party, title=f"Req {n}-{i}", ai_systems=[system], risks=[risk])


def test_list_pages_and_endpoints_use_constant_queries(world, client_as):
    _grow(world, 1)
    ms = world.acme.pk
    rows = records(world.acme, world.officer)
    client = client_as("auditor")
    urls = [
        reverse("governance:context_issue_list", args=[ms]) + "?review_overdue=yes",
        reverse("governance:interested_party_list", args=[ms]),
        reverse("governance:legal_register", args=[ms]) + "?status=all",
        reverse("governance:interested_party_detail", args=[ms, rows["interested_party"].pk]),
        f"/api/v1/context-issues/?management_system={ms}",
        f"/api/v1/interested-parties/?management_system={ms}",
        f"/api/v1/requirements/?management_system={ms}",
    ]
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: _grow(world, 4))
