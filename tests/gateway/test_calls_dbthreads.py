"""The gateway's database threads and its own ASGI handler (issue 14, section 8: the gateway's added latency)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from aims.asgi import GATEWAY_PREFIX, application
from gateway import endpoint


def _connection_and_thread() -> tuple[object, int]:
    # The connection object itself, not its id(): a closed connection's id may be given to the next one.
    connection.ensure_connection()
    return connection.connection, threading.get_ident()


@pytest.mark.django_db(transaction=True)
def test_database_threads_keep_their_connection_and_close_it_when_asked(settings):
    settings.GATEWAY_DB_THREADS = 1
    endpoint.close_db_threads()

    async def twice() -> list[tuple[object, int]]:
        return [await endpoint.in_db_thread(_connection_and_thread) for _ in range(2)]

    first, second = asyncio.run(twice())
    assert first[1] != threading.get_ident()  # off the event loop's thread
    assert first == second  # the same thread, the same open connection: none set up per call
    endpoint.close_db_threads()
    assert endpoint._pool is None
    (after, _), *_ = asyncio.run(twice())
    assert after is not first[0]  # the closed connection was not reused
    endpoint.close_db_threads()


async def _asgi(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict:
        if messages:
            return messages.pop()
        await asyncio.sleep(60)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    await application(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.django_db(transaction=True)
def test_the_gateway_has_its_own_handler_without_the_sites_middleware():
    assert GATEWAY_PREFIX == "/gateway/v1/"
    status, headers, body = asyncio.run(_asgi("/gateway/v1/models", [(b"host", b"127.0.0.1")]))
    assert status == 401
    assert json.loads(body)["error"]["code"] == "invalid_api_key"
    assert headers[b"Cache-Control"] == b"no-store" and headers[b"X-Content-Type-Options"] == b"nosniff"
    assert b"Set-Cookie" not in headers and b"Content-Security-Policy" not in headers  # no page middleware ran
    status, _, _ = asyncio.run(_asgi("/gateway/v1/models", [(b"host", b"evil.example")]))
    assert status == 400  # ALLOWED_HOSTS still applies
    status, headers, _ = asyncio.run(_asgi("/accounts/login/", [(b"host", b"127.0.0.1")]))
    assert b"Content-Security-Policy" in headers  # the site keeps its middleware
    endpoint.close_db_threads()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("db_threads", [4, 0])
def test_the_gateways_request_signals_run_in_the_event_loop_when_its_pool_does_the_database_work(settings, db_threads):
    settings.GATEWAY_DB_THREADS = db_threads
    threads: list[tuple[str, int]] = []

    def started(**kwargs: object) -> None:
        threads.append(("started", threading.get_ident()))

    def finished(**kwargs: object) -> None:
        threads.append(("finished", threading.get_ident()))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        status, _, _ = asyncio.run(_asgi("/gateway/v1/models", [(b"host", b"127.0.0.1")]))
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert status == 401
    assert [name for name, _ in threads] == ["started", "finished"]
    in_loop = [thread == threading.get_ident() for _, thread in threads]
    # With the pool, no thread hop for them; without it, Django's way: asgiref's thread, as the database work.
    assert in_loop == ([True, True] if db_threads else [False, False])
