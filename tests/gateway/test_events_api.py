"""/api/v1/gateway-events/: read-only, scoped, filtered like the page, 400 on bad filters, verify as JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gateway.models import GatewayEvent
from tests.factories import make_ai_system
from tests.gateway.events_helpers import completed_call, event_at
from tests.gateway.helpers import raw
from tests.gateway.keys_helpers import make_key, system_with_model
from tests.kit import SYSTEMS, assert_constant_queries, matrix

URL = "/api/v1/gateway-events/"
VERIFY = "/api/v1/gateway-events/verify/"
MEMBER = {"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200}


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@matrix({**MEMBER, "expired_auditor": 404, "outsider": 404}, where=SYSTEMS)
def test_members_read_events_and_verify_outsiders_do_not(world, api_as, persona, where, expected):
    ms = getattr(world, where)
    call, _ = completed_call(make_ai_system(ms))
    client = api_as(persona)
    listed = _ids(client.get(URL, {"management_system": ms.pk}))
    assert listed == ({call.pk, call.pk + 1} if expected == 200 else set())
    assert client.get(f"{URL}{call.pk}/").status_code == expected
    # The management system is a field of the body: one the user cannot see is not a valid choice.
    assert client.post(VERIFY, {"management_system": ms.pk}, format="json").status_code == (
        200 if expected == 200 else 400
    )


def test_events_are_read_only(world, api_as):
    call, _ = completed_call(make_ai_system(world.acme))
    client = api_as("owner")
    assert client.post(URL, {"ai_system": call.ai_system_id, "type": "call"}, format="json").status_code == 405
    assert client.patch(f"{URL}{call.pk}/", {"detail": "x"}, format="json").status_code == 405
    assert client.delete(f"{URL}{call.pk}/").status_code == 405


def test_an_event_as_the_api_gives_it_digests_and_counts_never_the_body(world, api_as):
    system = make_ai_system(world.acme)
    call, done = completed_call(
        system, request_body="Hello <EMAIL_ADDRESS_1> secret-body", entity_counts={"EMAIL_ADDRESS": 1}
    )
    response = api_as("auditor").get(URL, {"ai_system": system.pk})
    assert "secret-body" not in response.content.decode()
    rows = {row["id"]: row for row in response.json()["results"]}
    assert rows[call.pk]["entity_counts"] == {"EMAIL_ADDRESS": 1}
    assert rows[call.pk]["request_sha256"] == call.request_sha256 and rows[call.pk]["digest"] == call.digest
    assert rows[done.pk]["previous_digest"] == call.digest and rows[done.pk]["refers_to_sequence"] == call.sequence
    assert [row["id"] for row in response.json()["results"]] == [done.pk, call.pk]  # newest first


def test_api_filters_by_system_type_time_decision_and_key(world, api_as):
    now = timezone.now()
    triage, faq = make_ai_system(world.acme), make_ai_system(world.acme)
    key, _ = make_key(triage)
    issued = GatewayEvent.objects.get(type="key_created", subject=key.reference)  # the key's issue: an event too
    old = event_at(triage, now - timedelta(days=3), decision="redact")
    recent = event_at(triage, now - timedelta(hours=1), decision="allow", key_id=key.pk)
    refusal = event_at(faq, now - timedelta(hours=2), type="refusal", decision="block")
    client = api_as("auditor")
    day_ago = (now - timedelta(days=1)).isoformat()

    assert _ids(client.get(URL, {"ai_system": triage.pk})) == {issued.pk, old.pk, recent.pk}
    assert _ids(client.get(URL, {"type": "refusal"})) == {refusal.pk}
    assert _ids(client.get(URL, {"occurred_after": day_ago})) == {issued.pk, recent.pk, refusal.pk}
    assert _ids(client.get(URL, {"occurred_before": day_ago})) == {old.pk}
    assert _ids(client.get(URL, {"occurred_after": day_ago, "ai_system": faq.pk})) == {refusal.pk}
    assert _ids(client.get(URL, {"decision": "allow"})) == {recent.pk}
    assert _ids(client.get(URL, {"key": key.pk})) == {issued.pk, recent.pk}
    assert _ids(client.get(URL, {"occurred_after": "2020-01-01T00:00:00Z", "occurred_before": "2020-01-02"})) == set()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"occurred_after": "yesterday"}, "occurred_after"),
        ({"occurred_before": "2026-13-45"}, "occurred_before"),
        ({"type": "teleport"}, "type"),
        ({"ai_system": "seven"}, "ai_system"),
        ({"ai_system": "99999999999999999999999"}, "ai_system"),
        ({"decision": "x" * 41}, "decision"),
        ({"key": "-1"}, "key"),
        ({"management_system": "acme"}, "management_system"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(world, api_as, params, field):
    response = api_as("officer").get(URL, params)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert field in response.json()


def test_another_systems_ai_system_is_not_a_valid_filter(world, api_as):
    theirs = make_ai_system(world.northwind)
    response = api_as("officer").get(URL, {"ai_system": theirs.pk})
    assert response.status_code == 400 and "ai_system" in response.json()


def test_the_list_makes_constant_queries_as_events_grow(world, api_as):
    systems = [system_with_model(world.acme, world.officer) for _ in range(2)]
    for system in systems:
        completed_call(system)  # no empty page before: an empty one skips the page's query
    client = api_as("officer")

    def grow() -> None:
        for n in range(20):
            completed_call(systems[n % 2], entity_counts={"PHONE_NUMBER": 1})
            event_at(systems[n % 2], timezone.now(), type="approved", approver=world.leader)

    assert_constant_queries(
        {
            "all": lambda: _ids(client.get(URL)),
            "filtered": lambda: _ids(client.get(URL, {"ai_system": systems[1].pk, "type": "call_completed"})),
        },
        grow,
    )


def test_verify_answers_ok_with_counts(world, api_as):
    completed_call(make_ai_system(world.acme))
    completed_call(make_ai_system(world.acme))
    response = api_as("auditor").post(VERIFY, {"management_system": world.acme.pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["events"] == 4 and body["chains"] == 2 and body["first_broken"] is None
    assert body["message"].startswith("4 events in 2 chains verified")


def test_verify_names_the_tampered_event(world, api_as):
    system = make_ai_system(world.acme)
    call, done = completed_call(system)
    raw("UPDATE gateway_gatewayevent SET model_requested = %s WHERE id = %s", ["other-model", call.pk])
    body = api_as("auditor").post(VERIFY, {"management_system": world.acme.pk}, format="json").json()
    assert body["ok"] is False
    assert body["first_broken"] == {
        "id": call.pk, "ai_system": system.pk, "sequence": call.sequence, "reason": "digest mismatch"
    }  # fmt: skip
    assert f"{system.reference} event #1 does not verify" in body["message"]


@pytest.mark.parametrize("payload", [{}, {"management_system": "x"}, {"management_system": 10**30}])
def test_verify_without_a_readable_management_system_is_a_400(world, api_as, payload):
    response = api_as("officer").post(VERIFY, payload, format="json")
    assert response.status_code == 400 and "management_system" in response.json()


def test_the_schema_describes_the_events_and_their_filters(world, api_as):
    schema = api_as("officer").get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"]["/api/v1/gateway-events/"]["get"]["parameters"]}
    assert {"ai_system", "type", "occurred_after", "occurred_before", "decision", "key", "management_system"} <= (
        parameters
    )
    assert "GatewayEventTypeEnum" in schema["components"]["schemas"]
    assert "/api/v1/gateway-events/verify/" in schema["paths"]
