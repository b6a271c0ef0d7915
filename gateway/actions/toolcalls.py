"""Tool calls that a model returns are recorded in the AI system's chain (they are not performed)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gateway import ledger
from gateway.models import GatewayEvent


def canonical_arguments(arguments: Any) -> bytes:
    """Canonical JSON of an action's (or tool call's) arguments: sorted keys, no whitespace, UTF-8."""
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def arguments_sha256(arguments: Any) -> str:
    return hashlib.sha256(canonical_arguments(arguments)).hexdigest()


def record_model_tool_calls(*, call: GatewayEvent, tool_calls: list[dict[str, Any]], policy_label: str) -> list:
    """Append one ``action_proposed`` event per tool call in a model's answer, referring to the call."""
    events = []
    for tool_call in tool_calls or []:
        function = (tool_call or {}).get("function") or {}
        raw = function.get("arguments")
        try:
            arguments = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            arguments = raw
        events.append(
            ledger.event_append(
                ai_system=call.ai_system,
                type=GatewayEvent.Type.ACTION_PROPOSED,
                refers_to_sequence=call.sequence,
                key_id=call.key_id,
                model_requested=call.model_requested,
                decision="model_tool_call",
                policy_version=policy_label,
                tool=str(function.get("name") or "")[:100],
                request_sha256=arguments_sha256(arguments),
                detail="A tool call in the model's answer, recorded; the gateway performs actions only via /actions.",
            )
        )
    return events
