"""Health endpoints for load balancers and orchestrators: no login, no details worth hiding.

``/health/live`` answers 200 while the process can serve a request (it touches nothing).
``/health/ready`` checks what a request needs: a database query, a broker connection and a
write, read and delete in each file storage (``default``, and ``packs`` where rendered packs
go: local folders or an object store, ``AIMS_STORAGE_URL``); 200 when all pass, else 503. Each check
says only whether it passed and how long it took; why it failed goes to the log.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage, storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from aims.celery import app as celery_app

logger = logging.getLogger(__name__)
BROKER_TIMEOUT = 2  # seconds: a probe must answer well within the balancer's own timeout
PROBE_FOLDER = "health"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("unexpected answer to SELECT 1")


def check_broker() -> None:
    with celery_app.connection_for_write(connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)


def _probe(storage: Storage) -> None:
    content = uuid.uuid4().hex.encode()
    name = storage.save(f"{PROBE_FOLDER}/probe-{uuid.uuid4().hex}.txt", ContentFile(content))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != content:
                raise RuntimeError("storage returned other bytes than were written")
    finally:
        storage.delete(name)


def check_storage() -> None:
    """Write, read back and delete a small file in every storage the register keeps files in."""
    _probe(default_storage)
    if "packs" in settings.STORAGES:
        _probe(storages["packs"])


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


def _run(name: str, check: Callable[[], None]) -> dict:
    started = time.monotonic()
    try:
        check()
    except Exception:
        logger.exception("Readiness check %r failed", name)
        ok = False
    else:
        ok = True
    return {"ok": ok, "ms": round((time.monotonic() - started) * 1000)}


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    add_never_cache_headers(response)
    return response


@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """The process answers: 200, checking nothing else."""
    return _answer({"status": "ok"}, 200)


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """The database, the broker and the file storage work: 200, else 503 naming the failed check."""
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    ok = all(result["ok"] for result in checks.values())
    return _answer({"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503)
