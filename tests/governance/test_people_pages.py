"""Permission matrix (persona x action x own / other management system) and query counts of the people
family's pages and API endpoints; writes through the form and through the API with If-Match.

The matrix loops over the personas inside each test, on one world, to keep it cheap.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from governance.models import AimsRole, CommunicationRecord, Person, RoleAssignment
from governance.people import services
from governance.people.registers import REGISTERS
from tests.factories import make_ai_system
from tests.governance.people_helpers import (
    appoint,
    appoint_user,
    make_competence,
    make_person,
    make_record,
    require,
    role,
)
from tests.kit import PERSONAS, assert_constant_queries, get_ok, standing

READ = {
    "owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
    "expired_auditor": 404, "outsider": 404, "anonymous": 302,
}  # fmt: skip
FORM = {**READ, "leader": 403, "contributor": 403, "auditor": 403}
API_READ = {**READ, "anonymous": 401}
ALL = (*PERSONAS, "anonymous")


def make_records(ms: Any, by: Any) -> dict[str, Any]:
    """One record of each register in a management system."""
    person = make_person(ms, by, name="Tom Reyes")
    literacy = make_competence(ms, by, "AI literacy", validity_months=12)
    item = services.plan_item_create(
        management_system=ms, user=by, subject="AI literacy induction", timing="At induction", audience="New staff",
        channel="E-learning", communicator=person, ai_literacy=True,
    )  # fmt: skip
    return {
        "person": person,
        "role": role(ms, AimsRole.AI_SYSTEM_OWNER),
        "assignment": appoint(ms, by, person, AimsRole.AI_SYSTEM_OWNER),
        "competence": literacy,
        "competence_record": make_record(person, literacy, by),
        "plan_item": item,
        "communication": services.communication_create(
            management_system=ms,
            user=by,
            plan_item=item,
            delivered_on=timezone.localdate(),
            audience="Ward 3",
            summary="AI literacy session",
            acknowledged_by=[person],
        ),  # fmt: skip
    }


def _read_urls(ms: Any, records: dict[str, Any]) -> list[str]:
    urls = [
        reverse("governance:competence_gaps", args=[ms.pk]),
        reverse("governance:responsibility_matrix", args=[ms.pk]),
    ]
    for name, obj in records.items():
        urls += [
            reverse(f"governance:{name}_list", args=[ms.pk]),
            reverse(f"governance:{name}_detail", args=[ms.pk, obj.pk]),
            reverse(f"governance:{name}_history", args=[ms.pk, obj.pk]),
        ]
    return urls


# Every page is opened by these personas; the others, whose answers the same access rule gives, get a sample.
FULL_CHECK = ("officer", "leader", "outsider")


def test_pages_permission_matrix(world, client_as):
    mine, theirs = make_records(world.acme, world.officer), make_records(world.northwind, world.outsider)
    for where, ms, records in (("acme", world.acme, mine), ("northwind", world.northwind, theirs)):
        reads = _read_urls(ms, records)
        forms = [reverse(f"governance:{name}_create", args=[ms.pk]) for name in records]
        forms += [reverse(f"governance:{name}_edit", args=[ms.pk, obj.pk]) for name, obj in records.items()]
        forms += [reverse("governance:assignment_end", args=[ms.pk, records["assignment"].pk])]
        forms += [reverse("governance:person_retire", args=[ms.pk, records["person"].pk])]
        for index, persona in enumerate(ALL):
            client = client_as(persona)
            who = standing(persona, where)
            full = persona in FULL_CHECK
            for url in reads if full else reads[index % 3 :: 5]:
                assert client.get(url).status_code == READ[who], (persona, where, url)
            for url in forms if full else forms[index % 2 :: 5]:
                assert client.get(url).status_code == FORM[who], (persona, where, url)


def test_writes_permission_matrix_changes_only_what_is_allowed(world, client_as):
    mine, theirs = make_records(world.acme, world.officer), make_records(world.northwind, world.outsider)
    expected = {**FORM, "owner": 302, "officer": 302}
    for where, ms, records in (("acme", world.acme, mine), ("northwind", world.northwind, theirs)):
        person = records["person"]
        for persona in ALL:
            who = standing(persona, where)
            before = Person.objects.get(pk=person.pk).version
            url = reverse("governance:person_edit", args=[ms.pk, person.pk])
            data = {"name": f"Tom {persona}", "version": before, "change_reason": "Renamed"}
            assert client_as(persona).post(url, data).status_code == expected[who], (persona, where)
            after = Person.objects.get(pk=person.pk)
            allowed = expected[who] == 302 and persona != "anonymous"  # the anonymous visitor is sent to log in
            assert (after.version == before + 1) == allowed, (persona, where)
            create = reverse("governance:person_create", args=[ms.pk])
            count = Person.objects.count()
            assert client_as(persona).post(create, {"name": f"New {persona}"}).status_code == expected[who]
            assert Person.objects.count() == count + allowed


def test_forms_refuse_stale_versions_and_foreign_links(world, client_as):
    records = make_records(world.acme, world.officer)
    theirs = make_person(world.northwind, world.outsider, name="Nora")
    client = client_as("officer")
    person = records["person"]
    url = reverse("governance:person_edit", args=[world.acme.pk, person.pk])
    assert client.post(url, {"name": "Stale", "version": person.version - 0 + 5}).status_code == 409
    create = reverse("governance:assignment_create", args=[world.acme.pk])
    data = {"person": theirs.pk, "role": records["role"].pk, "starts_on": "2026-01-01"}
    assert client.post(create, data).status_code == 400
    assert RoleAssignment.objects.filter(person=theirs).count() == 0
    data["person"] = person.pk
    response = client.post(create, data)
    assert response.status_code == 302
    end = reverse("governance:assignment_end", args=[world.acme.pk, RoleAssignment.objects.latest("pk").pk])
    ended = client.post(end, {"version": 1, "on": timezone.localdate().isoformat(), "reason": "Moved"})
    assert ended.status_code == 302 and RoleAssignment.objects.latest("pk").ends_on == timezone.localdate()


API = {
    "person": "people", "role": "aims-roles", "assignment": "role-assignments", "competence": "competences",
    "competence_record": "competence-records", "plan_item": "communication-plan", "communication": "communications",
}  # fmt: skip


def test_api_permission_matrix(world, api_as):
    mine, theirs = make_records(world.acme, world.officer), make_records(world.northwind, world.outsider)
    for where, records in (("acme", mine), ("northwind", theirs)):
        for persona in ALL:
            client = api_as(persona)
            who = standing(persona, where)
            for name, obj in records.items():
                for url in (f"/api/v1/{API[name]}/{obj.pk}/", f"/api/v1/{API[name]}/{obj.pk}/history/"):
                    assert client.get(url).status_code == API_READ[who], (persona, where, url)
            person = records["person"]
            patch = client.patch(
                f"/api/v1/people/{person.pk}/",
                {"job_title": persona},
                format="json",
                HTTP_IF_MATCH=f'"{Person.objects.get(pk=person.pk).version}"',
            )
            allowed = {**API_READ, "leader": 403, "contributor": 403, "auditor": 403}
            assert patch.status_code == allowed[who], (persona, where)


def test_api_writes_with_if_match(world, api_as):
    client = api_as("officer")
    acme = world.acme
    created = client.post(
        "/api/v1/people/", {"management_system": acme.pk, "name": "Dr Jane Patel", "job_title": "Clinical safety officer"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201 and created["ETag"] == '"1"'
    pk = created.json()["id"]
    assert client.patch(f"/api/v1/people/{pk}/", {"department": "Safety"}, format="json").status_code == 428
    stale = client.patch(f"/api/v1/people/{pk}/", {"department": "Safety"}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    ok = client.patch(f"/api/v1/people/{pk}/", {"department": "Safety"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok.json()["department"] == "Safety" and ok["ETag"] == '"2"'
    oversight = role(acme, AimsRole.HUMAN_OVERSIGHT_OPERATOR)
    system = make_ai_system(acme, user=world.officer, name="Triage")
    theirs = make_ai_system(world.northwind, user=world.outsider, name="Theirs")
    body = {"management_system": acme.pk, "person": pk, "role": oversight.pk, "starts_on": "2026-01-01"}
    refused = client.post("/api/v1/role-assignments/", {**body, "ai_systems": [theirs.pk]}, format="json")
    assert refused.status_code == 400
    assignment = client.post("/api/v1/role-assignments/", {**body, "ai_systems": [system.pk]}, format="json")
    assert assignment.status_code == 201, assignment.json()
    aid = assignment.json()["id"]
    end = client.post(
        f"/api/v1/role-assignments/{aid}/end/", {"reason": "Rota change"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert end.status_code == 200 and end.json()["ends_on"] == timezone.localdate().isoformat()
    roles = client.get(f"/api/v1/aims-roles/?management_system={acme.pk}&mandatory=1").json()["results"]
    assert len(roles) == 5 and all(r["key"] for r in roles)
    left = client.post(f"/api/v1/people/{pk}/retire/", {"reason": "Left the Trust"}, format="json", HTTP_IF_MATCH='"2"')
    assert left.status_code == 200 and left.json()["retired_at"]
    assert client.delete(f"/api/v1/people/{pk}/", HTTP_IF_MATCH='"3"').status_code == 405


def test_list_filters_mean_the_same_on_page_and_api(world, client_as, api_as):
    records = make_records(world.acme, world.officer)
    services.communication_create(
        management_system=world.acme, user=world.officer, delivered_on=timezone.localdate(), audience="Board",
        summary="AIMS update",
    )  # fmt: skip
    page = client_as("auditor").get(
        reverse("governance:communication_list", args=[world.acme.pk]), {"ai_literacy": "1"}
    )
    api = api_as("auditor").get("/api/v1/communications/", {"ai_literacy": "1"}).json()["results"]
    assert [r["reference"] for r in api] == [records["communication"].reference]
    assert records["communication"].reference in page.content.decode() and "Board" not in page.content.decode()
    assert CommunicationRecord.objects.count() == 2


def _grow(world: Any) -> Any:
    counter = [0]
    literacy = make_competence(world.acme, world.officer, "Risk method")
    require(role(world.acme, AimsRole.AI_SYSTEM_OWNER), world.officer, literacy)

    def grow() -> None:
        for _ in range(3):
            counter[0] += 1
            records = make_records(world.acme, world.officer)
            system = make_ai_system(world.acme, user=world.officer, name=f"System {counter[0]}")
            appoint(
                world.acme, world.officer, records["person"], AimsRole.HUMAN_OVERSIGHT_OPERATOR, ai_systems=[system]
            )

    return grow


def test_list_pages_and_endpoints_queries_do_not_grow(world, client_as, api_as):
    grow = _grow(world)
    appoint_user(world.acme, world.officer, world.leader, AimsRole.TOP_MANAGEMENT)
    grow()
    ms = world.acme.pk
    pages = {name: reverse(f"governance:{name}_list", args=[ms]) for name in REGISTERS}
    pages["gaps"] = reverse("governance:competence_gaps", args=[ms])
    pages["matrix"] = reverse("governance:responsibility_matrix", args=[ms])
    client, api = client_as("auditor"), api_as("auditor")
    fetches = {name: get_ok(client, url) for name, url in pages.items()}
    fetches.update({f"api {name}": get_ok(api, f"/api/v1/{path}/") for name, path in API.items()})
    assert_constant_queries(fetches, grow)


def test_detail_pages_queries_do_not_grow(world, client_as):
    grow = _grow(world)
    grow()
    records = make_records(world.acme, world.officer)
    client = client_as("officer")
    fetches = {
        name: get_ok(client, reverse(f"governance:{name}_detail", args=[world.acme.pk, obj.pk]))
        for name, obj in records.items()
        if name in ("person", "role", "plan_item", "communication")
    }

    def more() -> None:
        grow()
        for _ in range(2):
            services.communication_create(
                management_system=world.acme, user=world.officer, plan_item=records["plan_item"],
                delivered_on=timezone.localdate(), audience="More", summary="Again", acknowledged_by=[records["person"]],
            )  # fmt: skip
            appoint(world.acme, world.officer, records["person"], AimsRole.RISK_OWNER)

    assert_constant_queries(fetches, more)
