"""A worker process killed in the middle of a render: no half file, and redelivery completes the pack.

The worker runs with the prefork pool, so the render happens in a child process that
the test kills with SIGKILL, as the kernel's OOM killer would. ``acks_late`` with
``reject_on_worker_lost`` hands the message back to the broker and the new child renders
the pack again. Kombu's filesystem broker cannot requeue a rejected message, so this
runs on Redis (CI sets ``REDIS_URL``).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from packs.models import AuditPack
from packs.services import pack_request
from tests.factories import make_ai_system
from tests.packs.helpers import pdf_text
from tests.packs.worker import _unavailable, start_worker, stop_worker, wait_for_pack

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.fixture
def prefork_worker(settings, tmp_path):
    if not os.environ.get("REDIS_URL"):
        _unavailable("a killed worker's message is requeued by Redis only; set REDIS_URL")
    worker = start_worker(tmp_path, pool="prefork", concurrency=1)
    settings.AIMS_PACK_QUEUE = worker.queue
    settings.MEDIA_ROOT = worker.media
    settings.AIMS_PACK_DIR = worker.media / "packs"
    try:
        yield worker
    finally:
        stop_worker(worker)


def test_killed_render_leaves_no_half_file_and_redelivery_completes_the_pack(world, prefork_worker):
    for number in range(60):
        make_ai_system(
            world.acme, user=world.officer, name=f"Claims model {number:02d}", purpose="Scores claims. " * 40
        )
    pack = pack_request(management_system=world.acme, user=world.auditor, kind=AuditPack.Kind.FULL)

    deadline = time.monotonic() + 60
    while True:
        pack.refresh_from_db()
        if pack.status == AuditPack.Status.RENDERING:
            break
        assert pack.status == AuditPack.Status.QUEUED, f"pack reached {pack.status} before it could be killed"
        assert time.monotonic() < deadline, prefork_worker.output()[-3000:]
        time.sleep(0.05)
    children = _children(prefork_worker.process.pid)
    assert children, "the prefork worker has no child process"
    for child in children:
        os.kill(child, signal.SIGKILL)
    folder = Path(prefork_worker.media) / "packs" / str(pack.management_system_id)
    assert not list(folder.glob("*.pdf")) and not list(folder.glob("*.zip")), (
        "a file became visible before it was whole"
    )

    wait_for_pack(pack, prefork_worker, timeout=120)
    assert pack.status == AuditPack.Status.READY, pack.failure_reason
    assert pack.attempts >= 2
    assert "WorkerLostError" in prefork_worker.output() or "signal 9" in prefork_worker.output()
    assert sorted(p.name for p in folder.iterdir()) == sorted([pack.file_name, pack.bundle_name])
    assert "Claims model 59" in pdf_text((folder / pack.file_name).read_bytes())
