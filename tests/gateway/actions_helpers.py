"""Gateway actions for tests: a system with a key, a connector on the mock upstream, a policy, the endpoint."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.test import AsyncClient

from gateway.actions import services
from gateway.models import Connector
from gateway.policy import decide
from tests.gateway.keys_helpers import make_key, system_with_model
from tests.gateway.policy_helpers import policy_in_force

TOOL, CONNECTOR = "send_patient_message", "patient-messaging"
ARGUMENTS = {"patient": "P-1001", "message": "Your appointment moved to 10:30. Call 020 7946 0958 with questions."}
APPROVAL_RULES = [
    {"tool": TOOL, "connector": CONNECTOR, "outcome": "require_approval", "approver_role": "leadership",
     "note": "Messages to patients need a person's approval."},
    {"tool": "lookup_appointment", "outcome": "allow"},
    {"tool": "delete_record", "outcome": "block"},
]  # fmt: skip


def connector_url(mock_upstream_server: Any, name: str = CONNECTOR) -> str:
    host, port = mock_upstream_server.server_address[:2]
    return f"http://{host}:{port}/connectors/{name}"


def make_connector(
    ms: Any, user: Any = None, *, url: str = "https://messaging.example.org/send", **fields: Any
) -> Connector:
    fields = {"name": CONNECTOR, "url": url, "method": "POST",
              "allowed_tools": [TOOL, "lookup_appointment", "delete_record"], **fields}  # fmt: skip
    return services.connector_create(management_system=ms, user=user, **fields)


def action_world(world: Any, mock_upstream_server: Any = None, *, rules: Any = None) -> dict[str, Any]:
    """Acme's AI system with a key, the patient-messaging connector (on the mock upstream) and the approval policy."""
    # The policy cache is keyed by the version's id and ``version``, which a rolled-back test database hands out
    # again: a previous test's policy would be taken for this one's.
    decide._cache.clear()
    system = system_with_model(world.acme, world.officer)
    key, plaintext = make_key(system, world.officer)
    url = connector_url(mock_upstream_server) if mock_upstream_server else "https://messaging.example.org/send"
    connector = make_connector(world.acme, world.officer, url=url)
    policy = policy_in_force(world.acme, world.leader, rules=APPROVAL_RULES if rules is None else rules)
    return {"system": system, "key": key, "plaintext": plaintext, "connector": connector, "policy": policy}


def post_action(plaintext: str, body: Any, **extra: Any) -> Any:
    """POST /gateway/v1/actions through the ASGI handler with the key."""
    client = AsyncClient()
    return async_to_sync(client.post)(
        "/gateway/v1/actions", body, content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"}, **extra,
    )  # fmt: skip


def get_action(plaintext: str, reference: str, **params: Any) -> Any:
    client = AsyncClient()
    return async_to_sync(client.get)(
        f"/gateway/v1/actions/{reference}", params, headers={"Authorization": f"Bearer {plaintext}"}
    )


def propose(plaintext: str, arguments: Any = None, *, tool: str = TOOL, connector: str = CONNECTOR, **body: Any) -> Any:
    return post_action(plaintext, {"tool": tool, "connector": connector,
                                   "arguments": ARGUMENTS if arguments is None else arguments, **body})  # fmt: skip


def api_rows(world: Any, *, second: bool = False) -> dict[str, Any]:
    """One row per API resource of the family, in Acme (for ``tests/api/helpers.one_of_everything``).

    ``second=True``: another connector (named apart from the first call's).
    """
    from gateway.actions.services import Call, action_propose
    from gateway.policy.decide import Decision

    system = system_with_model(world.acme, world.officer)
    key, _ = make_key(system, world.officer, name="Actions")
    connector = make_connector(world.acme, world.officer, **({"name": f"{CONNECTOR}-2"} if second else {}))
    call = Call(key=key, connector=connector, tool=TOOL, arguments=ARGUMENTS, entity_counts={"PHONE_NUMBER": 1})
    decision = Decision("require_approval", "policy@1", "rule GWR-001", "leadership")
    return {"gateway-actions": action_propose(call=call, decision=decision), "gateway-connectors": connector}
