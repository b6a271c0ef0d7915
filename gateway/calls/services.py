"""The database side of a model call: checks, personal data, decision and ledger, before and after forwarding.

The async views make three trips to a database thread per call: the key check
(``gateway.endpoint.authenticate``), ``call_begin`` (policy, register checks, detection and
redaction, the decision, then the ``call`` event written BEFORE anything is forwarded), and
``call_answer`` or ``call_stream_end`` (the answer's personal data, the ``call_completed`` or
``failed`` event, tool calls in the answer). A refusal is recorded inside the trip that
refuses, as a ``refusal`` event of the AI system's chain, and nothing is forwarded.

Personal data in the answer: a non-streamed answer gets the same entity actions as the request
(consistent placeholders: the value masked as ``<EMAIL_1>`` in the request is ``<EMAIL_1>`` in
the answer too) when the decision was ``redact``; a streamed answer is passed through chunk by
chunk as the provider sends it, and its accumulated text is checked at the end, the counts
recorded in the completion event (the stored copy is redacted).
"""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from gateway import ledger
from gateway.actions.toolcalls import record_model_tool_calls
from gateway.calls.checks import Refused, check_call
from gateway.models import GatewayEvent, GatewayKey, ModelRoute, Outcome
from gateway.pii import PiiDetectionError, Redactor
from gateway.pii.redact import redact_message
from gateway.policy.decide import Decision, NoPolicy, Policy, policy_in_force
from registers.models import AISystem, ModelRecord

__all__ = ["Call", "StreamSummary", "call_answer", "call_begin", "call_failed", "call_stream_end", "key_refusal"]

DETAIL_LENGTH = 500


@dataclass
class Call:
    """A call that passed every check and is on record (its ``call`` event), ready to forward."""

    event: GatewayEvent
    policy: Policy
    decision: Decision
    record: ModelRecord
    route: ModelRoute
    credential: str | None
    body: bytes  # what is forwarded: JSON with the upstream model name
    redactor: Redactor
    stream: bool = False
    client_wants_usage: bool = False
    started: float = field(default_factory=time.perf_counter)

    @property
    def redacts_answer(self) -> bool:
        return self.decision.outcome != Outcome.ALLOW

    def latency_ms(self) -> int:
        return max(0, round((time.perf_counter() - self.started) * 1000))


def retain_until(policy: Policy) -> datetime | None:
    """When bodies of calls under this policy are purged (never when it keeps them: 0 days)."""
    return timezone.now() + timedelta(days=policy.body_retention_days) if policy.body_retention_days else None


def _refusal(system: AISystem, *, key_id: int | None, refused: Refused, **fields: Any) -> GatewayEvent:
    return ledger.record(
        ai_system=system,
        type=GatewayEvent.Type.REFUSAL,
        key_id=key_id,
        decision=refused.decision,
        detail=refused.message[:DETAIL_LENGTH],
        **fields,
    )


def key_refusal(key: GatewayKey, reason: str) -> GatewayEvent:
    """Record a call with a revoked or expired key in its AI system's chain."""
    refused = Refused(401, reason, code="invalid_api_key", decision="key_refused")
    return _refusal(key.ai_system, key_id=key.pk, refused=refused)


def redact_request(messages: list[dict[str, Any]], policy: Policy) -> tuple[list[dict[str, Any]], Redactor]:
    """Every message redacted by the policy's entity actions (all roles, parts, tool calls), or ``Refused``."""
    redactor = Redactor(dict(policy.entity_actions), default=policy.default_entity_action)
    try:
        return [redact_message(message, redactor) for message in messages], redactor
    except Exception as error:  # PiiDetectionError, or a message detection could not read: fail closed
        kind = "failed" if isinstance(error, PiiDetectionError) else "could not read a message"
        raise Refused(
            503,
            f"Personal data detection {kind}: the call was refused and nothing was forwarded. Try again; if it "
            "persists, tell the gateway's administrators.",
            code="pii_detection_failed",
        ) from error


def decide(system: AISystem, record: ModelRecord, policy: Policy, redactor: Redactor) -> Decision:
    """The policy's decision on the call, or ``Refused`` for a blocked entity, a block or an approval rule."""
    if redactor.blocked:
        raise Refused(
            403,
            f"The gateway policy ({policy.label}) blocks {', '.join(sorted(redactor.blocked))} in calls: the call "
            "was refused and nothing was forwarded. Remove it from the messages.",
            code="personal_data_blocked",
            decision=Outcome.BLOCK,
        )
    decision = policy.decide(ai_system_id=system.pk, model=record.name, entity_types=list(redactor.counts))
    if decision.outcome == Outcome.BLOCK:
        raise Refused(
            403,
            f"The gateway policy ({decision.policy}, {decision.rule}) blocks this call.",
            code="policy_blocked",
            decision=decision.outcome,
        )
    if decision.outcome == Outcome.REQUIRE_APPROVAL:
        role = decision.approver_role or "an approver"
        raise Refused(
            403,
            f"The gateway policy ({decision.policy}, {decision.rule}) requires approval by {role} for this call, "
            "and a model call cannot wait for one: propose the action through POST /gateway/v1/actions instead.",
            code="approval_required",
            decision=decision.outcome,
        )
    return decision


def _begin(key: GatewayKey, payload: dict[str, Any], state: dict[str, Any]) -> Call:
    system = key.ai_system
    system.management_system = key.management_system  # the same one (a key's system is of its MS): no query
    try:
        policy = policy_in_force(system.management_system_id)
    except NoPolicy as error:
        raise Refused(403, str(error), code="no_policy") from None
    state["policy_version"] = policy.label
    record, route, credential = check_call(
        system, payload["model"], require_impact_assessment=policy.require_impact_assessment
    )
    state["model_requested"] = record.name
    redacted, redactor = redact_request(payload["messages"], policy)
    state["entity_counts"] = dict(redactor.counts)
    decision = decide(system, record, policy, redactor)
    stream = bool(payload.get("stream"))
    wants_usage = bool((payload.get("stream_options") or {}).get("include_usage")) if stream else False
    upstream = {**payload, "model": route.upstream_model}
    if stream:  # ask for usage always, to record tokens; a client that did not ask never sees the usage chunk
        upstream["stream_options"] = {**(payload.get("stream_options") or {}), "include_usage": True}
    stored = json.dumps({**upstream, "messages": redacted}, ensure_ascii=False)
    forwarded = stored if decision.outcome != Outcome.ALLOW else json.dumps(upstream, ensure_ascii=False)
    event = ledger.call_start(
        ai_system=system,
        request_body=stored,
        retain_until=retain_until(policy),
        key_id=key.pk,
        model_requested=record.name,
        decision=decision.outcome,
        policy_version=decision.policy,
        entity_counts=dict(redactor.counts),
    )
    event.ai_system, event.management_system = system, key.management_system  # what call_complete reads
    return Call(
        event=event, policy=policy, decision=decision, record=record, route=route, credential=credential,
        body=forwarded.encode(), redactor=redactor, stream=stream, client_wants_usage=wants_usage,
    )  # fmt: skip


def call_begin(*, key: GatewayKey, payload: dict[str, Any], started: float | None = None) -> Call:
    """Check a parsed chat completion request against the register and policy, and record it before forwarding.

    Raises ``Refused`` (recorded as a ``refusal`` event) when the call may not go out.
    """
    state: dict[str, Any] = {"model_requested": str(payload.get("model", ""))[:200]}
    try:
        call = _begin(key, payload, state)
    except Refused as refused:
        _refusal(key.ai_system, key_id=key.pk, refused=refused, **state)
        raise
    if started is not None:
        call.started = started
    return call


# --- the answer --------------------------------------------------------------------------------------------


def _counts_since(redactor: Redactor, before: dict[str, int]) -> dict[str, int]:
    return {name: n - before.get(name, 0) for name, n in redactor.counts.items() if n - before.get(name, 0)}


def _answer_detail(counts: dict[str, int], blocked: set[str], *, redacted: bool, streamed: bool) -> str:
    if not counts:
        return ""
    found = ", ".join(f"{name} x{n}" for name, n in sorted(counts.items()))
    if streamed:
        return f"Personal data in the streamed answer ({found}): passed through as streamed, recorded here."
    if redacted:
        extra = f"; {', '.join(sorted(blocked))} masked although blocked" if blocked else ""
        return f"Personal data in the answer ({found}) redacted by the policy{extra}."
    return f"Personal data in the answer ({found}) returned as the policy allows."


def _usage(answer: dict[str, Any]) -> tuple[int | None, int | None]:
    usage = answer.get("usage") or {}
    if not isinstance(usage, dict):
        return None, None
    tokens_in, tokens_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return (tokens_in if isinstance(tokens_in, int) else None), (tokens_out if isinstance(tokens_out, int) else None)


def call_answer(call: Call, answer: dict[str, Any]) -> dict[str, Any]:
    """Check a non-streamed answer for personal data, record the completed call; return what the client gets."""
    before, blocked_before = dict(call.redactor.counts), set(call.redactor.blocked)
    choices = [choice for choice in answer.get("choices") or [] if isinstance(choice, dict)]
    try:
        redacted_choices = [
            {**choice, "message": redact_message(choice["message"], call.redactor)}
            if isinstance(choice.get("message"), dict)
            else choice
            for choice in choices
        ]
    except Exception as error:  # fail closed on the way back too: no unchecked answer reaches the client
        message = "Personal data detection failed on the answer: it was withheld."
        call_failed(call, detail=message)
        raise Refused(503, message, code="pii_detection_failed") from error
    redacted = {**answer, "choices": redacted_choices}
    counts = _counts_since(call.redactor, before)
    blocked = set(call.redactor.blocked) - blocked_before
    tokens_in, tokens_out = _usage(answer)
    tool_calls = [
        tool_call for choice in redacted_choices for tool_call in (choice.get("message") or {}).get("tool_calls") or []
    ]
    with ledger.write_transaction() if tool_calls else nullcontext():
        ledger.call_complete(
            call=call.event,
            response_body=json.dumps(redacted, ensure_ascii=False),
            retain_until=retain_until(call.policy),
            model_served=str(answer.get("model") or call.route.upstream_model)[:200],
            latency_ms=call.latency_ms(),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            entity_counts=counts,
            detail=_answer_detail(counts, blocked, redacted=call.redacts_answer, streamed=False),
        )
        if tool_calls:
            record_model_tool_calls(call=call.event, tool_calls=tool_calls, policy_label=call.policy.label)
    return redacted if call.redacts_answer else answer


def call_failed(call: Call, *, detail: str, response_body: str | None = None) -> GatewayEvent:
    """Record that a forwarded call failed (upstream down, timed out, refused or broken)."""
    return ledger.call_complete(
        call=call.event,
        response_body=response_body,
        retain_until=retain_until(call.policy),
        model_served="",
        latency_ms=call.latency_ms(),
        failed=True,
        detail=detail,
    )


@dataclass
class StreamSummary:
    """What a streamed answer said, accumulated from its chunks (content, tool calls, usage, model)."""

    model: str = ""
    content: dict[int, list[str]] = field(default_factory=dict)
    tool_calls: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    tokens_in: int | None = None
    tokens_out: int | None = None
    done: bool = False
    error: str = ""

    def feed(self, chunk: dict[str, Any]) -> None:
        """Take in one ``chat.completion.chunk``."""
        self.model = self.model or str(chunk.get("model") or "")
        if isinstance(chunk.get("error"), dict):
            self.error = str(chunk["error"].get("message") or "error")[:300]
        if isinstance(chunk.get("usage"), dict):
            self.tokens_in, self.tokens_out = _usage(chunk)
        for choice in chunk.get("choices") or []:
            index, delta = choice.get("index", 0), choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                self.content.setdefault(index, []).append(delta["content"])
            for part in delta.get("tool_calls") or []:
                self._feed_tool_call(index, part)

    def _feed_tool_call(self, choice: int, part: dict[str, Any]) -> None:
        call = self.tool_calls.setdefault(
            (choice, part.get("index", 0)), {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
        )
        call["id"] = part.get("id") or call["id"]
        function = part.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""

    def message(self, index: int) -> dict[str, Any]:
        calls = [call for (choice, _), call in sorted(self.tool_calls.items()) if choice == index]
        return {"role": "assistant", "content": "".join(self.content.get(index, [])), "tool_calls": calls}


def call_stream_end(call: Call, summary: StreamSummary, *, failure: str = "") -> GatewayEvent:
    """Record a streamed call once its stream ended: personal data in the accumulated answer, tokens, tool calls."""
    if failure or summary.error or not summary.done:
        why = failure or (f"the provider sent an error: {summary.error}" if summary.error else "the stream broke off")
        return call_failed(call, detail=f"The streamed answer did not complete: {why}."[:DETAIL_LENGTH])
    before = dict(call.redactor.counts)
    indexes = sorted(set(summary.content) | {choice for choice, _ in summary.tool_calls})
    try:
        messages = [redact_message(summary.message(index), call.redactor) for index in indexes]
    except Exception:
        return call_failed(call, detail="Personal data detection failed on the streamed answer (already sent).")
    counts = _counts_since(call.redactor, before)
    tool_calls = [tool_call for message in messages for tool_call in message["tool_calls"]]
    stored = {"model": summary.model, "streamed": True, "choices": [{"index": i, "message": m} for i, m in zip(indexes, messages, strict=True)]}  # fmt: skip
    with ledger.write_transaction() if tool_calls else nullcontext():
        event = ledger.call_complete(
            call=call.event,
            response_body=json.dumps(stored, ensure_ascii=False),
            retain_until=retain_until(call.policy),
            model_served=(summary.model or call.route.upstream_model)[:200],
            latency_ms=call.latency_ms(),
            tokens_in=summary.tokens_in,
            tokens_out=summary.tokens_out,
            entity_counts=counts,
            detail=_answer_detail(counts, set(), redacted=False, streamed=True),
        )
        if tool_calls:
            record_model_tool_calls(call=call.event, tool_calls=tool_calls, policy_label=call.policy.label)
    return event
