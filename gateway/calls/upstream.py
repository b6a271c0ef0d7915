"""Forwarding to the model provider: one shared ``httpx.AsyncClient`` per event loop, errors in OpenAI's shape.

Only the gateway's own request leaves: the JSON ``call_begin`` built, ``Content-Type`` and, when the
route names a credential variable, ``Authorization: Bearer <its value>``. The AI system's gateway
key and headers never go upstream. The route's timeouts apply (connect, and read for each chunk).

What a failure becomes for the AI system: the provider unreachable or broken off, or answering
5xx, is a 502; a timeout a 504; the provider refusing the gateway's credential (401/403) a 502
that says so (the AI system's key is fine); a 429 stays a 429; any other 4xx is passed through
with the provider's error, since it is about the request.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from gateway.endpoint import GatewayError
from gateway.models import ModelRoute

__all__ = ["UpstreamFailure", "client", "open_stream", "post", "sse_events"]

LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=30)
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


class UpstreamFailure(GatewayError):
    """The provider could not answer: the call was forwarded (and is on record) but failed."""


def client() -> httpx.AsyncClient:
    """The event loop's shared client: its pool keeps connections to the providers open between calls."""
    loop = asyncio.get_running_loop()
    shared = _clients.get(loop)
    if shared is None or shared.is_closed:
        shared = _clients[loop] = httpx.AsyncClient(limits=LIMITS, follow_redirects=False, trust_env=False)
    return shared


def _request(route: ModelRoute, body: bytes, credential: str | None) -> httpx.Request:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if credential:
        headers["Authorization"] = f"Bearer {credential}"
    timeout = httpx.Timeout(
        connect=float(route.connect_timeout), read=float(route.read_timeout), write=float(route.read_timeout),
        pool=float(route.connect_timeout),
    )  # fmt: skip
    url = route.base_url.rstrip("/") + "/chat/completions"
    return client().build_request("POST", url, content=body, headers=headers, timeout=timeout)


def _where(route: ModelRoute) -> str:
    return f"the model provider of route {route.reference} ({urlsplit(route.base_url).netloc})"


def failure(route: ModelRoute, error: httpx.HTTPError) -> UpstreamFailure:
    """The OpenAI-style failure for a transport error reaching the provider."""
    where = _where(route)
    if isinstance(error, httpx.TimeoutException):
        phase = "connecting to" if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout) else "waiting for"
        return UpstreamFailure(504, f"Timed out {phase} {where}.", code="upstream_timeout")
    if isinstance(error, httpx.ConnectError):
        return UpstreamFailure(502, f"Could not reach {where}: it may be down.", code="upstream_unreachable")
    return UpstreamFailure(502, f"The connection to {where} failed ({type(error).__name__}).", code="upstream_error")


def _provider_error(data: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("error"), dict) else None


def status_failure(route: ModelRoute, status: int, data: bytes) -> UpstreamFailure:
    """The OpenAI-style failure for a provider's answer other than 200."""
    provider = "The" + _where(route).removeprefix("the")
    if status in (401, 403):
        message = f"{provider} refused the gateway's credential (HTTP {status}): check the variable the route names."
        return UpstreamFailure(502, message, code="upstream_auth_failed")
    if status == 429:
        return UpstreamFailure(
            429, f"{provider} is limiting the rate of calls (HTTP 429).", code="upstream_rate_limited"
        )
    if 400 <= status < 500:
        said = str(((_provider_error(data) or {}).get("error") or {}).get("message") or f"HTTP {status}")
        return UpstreamFailure(status, f"{provider} refused the request: {said[:300]}", code="upstream_rejected")
    return UpstreamFailure(502, f"{provider} failed (HTTP {status}).", code="upstream_error")


async def post(route: ModelRoute, body: bytes, credential: str | None) -> dict[str, Any]:
    """Forward a non-streamed call and return the provider's answer, or raise ``UpstreamFailure``."""
    try:
        response = await client().send(_request(route, body, credential))
    except httpx.HTTPError as error:
        raise failure(route, error) from error
    if response.status_code != 200:
        raise status_failure(route, response.status_code, response.content)
    try:
        answer = json.loads(response.content)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise UpstreamFailure(502, f"{_where(route)} answered something that is not JSON.", code="upstream_error")
    return answer


async def open_stream(route: ModelRoute, body: bytes, credential: str | None) -> httpx.Response:
    """Forward a streamed call; return the open response once the provider answered 200, else raise."""
    try:
        response = await client().send(_request(route, body, credential), stream=True)
    except httpx.HTTPError as error:
        raise failure(route, error) from error
    if response.status_code != 200:
        try:
            data = await response.aread()
        except httpx.HTTPError:
            data = b""
        finally:
            await response.aclose()
        raise status_failure(route, response.status_code, data)
    return response


async def sse_events(response: httpx.Response) -> AsyncIterator[bytes]:
    """The server-sent events of a response, one at a time, without their blank separator line."""
    buffer = b""
    async for piece in response.aiter_bytes():
        buffer = (buffer + piece).replace(b"\r\n", b"\n")
        while (end := buffer.find(b"\n\n")) >= 0:
            event, buffer = buffer[:end], buffer[end + 2 :]
            if event.strip():
                yield event
    if buffer.strip():
        yield buffer


def event_data(event: bytes) -> bytes | None:
    """The data of one server-sent event (its ``data:`` lines joined), or None if it has none."""
    lines = [line[5:].removeprefix(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
    return b"\n".join(lines) if lines else None
