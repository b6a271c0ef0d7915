"""The demo's actions: the patient-messaging connector, one action performed, one denied, one waiting."""

from __future__ import annotations

import socket
from types import SimpleNamespace

from gateway.demo import actions as demo_actions
from gateway.models import Connector, GatewayAction
from gateway.policy import decide
from tests.factories import make_ai_system
from tests.gateway.policy_helpers import policy_in_force


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_leaves_one_performed_one_denied_one_pending(world, monkeypatch):
    decide._cache.clear()
    monkeypatch.setenv("GATEWAY_MOCK_PORT", str(_free_port()))
    system = make_ai_system(world.acme, user=world.officer)
    assert system.reference == "AIS-001"
    policy_in_force(
        world.acme,
        world.leader,
        rules=[
            {
                "tool": "send_patient_message",
                "connector": "patient-messaging",
                "outcome": "require_approval",
                "approver_role": "leadership",
            }
        ],
    )
    demo = SimpleNamespace(acme=world.acme, acme_users=world.users, created=[])

    demo_actions.load(demo)
    demo_actions.load(demo)  # a second load adds nothing

    states = dict(GatewayAction.objects.values_list("arguments__patient", "state"))
    assert states == {"P-1042": "performed", "P-2210": "denied", "P-3307": "pending"}
    performed = GatewayAction.objects.get(state="performed")
    assert performed.result["received"] == demo_actions.APPROVED and performed.approver == world.leader
    assert GatewayAction.objects.get(state="denied").comment.startswith("Results are explained")
    assert Connector.objects.get().url.endswith("/connectors/patient-messaging") and len(demo.created) == 1
