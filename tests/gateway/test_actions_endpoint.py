"""POST /gateway/v1/actions and GET /gateway/v1/actions/<id>: allowed, denied, pending, approved, performed once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aims.services import register_update
from gateway import ledger
from gateway.actions import services
from gateway.actions.toolcalls import arguments_sha256
from gateway.models import GatewayAction, GatewayEvent
from tests.gateway.actions_helpers import (
    ARGUMENTS,
    CONNECTOR,
    TOOL,
    action_world,
    get_action,
    propose,
)
from tests.gateway.keys_helpers import make_key, system_with_model
from tests.gateway.policy_helpers import policy_in_force


def _events(system) -> list[GatewayEvent]:
    return list(GatewayEvent.objects.filter(ai_system=system).order_by("sequence"))


def _types(system) -> list[str]:
    return [e.type for e in _events(system) if e.type != "key_created"]


def _approved(world, w) -> str:
    pending = propose(w["plaintext"])
    assert pending.status_code == 202, pending.content
    ref = pending.json()["id"]
    services.action_approve(GatewayAction.objects.get(reference=ref), user=world.leader, comment="Fine to send.")
    return ref


def test_the_approval_round_trip(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)

    pending = propose(w["plaintext"])

    assert pending.status_code == 202, pending.content
    body = pending.json()
    ref = body["id"]
    assert body["status"] == "pending" and body["policy"] == w["policy"].label
    assert body["arguments_sha256"] == arguments_sha256(ARGUMENTS) and body["approver_role"] == "leadership"
    assert not mock_upstream_server.received, "nothing reached the connector before the approval"
    assert get_action(w["plaintext"], ref).json()["status"] == "pending"

    services.action_approve(GatewayAction.objects.get(reference=ref), user=world.leader, comment="Fine to send.")
    assert get_action(w["plaintext"], ref, wait=5).json()["status"] == "approved"
    performed = propose(w["plaintext"], approval=ref)

    assert performed.status_code == 200, performed.content
    assert performed.json()["result"] == {"ok": True, "connector": CONNECTOR, "received": ARGUMENTS}
    assert mock_upstream_server.received[-1].json() == ARGUMENTS
    assert mock_upstream_server.received[-1].headers["idempotency-key"] == ref
    read = get_action(w["plaintext"], ref).json()
    assert read["status"] == "performed" and read["result"]["received"] == ARGUMENTS
    assert _types(w["system"]) == ["action_proposed", "approved", "performed"]
    proposed, approved, done = _events(w["system"])[-3:]
    assert proposed.subject == approved.subject == done.subject == ref
    assert proposed.request_sha256 == arguments_sha256(ARGUMENTS) and proposed.decision == "require_approval"
    assert proposed.policy_version == w["policy"].label and proposed.entity_counts == {"PHONE_NUMBER": 1}
    assert approved.approver == world.leader and approved.detail == "Fine to send."
    assert approved.refers_to_sequence == done.refers_to_sequence == proposed.sequence
    assert done.response_sha256 and done.latency_ms is not None
    assert ledger.verify(world.acme).ok


def test_a_denied_action_is_refused_with_the_comment(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = propose(w["plaintext"]).json()["id"]

    services.action_deny(GatewayAction.objects.get(reference=ref), user=world.leader, comment="Wrong patient.")
    read = get_action(w["plaintext"], ref, wait=5).json()
    replay = propose(w["plaintext"], approval=ref)

    assert read["status"] == "denied" and read["comment"] == "Wrong patient."
    assert replay.status_code == 403 and replay.json()["error"]["code"] == "action_denied"
    assert not mock_upstream_server.received
    assert _types(w["system"]) == ["action_proposed", "denied", "refusal"]


def test_a_replay_with_changed_arguments_is_refused(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = _approved(world, w)

    changed = propose(w["plaintext"], {**ARGUMENTS, "patient": "P-2002"}, approval=ref)

    assert changed.status_code == 409
    assert (
        changed.json()["error"]["code"] == "arguments_changed"
        and "arguments differ" in changed.json()["error"]["message"]
    )
    assert not mock_upstream_server.received
    refusal = _events(w["system"])[-1]
    assert refusal.type == "refusal" and refusal.subject == ref and refusal.decision == "arguments_changed"
    assert refusal.request_sha256 == arguments_sha256({**ARGUMENTS, "patient": "P-2002"})
    # The approval still covers the call as approved.
    assert propose(w["plaintext"], approval=ref).status_code == 200


def test_the_same_arguments_in_another_key_order_are_the_same_call(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = _approved(world, w)

    reordered = dict(reversed(list(ARGUMENTS.items())))

    assert propose(w["plaintext"], reordered, approval=ref).status_code == 200


def test_an_approval_is_used_once(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = _approved(world, w)

    first = propose(w["plaintext"], approval=ref)
    second = propose(w["plaintext"], approval=ref)

    assert first.status_code == 200
    assert second.status_code == 409 and second.json()["error"]["code"] == "approval_used"
    assert len(mock_upstream_server.received) == 1


def test_an_expired_approval_is_refused(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = _approved(world, w)
    action = GatewayAction.objects.get(reference=ref)
    register_update(action, user=None, expected_version=action.version, reason="Test: time passes",
                    expires_at=timezone.now() - timedelta(minutes=1))  # fmt: skip

    late = propose(w["plaintext"], approval=ref)

    assert late.status_code == 403 and late.json()["error"]["code"] == "approval_expired"
    assert GatewayAction.objects.get(reference=ref).state == "expired"
    assert get_action(w["plaintext"], ref).json()["status"] == "expired"
    assert not mock_upstream_server.received


def test_a_pending_action_past_its_window_cannot_be_approved(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = propose(w["plaintext"]).json()["id"]
    action = GatewayAction.objects.get(reference=ref)
    register_update(action, user=None, expected_version=action.version, reason="Test: time passes",
                    expires_at=timezone.now() - timedelta(minutes=1))  # fmt: skip

    with pytest.raises(services.ActionNotPending, match="expired"):
        services.action_approve(action, user=world.leader, comment="Late")
    assert get_action(w["plaintext"], ref).json()["status"] == "expired"


def test_an_approval_under_a_superseded_policy_is_refused(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = _approved(world, w)
    newer = policy_in_force(world.acme, world.leader, rules=[{"tool": TOOL, "outcome": "require_approval",
                                                               "approver_role": "leadership"}])  # fmt: skip

    refused = propose(w["plaintext"], approval=ref)

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "policy_changed"
    assert newer.label in refused.json()["error"]["message"]
    assert not mock_upstream_server.received


def test_an_action_the_policy_allows_is_performed_at_once(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)

    done = propose(w["plaintext"], {"patient": "P-1001"}, tool="lookup_appointment")

    assert done.status_code == 200 and done.json()["status"] == "performed"
    assert done.json()["result"]["received"] == {"patient": "P-1001"}
    assert _types(w["system"]) == ["action_proposed", "performed"]


def test_an_action_the_policy_blocks_is_denied(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)

    blocked = propose(w["plaintext"], {"patient": "P-1001"}, tool="delete_record")

    assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "action_denied"
    assert GatewayAction.objects.get().state == "denied"
    assert _types(w["system"]) == ["action_proposed", "denied"]
    assert not mock_upstream_server.received


def test_an_action_no_rule_names_is_denied(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server, rules=[])

    assert propose(w["plaintext"]).status_code == 403
    assert not mock_upstream_server.received


def test_a_connector_that_does_not_allow_the_tool_refuses_it(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)

    refused = propose(w["plaintext"], tool="transfer_funds")
    unknown = propose(w["plaintext"], connector="payments")

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "tool_not_allowed"
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "connector_not_found"
    assert not GatewayAction.objects.exists() and not mock_upstream_server.received
    refusals = _events(w["system"])[-2:]
    assert [(e.type, e.tool, e.connector) for e in refusals] == [
        ("refusal", "transfer_funds", CONNECTOR), ("refusal", TOOL, "payments"),
    ]  # fmt: skip


def test_a_disabled_or_retired_connector_refuses(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    connector = services.connector_update(w["connector"], user=world.officer, expected_version=1, enabled=False)

    assert propose(w["plaintext"]).json()["error"]["code"] == "connector_disabled"
    services.connector_retire(connector, user=world.officer, expected_version=connector.version, reason="Replaced")
    assert propose(w["plaintext"]).status_code == 404


def test_blocked_personal_data_refuses_the_action(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)

    refused = propose(w["plaintext"], {"patient": "P-1001", "message": "Card 4111 1111 1111 1111 on file."})

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "personal_data_blocked"
    event = _events(w["system"])[-1]
    assert event.type == "refusal" and event.entity_counts == {"CREDIT_CARD": 1}
    assert "4111" not in str(GatewayEvent.objects.values_list("detail", flat=True))


def test_another_systems_action_is_not_found(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    ref = _approved(world, w)
    other = system_with_model(world.acme, world.officer)
    _key, other_plaintext = make_key(other, world.officer)

    assert get_action(other_plaintext, ref).status_code == 404
    replay = propose(other_plaintext, approval=ref)
    assert replay.status_code == 404 and replay.json()["error"]["code"] == "action_not_found"
    assert not mock_upstream_server.received


def test_a_failing_connector_fails_the_action(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)
    services.connector_update(w["connector"], user=world.officer, expected_version=1,
                              url="http://127.0.0.1:9/connectors/patient-messaging", timeout=1)  # fmt: skip

    failed = propose(w["plaintext"], {"patient": "P-1"}, tool="lookup_appointment")

    assert failed.status_code == 502 and failed.json()["error"]["code"] == "action_failed"
    assert GatewayAction.objects.get().state == "failed"
    assert _types(w["system"])[-1] == "failed"


def test_the_credential_comes_from_the_named_variable(world, mock_upstream_server, monkeypatch):
    w = action_world(world, mock_upstream_server)
    services.connector_update(w["connector"], user=world.officer, expected_version=1, credential_env="MESSAGING_TOKEN")

    missing = propose(w["plaintext"], {"patient": "P-1"}, tool="lookup_appointment")
    monkeypatch.setenv("MESSAGING_TOKEN", "s3cret-token")
    sent = propose(w["plaintext"], {"patient": "P-2"}, tool="lookup_appointment")

    assert missing.status_code == 502 and "MESSAGING_TOKEN" in missing.json()["error"]["message"]
    assert sent.status_code == 200
    assert mock_upstream_server.received[-1].headers["authorization"] == "Bearer s3cret-token"
    assert "s3cret" not in str(list(GatewayAction.objects.values())) + str(list(GatewayEvent.objects.values()))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"tool": "x y", "connector": CONNECTOR, "arguments": {}}, "tool"),
        ({"tool": TOOL, "connector": 3, "arguments": {}}, "connector"),
        ({"tool": TOOL, "connector": CONNECTOR, "arguments": [1]}, "arguments"),
        ({"tool": TOOL, "connector": CONNECTOR, "arguments": {}, "approval": "nope"}, "approval"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_parameter(world, body, param):
    w = action_world(world)
    from tests.gateway.actions_helpers import post_action

    response = post_action(w["plaintext"], body)

    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_a_wait_out_of_bounds_is_refused(world):
    w = action_world(world)
    ref = propose(w["plaintext"]).json()["id"]

    assert get_action(w["plaintext"], ref, wait=31).status_code == 400
    assert get_action(w["plaintext"], ref, wait="soon").status_code == 400


def test_no_key_no_action(world):
    action_world(world)

    response = propose("aimsgw_not-a-real-key-at-all-0000000000")

    assert response.status_code == 401 and not GatewayAction.objects.exists()
