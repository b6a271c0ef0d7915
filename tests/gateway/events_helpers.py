"""Gateway events for the event log's tests: calls with their completion, events at a chosen time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway import ledger
from gateway.models import GatewayEvent
from registers.models import AISystem


def completed_call(
    system: AISystem,
    *,
    request_body: str = '{"messages": [{"role": "user", "content": "Hello <EMAIL_ADDRESS_1>"}]}',
    response_body: str = '{"choices": []}',
    latency_ms: int = 40,
    **fields: Any,
) -> tuple[GatewayEvent, GatewayEvent]:
    """A call recorded before forwarding and its completion, as the gateway writes them."""
    fields = {"model_requested": "triage-model", "decision": "redact", "policy_version": "policy@1", **fields}
    call = ledger.call_start(ai_system=system, request_body=request_body, retain_until=None, **fields)
    done = ledger.call_complete(
        call=call, response_body=response_body, retain_until=None, model_served="gpt-4o-mini",
        latency_ms=latency_ms, tokens_in=12, tokens_out=30,
    )  # fmt: skip
    return call, done


def event_at(system: AISystem, when: datetime, type: str = "call", **fields: Any) -> GatewayEvent:
    """An event written at a given time (a figure's window, a time filter)."""
    return ledger.event_append(ai_system=system, type=type, occurred_at=when, **fields)
