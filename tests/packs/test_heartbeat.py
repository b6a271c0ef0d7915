"""Renders beat; a pack whose render stopped beating (its worker died) is queued again by the
periodic task that Celery beat runs every minute, and a real worker then renders it."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from aims.celery import app
from packs import services, tasks
from packs.models import AuditPack
from packs.services import pack_request
from tests.factories import make_ai_system
from tests.packs.helpers import make_pack
from tests.packs.worker import start_worker, stop_worker, wait_for_pack


def _set(pack: AuditPack, **fields) -> None:
    """Put a pack in a state a dead worker leaves behind (test arrangement, no history)."""
    AuditPack.objects.filter(pk=pack.pk).update(**fields)


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


@pytest.mark.django_db
def test_render_writes_a_heartbeat_at_every_step_and_no_history_for_it(world, tiny_html):
    pack = make_pack(world)
    assert tasks.render_pack.apply(args=[pack.pk]).get() == "done"
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.READY
    assert pack.heartbeat_at is not None and pack.heartbeat_at >= pack.started_at
    reasons = list(pack.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[1:] == ["Rendering (attempt 1)", "Pack ready"]
    assert not hasattr(pack.history.model, "heartbeat_at")


@pytest.mark.django_db(transaction=True)
def test_render_keeps_beating_during_a_long_step(world, tiny_html, settings):
    """WeasyPrint has no steps to beat at: a thread beats while the render runs."""
    settings.AIMS_PACK_HEARTBEAT_SECONDS = 0.1
    pack = make_pack(world)
    beats = []

    def long_step() -> None:
        beats.append(AuditPack.objects.get(pk=pack.pk).heartbeat_at)
        deadline = time.monotonic() + 20  # a loaded machine may be slow to schedule the thread
        while time.monotonic() < deadline:
            time.sleep(0.2)
            latest = AuditPack.objects.get(pk=pack.pk).heartbeat_at
            if latest > beats[0]:
                beats.append(latest)
                return

    services.pack_render(pack.pk, before_move=long_step)
    assert len(beats) == 2 and beats[1] > beats[0]  # the thread beat while no step did


@pytest.mark.django_db
def test_periodic_task_requeues_stopped_renders_and_packs_not_queued_only(world, settings):
    stale = settings.AIMS_PACK_HEARTBEAT_STALE_SECONDS
    stopped = make_pack(world)
    _set(stopped, status="rendering", attempts=1, started_at=_ago(stale + 30), heartbeat_at=_ago(stale + 10))
    beating = make_pack(world)  # started long ago, but its worker still beats
    _set(beating, status="rendering", attempts=1, started_at=_ago(3600), heartbeat_at=_ago(stale - 30))
    not_queued = make_pack(world)
    _set(not_queued, status="not_queued", failure_reason=services.NOT_QUEUED_REASON)
    waiting = make_pack(world)  # queued behind others for a while: not lost
    _set(waiting, heartbeat_at=_ago(stale + 10))
    lost = make_pack(world)  # queued for longer than any render may take: its message was lost
    _set(lost, heartbeat_at=_ago(settings.AIMS_PACK_TIME_LIMIT + 120))
    ready = make_pack(world)
    _set(ready, status="ready", sha256="0" * 64, heartbeat_at=_ago(3600))

    assert tasks.requeue_stale_packs.apply().get() == [stopped.pk, not_queued.pk, lost.pk]
    for pack in (stopped, not_queued, lost):
        pack.refresh_from_db()
        assert pack.status == AuditPack.Status.QUEUED and pack.failure_reason == ""
        assert pack.history.latest("history_id").history_change_reason.startswith("Requeued: ")
    for pack, status in ((beating, "rendering"), (waiting, "queued"), (ready, "ready")):
        pack.refresh_from_db()
        assert pack.status == status and pack.history.count() == 1


def test_beat_runs_the_requeue_task_well_within_the_stale_age(settings):
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["requeue-stale-packs"]
    assert entry["task"] == tasks.requeue_stale_packs.name and entry["task"] in app.tasks
    assert entry["schedule"] <= settings.AIMS_PACK_HEARTBEAT_STALE_SECONDS / 2
    assert settings.AIMS_PACK_HEARTBEAT_SECONDS <= settings.AIMS_PACK_HEARTBEAT_STALE_SECONDS / 3
    assert str(settings.VAR_DIR) in app.conf.beat_schedule_filename


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_stopped_render_is_requeued_through_the_broker_and_rendered_by_a_real_worker(world, worker_settings):
    pack = make_pack(world, kind=AuditPack.Kind.STAGE1)
    _set(pack, status="rendering", attempts=1, started_at=_ago(600), heartbeat_at=_ago(300))
    # What beat does: send the periodic task; the worker runs it, which queues the render.
    tasks.requeue_stale_packs.apply_async(queue=worker_settings.queue)
    wait_for_pack(pack, worker_settings, timeout=120)
    assert pack.status == AuditPack.Status.READY, pack.failure_reason
    assert pack.attempts == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_render_is_recovered_by_its_stale_heartbeat(world, settings, tmp_path):
    """SIGKILL the render (as the OOM killer would); on the filesystem broker the message is lost.

    The heartbeat's stale age is cut to a few seconds so that recovery shows within the test.
    """
    beat_every, stale = 1, 4
    worker = start_worker(
        tmp_path,
        pool="prefork",
        env={"AIMS_PACK_HEARTBEAT_SECONDS": str(beat_every), "AIMS_PACK_HEARTBEAT_STALE_SECONDS": str(stale)},
    )
    settings.AIMS_PACK_QUEUE, settings.AIMS_PACK_HEARTBEAT_STALE_SECONDS = worker.queue, stale
    settings.MEDIA_ROOT, settings.AIMS_PACK_DIR = worker.media, worker.media / "packs"
    try:
        for number in range(60):
            make_ai_system(world.acme, user=world.officer, name=f"Claims model {number:02d}", purpose="Scores. " * 40)
        pack = pack_request(management_system=world.acme, user=world.auditor, kind=AuditPack.Kind.FULL)
        deadline = time.monotonic() + 60
        while pack.status != AuditPack.Status.RENDERING:
            assert time.monotonic() < deadline, worker.output()[-3000:]
            time.sleep(0.05)
            pack.refresh_from_db()
        time.sleep(beat_every * 1.5)  # the render is beating
        pack.refresh_from_db()
        assert pack.status == AuditPack.Status.RENDERING and not pack.is_stuck
        for child in _children(worker.process.pid):
            os.kill(child, signal.SIGKILL)

        deadline = time.monotonic() + 60
        while not tasks.requeue_stale_packs.apply().get():
            pack.refresh_from_db()
            if pack.status == AuditPack.Status.READY or pack.attempts > 1:
                break  # Redis handed the message back to the worker itself: recovered anyway
            assert time.monotonic() < deadline, f"pack #{pack.pk} never went stale: {worker.output()[-3000:]}"
            time.sleep(0.5)
        wait_for_pack(pack, worker, timeout=120)
        assert pack.status == AuditPack.Status.READY and pack.attempts >= 2
    finally:
        stop_worker(worker)


def _children(pid: int) -> list[int]:
    from pathlib import Path

    return [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]
