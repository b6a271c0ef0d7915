"""What every endpoint under /gateway/v1/ shares: the OpenAI-style error body and the key check.

The endpoints are async views served by Django's ASGI application (``aims/asgi.py``); they
answer the AI systems, never people, so they use neither sessions nor CSRF: a gateway key in
``Authorization: Bearer ...`` is the only credential. Errors have OpenAI's shape,
``{"error": {"message", "type", "param", "code"}}``, so that SDKs show the message.

Their database work runs in a small pool of threads of its own (``in_db_thread``), not in a new
thread per request as ``sync_to_async(thread_sensitive=True)`` does under ASGI. Each pool thread
keeps its database connection between calls (``CONN_MAX_AGE``, checked before and after each
piece of work as Django does at the start and end of a request), so a process holds at most
``GATEWAY_DB_THREADS`` connections however many calls are in flight: no connection set-up per
call, and PostgreSQL's connection limit is never reached by a burst of calls. ``close_db_threads``
closes those connections and stops the threads (the live test server does it when it stops).

``GATEWAY_DB_THREADS = 0`` keeps Django's way instead (``sync_to_async(thread_sensitive=True)``: the
work runs in the thread that called into the event loop, on its connection): the demo loader uses it
to send its calls inside its own transaction, and so do the tests, which run inside one.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.http import HttpRequest, JsonResponse

from gateway.keys.services import KeyRefused, key_authenticate, key_mark_used
from gateway.models import GatewayKey

__all__ = ["GatewayError", "authenticate", "authenticate_sync", "close_db_threads", "error_response", "in_db_thread"]

T = TypeVar("T")

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    502: "upstream_error",
    503: "service_unavailable_error",
    504: "upstream_timeout_error",
}


class GatewayError(Exception):
    """A refusal or failure to answer with an OpenAI-style error body."""

    def __init__(self, status: int, message: str, *, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param


def error_response(status: int, message: str, *, code: str, param: str | None = None) -> JsonResponse:
    """An OpenAI-style error body."""
    body = {"error": {"message": message, "type": ERROR_TYPES.get(status, "api_error"), "param": param, "code": code}}
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="aims-gateway"'
    return response


def from_error(error: GatewayError) -> JsonResponse:
    return error_response(error.status, error.message, code=error.code, param=error.param)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _db_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            size = max(1, int(getattr(settings, "GATEWAY_DB_THREADS", 4)))
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="gateway-db")
        return _pool


def _run_in_pool_thread(function: Callable[..., T], args: tuple, kwargs: dict) -> T:
    close_old_connections()  # as at the start of a request: drop a broken connection or one past CONN_MAX_AGE
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()  # as at the end of a request (CONN_MAX_AGE 0 closes it here)


async def in_db_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a database function in the gateway's pool of database threads, off the event loop.

    ``run_in_executor`` runs it in the pool thread's own context (no copy of the caller's), so
    Django's connection for that thread persists from one call to the next.
    """
    if int(getattr(settings, "GATEWAY_DB_THREADS", 4)) <= 0:  # Django's way: the request's thread and connection
        return await sync_to_async(function, thread_sensitive=True)(*args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_db_pool(), functools.partial(_run_in_pool_thread, function, args, kwargs))


def close_db_threads(timeout: float = 10) -> None:
    """Close the pool threads' database connections and stop the threads (a new pool starts on the next call)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    workers = len(pool._threads)  # each waits at the barrier, so each thread closes its own connections
    if workers:
        barrier = threading.Barrier(workers)

        def close() -> None:
            connections.close_all()
            try:
                barrier.wait(timeout)
            except threading.BrokenBarrierError:
                pass

        for future in [pool.submit(close) for _ in range(workers)]:
            future.result(timeout + 1)
    pool.shutdown(wait=True)


def authenticate_sync(request: HttpRequest) -> GatewayKey:
    """``authenticate`` for code already in a database thread."""
    authorization = request.headers.get("Authorization", "")
    if not authorization:
        raise KeyRefused("No gateway key: send 'Authorization: Bearer aimsgw_...'.")
    key = key_authenticate(authorization)
    key_mark_used(key)
    return key


async def authenticate(request: HttpRequest) -> GatewayKey:
    """The active gateway key of the request, or ``KeyRefused`` (its ``key`` set when it was revoked or expired)."""
    if not request.headers.get("Authorization", ""):
        return authenticate_sync(request)  # raises at once, no database
    return await in_db_thread(authenticate_sync, request)
