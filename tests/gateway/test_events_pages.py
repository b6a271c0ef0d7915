"""The gateway's event log page, an event's page and "Verify": who reads, what the filters keep, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gateway import ledger
from gateway.models import GatewayEvent
from tests.factories import make_ai_system
from tests.gateway.events_helpers import completed_call, event_at
from tests.gateway.helpers import raw
from tests.gateway.keys_helpers import make_key, system_with_model
from tests.kit import SYSTEMS, assert_constant_queries, get_ok, log_in, matrix

MEMBERS = {"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200}
ROLES = {**MEMBERS, "expired_auditor": 404, "outsider": 404}


def _log(ms) -> str:
    return reverse("gateway:events", args=[ms.pk])


def _shown(response) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {event.pk for event in response.context["page_obj"].object_list}


@matrix(ROLES, where=SYSTEMS)
def test_every_member_reads_the_log_and_verifies_outsiders_get_404(world, status_as, persona, where, expected):
    ms = getattr(world, where)
    call, _done = completed_call(make_ai_system(ms))
    assert {
        "log": status_as(persona, "get", _log(ms)),
        "event": status_as(persona, "get", reverse("gateway:event_detail", args=[ms.pk, call.pk])),
        "verify": status_as(persona, "post", reverse("gateway:events_verify", args=[ms.pk])),
    } == {"log": expected, "event": expected, "verify": expected}


def test_an_event_of_another_management_system_is_404_under_mine(world, client_as):
    theirs, _ = completed_call(make_ai_system(world.northwind))
    client = client_as("officer")
    assert client.get(reverse("gateway:event_detail", args=[world.acme.pk, theirs.pk])).status_code == 404
    assert client.get(reverse("gateway:event_detail", args=[world.northwind.pk, theirs.pk])).status_code == 404


def test_the_log_lists_newest_first_with_the_columns(world, client_as):
    system = system_with_model(world.acme, world.officer)
    key, _ = make_key(system, world.officer, name="Triage key")
    call, done = completed_call(
        system, key_id=key.pk, entity_counts={"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1}, decision="redact"
    )
    approved = ledger.event_append(
        ai_system=system, type="approved", refers_to_sequence=call.sequence, approver=world.leader,
        tool="send_patient_message", connector="patient-messaging", subject="ACT-001", detail="Fine <b>by me</b>",
    )  # fmt: skip

    response = client_as("auditor").get(_log(world.acme))

    events = list(response.context["page_obj"].object_list)
    issued = GatewayEvent.objects.get(type="key_created", subject=key.reference)
    assert [e.pk for e in events] == [approved.pk, done.pk, call.pk, issued.pk]
    page = response.content.decode()
    for text in (system.reference, f"#{call.sequence}", "Call completed", "triage-model → gpt-4o-mini", "policy@1",
                 "EMAIL_ADDRESS 2", "PHONE_NUMBER 1", "leader", "40 ms", "12 / 30", "send_patient_message",
                 "patient-messaging", "ACT-001", key.reference, f'title="{call.digest}"', call.digest[:10]):  # fmt: skip
        assert text in page, text
    assert "Fine &lt;b&gt;by me&lt;/b&gt;" in page and "<b>by me</b>" not in page


def test_filters_by_system_type_decision_key_and_time_range(world, client_as):
    now = timezone.now()
    triage, faq = make_ai_system(world.acme), make_ai_system(world.acme)
    key, _ = make_key(triage)
    issued = GatewayEvent.objects.get(type="key_created", subject=key.reference)  # the key's issue: an event too
    old = event_at(triage, now - timedelta(days=3), decision="redact")
    recent = event_at(triage, now - timedelta(hours=1), decision="allow", key_id=key.pk)
    refusal = event_at(faq, now - timedelta(hours=2), type="refusal", decision="block")
    client = client_as("contributor")
    url = _log(world.acme)
    local = timezone.localtime

    assert _shown(client.get(url, {"ai_system": triage.pk})) == {issued.pk, old.pk, recent.pk}
    assert _shown(client.get(url, {"type": "refusal"})) == {refusal.pk}
    assert _shown(client.get(url, {"decision": "allow"})) == {recent.pk}
    assert _shown(client.get(url, {"key": key.pk})) == {issued.pk, recent.pk}
    window = {"occurred_after": local(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    assert _shown(client.get(url, window)) == {issued.pk, recent.pk, refusal.pk}
    before = {"occurred_before": local(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    assert _shown(client.get(url, before)) == {old.pk}
    both = {**window, "occurred_before": local(now - timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M")}
    assert _shown(client.get(url, {**both, "ai_system": faq.pk})) == {refusal.pk}
    assert _shown(client.get(url, {"ai_system": triage.pk, "type": "refusal"})) == set()


def test_a_bad_filter_is_a_form_error_not_a_server_error(world, client_as):
    event = event_at(make_ai_system(world.acme), timezone.now())
    theirs = make_ai_system(world.northwind)
    response = client_as("officer").get(
        _log(world.acme), {"occurred_after": "yesterday-ish", "type": "nope", "ai_system": theirs.pk}
    )
    assert _shown(response) == {event.pk}  # each bad filter is ignored
    errors = response.context["filterset"].form.errors
    assert set(errors) == {"occurred_after", "type", "ai_system"}


def test_the_event_page_shows_every_field_the_previous_digest_and_the_escaped_body(world, client_as):
    system = make_ai_system(world.acme)
    call, done = completed_call(system, request_body='{"content": "<script>alert(1)</script> <EMAIL_ADDRESS_1>"}')

    page = client_as("auditor").get(reverse("gateway:event_detail", args=[world.acme.pk, call.pk])).content.decode()

    assert call.digest in page and call.previous_digest in page and call.request_sha256 in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;EMAIL_ADDRESS_1&gt;" in page and "<script>alert" not in page
    assert reverse("gateway:event_detail", args=[world.acme.pk, done.pk]) in page  # referred to by its completion
    done_page = client_as("auditor").get(reverse("gateway:event_detail", args=[world.acme.pk, done.pk]))
    assert reverse("gateway:event_detail", args=[world.acme.pk, call.pk]) in done_page.content.decode()
    assert done.previous_digest == call.digest and call.digest in done_page.content.decode()


def test_an_erased_body_is_said_to_be_deleted_and_the_chain_still_verifies(world, client_as):
    call, _done = completed_call(make_ai_system(world.acme), request_body="Hello <PERSON_1>")
    ledger.body_erase(management_system=world.acme, sha256=call.request_sha256)
    client = client_as("officer")

    page = client.get(reverse("gateway:event_detail", args=[world.acme.pk, call.pk])).content.decode()
    verified = client.post(reverse("gateway:events_verify", args=[world.acme.pk]))

    assert "Hello &lt;PERSON_1&gt;" not in page and "Deleted for retention or erasure." in page
    assert "2 events in 1 chain verified" in verified.content.decode()


def test_verify_counts_the_events_and_chains(world, client_as):
    completed_call(make_ai_system(world.acme))
    completed_call(make_ai_system(world.acme))
    completed_call(make_ai_system(world.northwind))  # not this management system's

    response = client_as("auditor").post(reverse("gateway:events_verify", args=[world.acme.pk]))

    assert response.status_code == 200 and response.context["result"].ok
    assert "4 events in 2 chains verified" in response.content.decode()


def test_verify_names_the_first_tampered_event(world, client_as):
    system = make_ai_system(world.acme)
    call, done = completed_call(system)
    completed_call(system)
    raw("UPDATE gateway_gatewayevent SET tokens_out = %s WHERE id = %s", [9999, done.pk])

    response = client_as("auditor").post(reverse("gateway:events_verify", args=[world.acme.pk]))

    page = response.content.decode()
    assert response.status_code == 200 and not response.context["result"].ok
    assert f"{system.reference} event #{done.sequence} does not verify (digest mismatch)" in page
    assert reverse("gateway:event_detail", args=[world.acme.pk, done.pk]) in page


def test_verify_needs_a_post_with_the_csrf_token(world, client_as):
    client = client_as("auditor", csrf=True)
    url = reverse("gateway:events_verify", args=[world.acme.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    page = client.get(_log(world.acme)).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and f'action="{url}"' in page


def test_the_log_pages_fifty_events_at_a_time(world, client_as):
    system = make_ai_system(world.acme)
    events = [ledger.event_append(ai_system=system, type="call") for _ in range(55)]
    client = client_as("officer")
    first = client.get(_log(world.acme))
    second = client.get(_log(world.acme), {"page": 2, "ai_system": system.pk})
    assert _shown(first) == {e.pk for e in events[5:]}
    assert _shown(second) == {e.pk for e in events[:5]}
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.parametrize("params", [{}, {"type": "call"}, {"decision": "redact"}])
def test_the_log_makes_constant_queries_as_events_grow(world, client, django_assert_max_num_queries, params):
    systems = [system_with_model(world.acme, world.officer) for _ in range(2)]
    keys = [make_key(s, world.officer)[0] for s in systems]
    log_in(client, world.officer)
    url = _log(world.acme)
    completed_call(systems[0], key_id=keys[0].pk)

    def grow() -> None:
        for n in range(30):
            system = systems[n % 2]
            completed_call(system, key_id=keys[n % 2].pk, entity_counts={"EMAIL_ADDRESS": n + 1})
            ledger.event_append(ai_system=system, type="approved", approver=world.leader)

    count = assert_constant_queries(get_ok(client, url, params), grow)
    with django_assert_max_num_queries(count):
        get_ok(client, url, params)()


def test_the_event_page_makes_constant_queries(world, client):
    system = make_ai_system(world.acme)
    call, _ = completed_call(system)
    log_in(client, world.officer)
    url = reverse("gateway:event_detail", args=[world.acme.pk, call.pk])

    def grow() -> None:
        for _ in range(5):
            ledger.event_append(ai_system=system, type="approved", refers_to_sequence=call.sequence)

    assert_constant_queries(get_ok(client, url), grow)


def test_the_navigation_has_a_gateway_menu_with_the_event_log(world, client_as):
    page = client_as("auditor").get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert ">Gateway</summary>" in page and f'href="{_log(world.acme)}"' in page and "Event log" in page


def test_events_are_only_listed_never_changed_by_the_pages(world, client_as):
    call, _ = completed_call(make_ai_system(world.acme))
    before = list(GatewayEvent.objects.values_list("pk", "digest"))
    client_as("officer").post(reverse("gateway:events_verify", args=[world.acme.pk]))
    assert list(GatewayEvent.objects.values_list("pk", "digest")) == before
