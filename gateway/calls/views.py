"""``POST /gateway/v1/chat/completions`` and ``GET /gateway/v1/models``: async views speaking OpenAI's API.

A call: the key (401; a revoked or expired key is also a ``refusal`` in its AI system's chain),
the JSON body (400, 413), then ``services.call_begin`` (register checks, personal data, policy;
403/503 refusals, recorded) which records the call before it is forwarded; then the provider
(502/504 failures, recorded), then the answer checked and recorded. A streamed answer is relayed
event by event as the provider sends it (``data: {...}`` chunks, ``data: [DONE]``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from gateway.calls import checks, services, upstream
from gateway.calls.checks import Refused
from gateway.endpoint import GatewayError, authenticate, authenticate_sync, error_response, from_error, in_db_thread
from gateway.keys.services import KeyRefused
from gateway.models import GatewayKey

# A chat request bigger than this is refused (413) before it is read for personal data.
MAX_REQUEST_BYTES = int(getattr(settings, "GATEWAY_MAX_REQUEST_BYTES", 1024 * 1024))


async def key_or_refusal(request: HttpRequest) -> GatewayKey | HttpResponse:
    """The request's active gateway key, or the 401 (recording a revoked or expired key's attempt)."""
    try:
        return await authenticate(request)
    except KeyRefused as refused:
        if refused.key is not None:
            await in_db_thread(services.key_refusal, refused.key, refused.reason)
        return error_response(401, refused.reason, code="invalid_api_key")


def open_call(request: HttpRequest, started: float) -> services.Call | HttpResponse:
    """The key, the body and ``call_begin`` in one trip to a database thread: the call on record, or the error."""
    try:
        key = authenticate_sync(request)
    except KeyRefused as refused:
        if refused.key is not None:
            services.key_refusal(refused.key, refused.reason)
        return error_response(401, refused.reason, code="invalid_api_key")
    try:
        return services.call_begin(key=key, payload=parse(request), started=started)
    except GatewayError as error:
        return from_error(error)


def too_large() -> GatewayError:
    return GatewayError(
        413,
        f"The request is larger than the gateway accepts ({MAX_REQUEST_BYTES // 1024} kB).",
        code="request_too_large",
    )


def parse(request: HttpRequest) -> dict[str, Any]:
    """The chat completion request in the body, or ``GatewayError`` (400, 413) saying what is wrong."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise too_large() from None
    if len(body) > MAX_REQUEST_BYTES:
        raise too_large()
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise GatewayError(400, "The body of the request is not valid JSON.", code="invalid_json") from None
    if not isinstance(payload, dict):
        raise GatewayError(400, "The body of the request must be a JSON object.", code="invalid_json")
    if not isinstance(payload.get("model"), str) or not payload["model"].strip():
        raise GatewayError(
            400, "Missing required parameter: 'model'.", code="missing_required_parameter", param="model"
        )
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise GatewayError(
            400, "Missing required parameter: 'messages' (a non-empty array).", code="missing_required_parameter",
            param="messages",
        )  # fmt: skip
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise GatewayError(400, "Every message must be an object with a 'role'.", code="invalid_type", param="messages")
    if not isinstance(payload.get("stream", False), bool):
        raise GatewayError(400, "'stream' must be true or false.", code="invalid_type", param="stream")
    return payload


def method_not_allowed(request: HttpRequest, allowed: str) -> JsonResponse:
    response = error_response(405, f"{request.method} is not allowed here: use {allowed}.", code="method_not_allowed")
    response["Allow"] = allowed
    return response


@csrf_exempt
async def chat_completions(request: HttpRequest) -> HttpResponse:
    """Answer a chat completion through the gateway: checked, redacted, decided, recorded, forwarded."""
    started = time.perf_counter()
    if request.method != "POST":
        return method_not_allowed(request, "POST")
    if int(request.headers.get("Content-Length") or 0) > MAX_REQUEST_BYTES:
        return from_error(too_large())
    call = await in_db_thread(open_call, request, started)
    if isinstance(call, HttpResponse):
        return call
    if call.stream:
        return await stream(call)
    return await complete(call)


async def complete(call: services.Call) -> HttpResponse:
    """Forward a non-streamed call and answer with the checked reply."""
    try:
        answer = await upstream.post(call.route, call.body, call.credential)
    except upstream.UpstreamFailure as failure:
        await in_db_thread(services.call_failed, call, detail=failure.message)
        return from_error(failure)
    try:
        reply = await in_db_thread(services.call_answer, call, answer)
    except Refused as refused:
        return from_error(refused)
    return JsonResponse(reply, json_dumps_params={"ensure_ascii": False})


async def stream(call: services.Call) -> HttpResponse:
    """Forward a streamed call and relay its events once the provider answered."""
    try:
        response = await upstream.open_stream(call.route, call.body, call.credential)
    except upstream.UpstreamFailure as failure:
        await in_db_thread(services.call_failed, call, detail=failure.message)
        return from_error(failure)
    relayed = StreamingHttpResponse(relay(call, response), content_type="text/event-stream; charset=utf-8")
    relayed["Cache-Control"] = "no-cache"
    relayed["X-Accel-Buffering"] = "no"  # a proxy in front must not hold events back
    return relayed


def _pass_on(call: services.Call, summary: services.StreamSummary, data: bytes | None) -> bool:
    """Take in one event's data; whether the client gets the event (not the usage chunk it did not ask for)."""
    if data == b"[DONE]":
        summary.done = True
        return True
    try:
        chunk = json.loads(data) if data is not None else None
    except ValueError:
        return True
    if not isinstance(chunk, dict):
        return True
    summary.feed(chunk)
    return call.client_wants_usage or bool(chunk.get("choices")) or chunk.get("usage") is None


async def relay(call: services.Call, response: httpx.Response) -> AsyncIterator[bytes]:
    """The provider's events as they come; the call's completion is recorded before ``[DONE]`` goes out."""
    summary, failure, recorded = services.StreamSummary(), "", False
    try:
        async for event in upstream.sse_events(response):
            if not _pass_on(call, summary, upstream.event_data(event)):
                continue
            if summary.done and not recorded:  # on record by the time the client sees the end
                recorded = True
                await in_db_thread(services.call_stream_end, call, summary)
            yield event + b"\n\n"
    except httpx.HTTPError as error:
        failure = upstream.failure(call.route, error).message
        body = {"error": {"message": failure, "type": "upstream_error", "param": None, "code": "upstream_error"}}
        yield b"data: " + json.dumps(body).encode() + b"\n\n"
    except BaseException:  # the client went away (cancelled or closed): still record how the call ended
        failure = "the client disconnected before the end"
        raise
    finally:
        await response.aclose()
        if not recorded:
            await in_db_thread(services.call_stream_end, call, summary, failure=failure)


@csrf_exempt
async def models(request: HttpRequest) -> HttpResponse:
    """List the models the key's AI system may call: its model records with an enabled route."""
    if request.method != "GET":
        return method_not_allowed(request, "GET")
    key = await key_or_refusal(request)
    if isinstance(key, HttpResponse):
        return key
    records = await in_db_thread(checks.routable_models, key.ai_system)
    owner = key.management_system.organisation
    data = [
        {
            "id": record.name,
            "object": "model",
            "created": int(record.created_at.timestamp()),
            "owned_by": record.provider or owner,
        }  # fmt: skip
        for record in records
    ]
    return JsonResponse({"object": "list", "data": data}, json_dumps_params={"ensure_ascii": False})
