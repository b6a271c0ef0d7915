"""A real Celery worker for tests: a ``celery -A aims worker`` subprocess on the test database.

The worker gets the test database through ``DATABASE_URL`` (PostgreSQL: the test
database's name; SQLite: the test database file, see the evidence block of
``aims/settings.py``), its own queue (so no other worker takes the test's tasks and it
takes no one else's), and its own media folder. It uses the configured broker: Redis
when ``REDIS_URL`` is set (CI), else Kombu's filesystem broker. Tests using it need
``transactional_db`` so that the worker sees their rows. Under ``CI=true`` a worker that
cannot start fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60


@dataclass
class Worker:
    process: subprocess.Popen
    queue: str
    media: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the real-worker tests must run)")
    pytest.skip(reason)


def database_url() -> str | None:
    """A DATABASE_URL naming the test database this process uses, or None if it cannot be shared."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            return None
        return f"sqlite:///{name}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = quote(db.get("USER") or "")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"])
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{db['NAME']}"
    return None


def _celery() -> str:
    candidate = Path(sys.executable).with_name("celery")
    return str(candidate) if candidate.exists() else (shutil.which("celery") or "celery")


def _wait_until_ready(worker: Worker) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            _unavailable(f"the Celery worker exited with {worker.process.returncode}:\n{worker.output()[-3000:]}")
        if " ready." in worker.output():
            return
        time.sleep(0.2)
    _unavailable(f"the Celery worker did not start within {START_TIMEOUT}s:\n{worker.output()[-3000:]}")


def start_worker(folder: Path, *, pool: str = "solo", concurrency: int = 1, env: dict | None = None) -> Worker:
    """Start a worker on a private queue and media folder under ``folder``; wait until it is ready.

    ``env`` adds environment variables (settings) of the worker's own.
    """
    url = database_url()
    if url is None:
        _unavailable("the test database is in memory, so a worker process cannot open it")
    queue = f"aims-test-{uuid.uuid4().hex[:10]}"
    media = folder / "worker-media"
    media.mkdir(parents=True, exist_ok=True)
    log = folder / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media),
        "AIMS_PACK_DIR": str(media / "packs"),
        "AIMS_PACK_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "aims.settings",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **(env or {}),
    }
    command = [
        _celery(), "-A", "aims", "worker", f"--pool={pool}", f"--concurrency={concurrency}", "-Q", queue,
        "-n", f"{queue}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
    worker = Worker(process=process, queue=queue, media=media, log=log)
    try:
        _wait_until_ready(worker)
    except BaseException:
        stop_worker(worker)
        raise
    return worker


def stop_worker(worker: Worker) -> None:
    """Stop a worker (warm shutdown, then kill if it hangs)."""
    worker.process.terminate()
    try:
        worker.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait(timeout=5)


@pytest.fixture(scope="session")
def pack_worker(django_db_setup, tmp_path_factory):
    """Start one real worker for the session; pack tasks go to its private queue."""
    worker = start_worker(tmp_path_factory.mktemp("worker"))
    try:
        with override_settings(
            AIMS_PACK_QUEUE=worker.queue, MEDIA_ROOT=worker.media, AIMS_PACK_DIR=worker.media / "packs"
        ):
            yield worker
    finally:
        stop_worker(worker)


@pytest.fixture
def worker_settings(pack_worker, settings):
    """Point this test's settings at the worker's queue and media folder (after other fixtures)."""
    settings.AIMS_PACK_QUEUE = pack_worker.queue
    settings.MEDIA_ROOT = pack_worker.media
    settings.AIMS_PACK_DIR = pack_worker.media / "packs"
    return pack_worker


def wait_for_pack(pack, worker: Worker, timeout: float = 90) -> None:
    """Wait until the pack is ready or failed; fail with the worker's log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pack.refresh_from_db()
        if pack.status in ("ready", "failed"):
            return
        time.sleep(0.25)
    pytest.fail(f"pack #{pack.pk} is still {pack.status} after {timeout}s; worker log:\n{worker.output()[-4000:]}")


__all__ = ["pack_worker", "worker_settings", "wait_for_pack", "start_worker", "stop_worker", "Worker"]
