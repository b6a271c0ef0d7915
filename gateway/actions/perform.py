"""Perform an action: call its connector over HTTP (async, httpx), the credential read from the environment.

The arguments are the JSON body (for GET, the query string: scalar values as they are, others as
JSON). The request says which action it performs (``X-AIMS-Action`` and ``Idempotency-Key``, the
action's reference), so that the endpoint can refuse a duplicate. A 2xx answer is a success; its
JSON (or its text) is the result. Anything else (a non-2xx answer, a timeout, a refused
connection, a missing credential variable) is a failure with a reason in words, never the
credential.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.actions.services import ConnectorAnswer
from gateway.models import Connector

MAX_ANSWER_BYTES = 1024 * 1024  # a connector's answer is read up to this size


@dataclass(frozen=True)
class Target:
    """A connector detached from the database, for the async call."""

    name: str
    url: str
    method: str
    credential_env: str
    timeout: float

    @classmethod
    def of(cls, connector: Connector) -> Target:
        return cls(connector.name, connector.url, connector.method, connector.credential_env, float(connector.timeout))


def _query(arguments: Any) -> dict[str, str]:
    if not isinstance(arguments, dict):
        return {"arguments": json.dumps(arguments, ensure_ascii=False)}
    return {
        str(name): value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for name, value in arguments.items()
    }


def _request(target: Target, reference: str, arguments: Any) -> dict[str, Any]:
    headers = {"X-AIMS-Action": reference, "Idempotency-Key": reference, "Accept": "application/json"}
    if target.credential_env:
        credential = os.environ.get(target.credential_env)
        if not credential:
            raise LookupError(f"The gateway has no {target.credential_env} set: the connector's credential is missing.")
        headers["Authorization"] = f"Bearer {credential}"
    if target.method == Connector.Method.GET:
        return {"method": "GET", "url": target.url, "headers": headers, "params": _query(arguments)}
    return {"method": target.method, "url": target.url, "headers": headers, "json": arguments}


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {"text": text}


async def perform(target: Target, *, reference: str, arguments: Any) -> ConnectorAnswer:
    """Call the connector once and say what happened (never raises for the connector's faults)."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        request = _request(target, reference, arguments)
    except LookupError as missing:
        return ConnectorAnswer(ok=False, error=str(missing), latency_ms=0)
    try:
        async with httpx.AsyncClient(timeout=target.timeout, follow_redirects=False, trust_env=False) as client:
            response = await client.request(**request)
    except httpx.TimeoutException:
        return ConnectorAnswer(ok=False, error=f"{target.name} did not answer within {target.timeout:g} s.",
                               latency_ms=took())  # fmt: skip
    except httpx.HTTPError as error:
        return ConnectorAnswer(ok=False, error=f"{target.name} could not be reached ({type(error).__name__}).",
                               latency_ms=took())  # fmt: skip
    raw = response.content[:MAX_ANSWER_BYTES].decode("utf-8", errors="replace")
    if not response.is_success:
        return ConnectorAnswer(ok=False, error=f"{target.name} answered HTTP {response.status_code}.", raw=raw,
                               latency_ms=took())  # fmt: skip
    return ConnectorAnswer(ok=True, result=_parsed(raw), raw=raw, latency_ms=took())
