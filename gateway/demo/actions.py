"""Demo: Acme's patient-messaging connector, and three actions its triage system (AIS-001) proposed.

The actions go through the real endpoint (``POST /gateway/v1/actions``, the view called in-process
with a gateway key) and the connector answers from the mock upstream (``/connectors/patient-messaging``
on ``GATEWAY_MOCK_PORT``, 8099 by default; the one ``make run`` serves, or one started here for the
load): one approved by the leader and performed, one denied with a comment, one left waiting so
that the approval queue has something in it. It needs the demo policy (a leadership approval for
``send_patient_message``); without a policy in force it adds nothing.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager, nullcontext
from typing import Any

from asgiref.sync import async_to_sync
from django.test import AsyncRequestFactory
from django.test.utils import override_settings

from gateway.actions import endpoints, services
from gateway.keys.services import key_create
from gateway.mock_upstream import MockUpstream, serving
from gateway.models import Connector, GatewayAction
from gateway.policy.decide import NoPolicy, policy_in_force
from registers.models import AISystem

TOOL, CONNECTOR = "send_patient_message", "patient-messaging"
APPROVED = {
    "patient": "P-1042",
    "channel": "sms",
    "message": "Your clinic appointment on Thursday is confirmed for 10:30. Reply CHANGE to move it.",
}
DENIED = {
    "patient": "P-2210",
    "channel": "email",
    "message": "Your blood test results are back and show a raised HbA1c. Call 020 7946 0958 to discuss.",
}
PENDING = {"patient": "P-3307", "channel": "email",
           "message": "Reminder: please bring your repeat prescription. Questions to clinic@acme-health.example."}  # fmt: skip


def mock_port() -> int:
    return int(os.environ.get("GATEWAY_MOCK_PORT", "8099"))


@contextmanager
def _connector_answering():
    """The mock upstream on its port for the load: the one already running there, or one started now."""
    try:
        server = MockUpstream("127.0.0.1", mock_port(), quiet=True)
    except OSError:  # taken: make run's mock upstream serves it
        with nullcontext():
            yield
        return
    with serving(server, poll_interval=0.05):
        yield


def _post(plaintext: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = AsyncRequestFactory().post(
        "/gateway/v1/actions", json.dumps(body), content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
    )  # fmt: skip
    response = async_to_sync(endpoints.actions)(request)
    return response.status_code, json.loads(response.content)


def load(demo: Any) -> None:
    """Add the connector and the three actions (nothing when Acme has the connector already, or no policy)."""
    ms, users = demo.acme, demo.acme_users
    system = AISystem.objects.filter(management_system=ms, reference="AIS-001").first()
    if system is None or Connector.objects.filter(management_system=ms, name=CONNECTOR).exists():
        return
    try:
        policy_in_force(ms.pk)
    except NoPolicy:
        return
    connector = services.connector_create(
        management_system=ms, user=users["officer"], reason="Demo: the patient messaging service",
        name=CONNECTOR, description="Sends SMS and e-mail messages to patients on the clinic's behalf.",
        url=f"http://127.0.0.1:{mock_port()}/connectors/{CONNECTOR}", method="POST", allowed_tools=[TOOL],
        timeout=10,
    )  # fmt: skip
    _key, plaintext = key_create(ai_system=system, user=users["officer"], name="Triage service: patient messages")
    leader = users["leader"]
    # In the demo's transaction, in this thread (GATEWAY_DB_THREADS=0: the gateway's database work runs here).
    with override_settings(GATEWAY_DB_THREADS=0), _connector_answering():
        call = {"tool": TOOL, "connector": connector.name}
        status, first = _post(plaintext, {**call, "arguments": APPROVED})
        if status != 202:
            return  # the policy in force does not ask for approval: nothing to show in the queue
        approved = GatewayAction.objects.get(management_system=ms, reference=first["id"])
        services.action_approve(approved, user=leader, comment="Checked the appointment: fine to send.")
        _post(plaintext, {**call, "arguments": APPROVED, "approval": approved.reference})
        _status, second = _post(plaintext, {**call, "arguments": DENIED})
        services.action_deny(
            GatewayAction.objects.get(management_system=ms, reference=second["id"]), user=leader,
            comment="Results are explained by a clinician, never in a message. Book a call instead.",
        )  # fmt: skip
        _post(plaintext, {**call, "arguments": PENDING})
    demo.created.append(f"{connector.reference} {CONNECTOR} with 3 gateway actions of {system.reference}")
