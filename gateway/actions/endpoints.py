"""``/gateway/v1/actions``: an AI system proposes an external action; the policy allows, denies or parks it.

``POST /gateway/v1/actions`` with ``{"tool", "arguments", "connector"}`` (and ``"approval":
"GWA-..."`` to perform an approved one):

- allowed by the policy: performed at once through the connector, **200** with the result;
- blocked: **403** (``action_denied``), the action on record as denied;
- approval required: **202** ``{"id": "GWA-...", "status": "pending", ...}``. Poll
  ``GET /gateway/v1/actions/<id>?wait=30``; once approved, submit the same call again with
  ``"approval": "<id>"``: the gateway checks that it is the call approved (connector, tool, the
  SHA-256 of the canonical arguments, the policy version), not expired and not used, then
  performs it (200) or refuses it (403/409, and a ``refusal`` event).

Every refusal has OpenAI's error shape and is a ledger event. Personal data in the arguments is
detected (types and counts go to the ledger); a type the policy blocks refuses the action, and
detection failing refuses it too (fail closed). The arguments themselves go to the connector as
sent: the connector is inside the boundary, and an approver sees what they approve.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from gateway import ledger
from gateway.actions import services
from gateway.actions.perform import Target, perform
from gateway.actions.services import ActionRefused, Call
from gateway.endpoint import authenticate, error_response, in_db_thread
from gateway.keys.services import KeyRefused
from gateway.models import Connector, GatewayAction, GatewayEvent, GatewayKey
from gateway.models.actions import TOOL_NAME
from gateway.pii import PiiDetectionError, detect
from gateway.policy.decide import NoPolicy, Policy, policy_in_force

MAX_BODY_BYTES = 256 * 1024
MAX_WAIT_SECONDS = 30
POLL_SECONDS = 0.5
CONNECTOR_NAME = re.compile(r"[-a-zA-Z0-9_]{1,100}")
REFERENCE = re.compile(r"GWA-\d{1,12}")
State = GatewayAction.State


class Refusal(Exception):
    """A refusal decided before any action exists (bad body, unknown connector, blocked personal data)."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param


# --- the request -----------------------------------------------------------------------------


def _body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise Refusal(413, f"The request body is larger than {MAX_BODY_BYTES // 1024} kB.", "request_too_large")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "The body must be a JSON object.", "invalid_json") from None
    if not isinstance(body, dict):
        raise Refusal(400, "The body must be a JSON object.", "invalid_json")
    return body


def _field(body: dict[str, Any], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Refusal(400, f"'{name}' must be {what}.", "invalid_value", param=name)
    return value


def _arguments(body: dict[str, Any]) -> dict[str, Any]:
    arguments = body.get("arguments", {})
    if isinstance(arguments, str):  # as a model's tool call carries them
        try:
            arguments = json.loads(arguments)
        except ValueError:
            raise Refusal(
                400, "'arguments' is a string that is not JSON.", "invalid_value", param="arguments"
            ) from None
    if not isinstance(arguments, dict):
        raise Refusal(400, "'arguments' must be a JSON object.", "invalid_value", param="arguments")
    return arguments


def _texts(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield str(name)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def entity_counts(arguments: Any) -> dict[str, int]:
    """Types of personal data in the arguments and how many of each (never the values)."""
    counts: Counter[str] = Counter()
    try:
        for text in _texts(arguments):
            counts.update(finding.entity_type for finding in detect(text))
    except PiiDetectionError:
        raise
    except Exception as exc:
        raise PiiDetectionError("The arguments could not be read for personal data") from exc
    return dict(counts)


# --- the synchronous part: register, policy, ledger -----------------------------------------


def _refuse(key: GatewayKey, refusal: Refusal, **fields: Any) -> None:
    ledger.event_append(ai_system=key.ai_system, type=GatewayEvent.Type.REFUSAL, key_id=key.pk,
                        decision=refusal.code, detail=refusal.message[:500], **fields)  # fmt: skip


def _connector(key: GatewayKey, name: str, tool: str) -> Connector:
    connector = Connector.objects.filter(management_system_id=key.management_system_id, name=name).first()
    if connector is None or connector.is_retired:
        raise Refusal(404, f"No connector named {name!r}.", "connector_not_found", "connector")
    if not connector.enabled:
        raise Refusal(403, f"The connector {name!r} is disabled.", "connector_disabled", "connector")
    if not connector.allows(tool):
        raise Refusal(403, f"The connector {name!r} does not perform the tool {tool!r}.", "tool_not_allowed", "tool")
    return connector


def _prepare(key: GatewayKey, body: dict[str, Any]) -> tuple[Call, Policy]:
    """The call checked against the register and the policy's personal-data rules, or a ``Refusal`` on record."""
    fields: dict[str, Any] = {}
    try:
        tool = _field(body, "tool", TOOL_NAME, "a tool name (letters, digits, '_' or '-')")
        fields["tool"] = tool
        name = _field(body, "connector", CONNECTOR_NAME, "a connector's name")
        fields["connector"] = name
        arguments = _arguments(body)
        fields["request_sha256"] = services.arguments_sha256(arguments)
        if key.ai_system.is_retired:
            raise Refusal(403, f"{key.ai_system.reference} was retired: it performs no action.", "ai_system_retired")
        try:
            policy = policy_in_force(key.management_system_id)
        except NoPolicy as none:
            raise Refusal(403, str(none), "no_policy") from None
        fields["policy_version"] = policy.label
        connector = _connector(key, name, tool)
        try:
            counts = entity_counts(arguments)
        except PiiDetectionError:
            raise Refusal(503, "Personal data detection failed: the action is refused, not performed.",
                          "pii_detection_failed") from None  # fmt: skip
        fields["entity_counts"] = counts
        blocked = sorted(t for t in counts if policy.entity_action(t) == "block")
        if blocked:
            raise Refusal(
                403, f"{policy.label} blocks {', '.join(blocked)} in actions: refused.", "personal_data_blocked"
            )
    except Refusal as refusal:
        _refuse(key, refusal, **fields)
        raise
    return Call(key=key, connector=connector, tool=tool, arguments=arguments, entity_counts=counts), policy


def _propose(key: GatewayKey, body: dict[str, Any]) -> tuple[GatewayAction, Policy]:
    call, policy = _prepare(key, body)
    decision = policy.decide(
        ai_system_id=key.ai_system_id, tool=call.tool, connector=call.connector.name, entity_types=call.entity_counts
    )
    action = services.action_propose(call=call, decision=decision, retention_days=policy.body_retention_days)
    action.connector = call.connector  # read by the async view: no query there
    return action, policy


def _redeem(key: GatewayKey, body: dict[str, Any]) -> tuple[GatewayAction, Policy]:
    call, policy = _prepare(key, body)
    reference = body.get("approval")
    if not isinstance(reference, str) or not REFERENCE.fullmatch(reference):
        refusal = Refusal(400, "'approval' must be the id of an approved action, e.g. GWA-001.", "invalid_value",
                          "approval")  # fmt: skip
        _refuse(key, refusal, tool=call.tool, connector=call.connector.name, request_sha256=call.sha256)
        raise refusal
    action = services.action_redeem(call=call, reference=reference, policy_label=policy.label)
    action.connector = call.connector  # the approved one (checked): read by the async view
    return action, policy


def _key_refused(refused: KeyRefused) -> None:
    if refused.key is not None:  # a revoked or expired key: on record in its system's chain
        _refuse(refused.key, Refusal(401, refused.reason, "invalid_api_key"))


# --- the views -------------------------------------------------------------------------------


def action_json(action: GatewayAction) -> dict[str, Any]:
    """How an AI system sees one of its actions."""
    state = action.effective_state
    data: dict[str, Any] = {
        "id": action.reference,
        "object": "gateway.action",
        "status": state,
        "tool": action.tool,
        "connector": action.connector.name,
        "arguments_sha256": action.arguments_sha256,
        "policy": action.policy_version,
        "approver_role": action.approver_role or None,
        "created_at": int(action.created_at.timestamp()),
        "decided_at": int(action.decided_at.timestamp()) if action.decided_at else None,
        "expires_at": int(action.expires_at.timestamp()) if action.expires_at else None,
        "comment": action.comment or None,
    }
    if state == State.PERFORMED:
        data["result"] = action.result
    if state == State.FAILED:
        data["error"] = action.error
    return data


async def _perform(action: GatewayAction, policy: Policy) -> JsonResponse:
    outcome = await perform(Target.of(action.connector), reference=action.reference, arguments=action.arguments)
    done = await in_db_thread(_complete, action, outcome, policy.body_retention_days)
    if not outcome.ok:
        return error_response(502, f"{action.reference} failed: {outcome.error}", code="action_failed")
    return JsonResponse(done)


def _complete(action: GatewayAction, outcome: Any, retention_days: int) -> dict[str, Any]:
    done = services.action_complete(action, outcome=outcome, retention_days=retention_days)
    done.connector = action.connector
    return action_json(done)


@csrf_exempt
@require_http_methods(["POST"])
async def actions(request: HttpRequest) -> HttpResponse:
    """Propose an action (or perform an approved one)."""
    try:
        key = await authenticate(request)
    except KeyRefused as refused:
        await in_db_thread(_key_refused, refused)
        return error_response(401, refused.reason, code="invalid_api_key")
    try:
        body = _body(request)
        step = _redeem if "approval" in body else _propose
        action, policy = await in_db_thread(step, key, body)
    except Refusal as refusal:
        if refusal.code in ("invalid_json", "request_too_large"):
            await in_db_thread(_refuse, key, refusal)
        return error_response(refusal.status, refusal.message, code=refusal.code, param=refusal.param)
    except ActionRefused as refused:
        return error_response(refused.status, refused.message, code=refused.code)
    if action.state == State.DENIED:
        return error_response(403, f"{action.reference} denied: {action.comment}", code="action_denied")
    if action.state == State.PENDING:
        return JsonResponse(action_json(action), status=202)
    return await _perform(action, policy)


def _read(key: GatewayKey, reference: str) -> GatewayAction | None:
    return GatewayAction.objects.select_related("connector").filter(ai_system_id=key.ai_system_id,
                                                                     reference=reference).first()  # fmt: skip


def _wait_seconds(request: HttpRequest) -> float:
    raw = request.GET.get("wait", "0")
    try:
        wait = float(raw)
    except ValueError:
        wait = -1.0
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise Refusal(400, f"'wait' is a number of seconds from 0 to {MAX_WAIT_SECONDS}.", "invalid_value", "wait")
    return wait


@csrf_exempt
@require_http_methods(["GET"])
async def action_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """An action of the key's AI system: its state and, once performed, its result (``?wait=`` seconds while pending)."""
    try:
        key = await authenticate(request)
    except KeyRefused as refused:
        await in_db_thread(_key_refused, refused)
        return error_response(401, refused.reason, code="invalid_api_key")
    try:
        wait = _wait_seconds(request)
    except Refusal as refusal:
        return error_response(refusal.status, refusal.message, code=refusal.code, param=refusal.param)
    deadline = timezone.now().timestamp() + wait
    while True:
        action = await in_db_thread(_read, key, reference)
        if action is None:
            return error_response(404, f"No action {reference!r} of this AI system.", code="action_not_found")
        if action.effective_state != State.PENDING or timezone.now().timestamp() >= deadline:
            return JsonResponse(action_json(action))
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - timezone.now().timestamp())))


__all__ = ["action_detail", "action_json", "actions", "entity_counts"]
