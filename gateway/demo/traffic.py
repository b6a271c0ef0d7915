"""Demo traffic: Acme's patient message triage (AIS-001) and FAQ chatbot call their models through the gateway.

``load(demo)`` gives each system's first model record a route to the mock provider
(``http://127.0.0.1:{GATEWAY_MOCK_PORT or 8099}/v1``, where ``make run`` serves it) and a gateway
key, then sends real calls through the gateway's code
in-process (the view ``gateway.calls.views.chat_completions``, as ``gateway.demo.actions`` calls its view) while a mock provider serves
in a thread: some with personal data (an e-mail address, a phone number, an NHS number), one
streamed, one with a card number (blocked). It assumes the policy's demo step approved a policy
first; without one every call is refused, which the log shows too. Traffic is sent once: a
system that already has the demo's key gets none.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from typing import Any

from asgiref.sync import async_to_sync
from django.test import AsyncRequestFactory
from django.test.utils import override_settings

from gateway.keys.services import key_create, route_set
from gateway.mock_upstream import MockUpstream, serving
from gateway.models import GatewayKey, ModelRoute
from registers.models import AISystem

SYSTEMS = ("Patient message triage", "Patient FAQ chatbot")
# A system that has the demo's key got its traffic already (or has it queued until the demo commits).
KEY_NAME = "Demo traffic"
CALLS = {
    "Patient message triage": [
        "Please move my appointment next week; you can reach me at amira.khan@example.org.",
        "My NHS number is 943 476 5919. Call me on 07700 900123 about my blood test results.",
        "I have had a headache for three days and the tablets are not helping.",
        "Please take the prescription charge from my card 4111 1111 1111 1111.",  # blocked: a card number
    ],
    "Patient FAQ chatbot": [
        "What are the visiting hours on the children's ward?",
        "Where can I park near outpatients? Send the map to j.osei@example.com please.",
    ],
}
STREAMED = {"Patient FAQ chatbot": "Is there a cash machine in the main entrance?"}


def mock_port() -> int:
    return int(os.environ.get("GATEWAY_MOCK_PORT") or 8099)


@contextlib.contextmanager
def mock_provider(port: int) -> Iterator[None]:
    """Serve the mock provider on ``port`` for the traffic, unless one already listens there (``make run``)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            yield
            return
    with serving(MockUpstream("127.0.0.1", port, quiet=True), poll_interval=0.05):
        yield


def prepare(system: AISystem, user: Any, base_url: str) -> tuple[str, str] | None:
    """Route the system's first model record to the mock provider; return (model name, a new key), or None."""
    record = system.model_records.filter(retired_at__isnull=True).order_by("reference").first()
    if record is None:
        return None
    if not ModelRoute.objects.filter(model_record=record).exists():
        route_set(
            model_record=record, user=user, base_url=base_url, upstream_model="mock-gpt", credential_env="",
            reason="Demo: calls go to the mock model provider",
        )  # fmt: skip
    _key, plaintext = key_create(ai_system=system, user=user, name=KEY_NAME, expires_in_days=30)
    return record.name, plaintext


async def _post(plaintext: str, body: dict[str, Any]) -> int:
    """One call to the gateway's view, in-process (the views' own checks, redaction, ledger and provider)."""
    from gateway.calls import views

    request = AsyncRequestFactory().post(
        "/gateway/v1/chat/completions", json.dumps(body), content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
    )  # fmt: skip
    response = await views.chat_completions(request)
    if response.streaming:
        async for _chunk in response.streaming_content:  # relayed as the provider sends it
            pass
    return response.status_code


async def send(plans: list[tuple[str, str, str]]) -> list[int]:
    """Send every planned call through the gateway in-process; return the status codes."""
    statuses = []
    for system_name, model, plaintext in plans:
        for content in CALLS[system_name]:
            statuses.append(
                await _post(plaintext, {"model": model, "messages": [{"role": "user", "content": content}]})
            )
        if system_name in STREAMED:
            body = {"model": model, "stream": True, "messages": [{"role": "user", "content": STREAMED[system_name]}]}
            statuses.append(await _post(plaintext, body))
    return statuses


def load(demo: Any) -> None:
    """Route AIS-001 and the FAQ chatbot through the gateway and send the demo calls."""
    user = demo.users["owner"]
    base_url = f"http://127.0.0.1:{mock_port()}/v1"
    plans = []
    for name in SYSTEMS:
        system = AISystem.objects.filter(management_system=demo.acme, name=name).first()
        if system is None or GatewayKey.objects.filter(ai_system=system, name=KEY_NAME).exists():
            continue
        prepared = prepare(system, user, base_url)
        if prepared is not None:
            plans.append((name, *prepared))
            demo.created.append(f"{system.reference} gateway traffic")
    if not plans:
        return

    # In the demo's transaction, in this thread (GATEWAY_DB_THREADS=0: the gateway's database work runs here).
    with override_settings(GATEWAY_DB_THREADS=0), mock_provider(mock_port()):
        async_to_sync(send)(plans)
