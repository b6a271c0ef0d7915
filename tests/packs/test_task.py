"""The Celery task: delivery guarantees, idempotency, retries and a readable failure reason."""

from __future__ import annotations

from pathlib import Path

from packs import services, tasks
from packs.models import AuditPack
from tests.packs.helpers import make_pack, make_ready_pack


def test_task_is_acknowledged_late_and_redelivered_if_the_worker_dies(settings):
    task = tasks.render_pack
    assert task.acks_late is True and task.reject_on_worker_lost is True
    assert (
        task.soft_time_limit == settings.AIMS_PACK_SOFT_TIME_LIMIT and task.time_limit == settings.AIMS_PACK_TIME_LIMIT
    )
    assert task.soft_time_limit < task.time_limit


def test_task_for_a_ready_pack_does_nothing(world, settings):
    pack = make_ready_pack(world)
    files = {p: p.stat().st_mtime_ns for p in Path(settings.AIMS_PACK_DIR).rglob("*")}
    assert tasks.render_pack.apply(args=[pack.pk]).get() == "already ready"
    assert {p: p.stat().st_mtime_ns for p in Path(settings.AIMS_PACK_DIR).rglob("*")} == files
    pack.refresh_from_db()
    assert pack.attempts == 0 and pack.history.count() == 1


def test_task_for_a_deleted_pack_is_dropped(world):
    assert tasks.render_pack.apply(args=[999999]).get() == "missing"


def test_repeated_errors_end_in_a_readable_failure_with_no_file(world, settings, monkeypatch):
    pack = make_pack(world)
    calls = []

    def broken(pack_id, **kwargs):
        calls.append(pack_id)
        raise OSError("No space left on device")

    monkeypatch.setattr(services, "pack_render", broken)
    tasks.render_pack.apply(args=[pack.pk])
    pack.refresh_from_db()
    assert len(calls) == tasks.MAX_RETRIES + 1
    assert pack.status == AuditPack.Status.FAILED
    assert pack.failure_reason == "Rendering failed (OSError: No space left on device)."
    assert not list(Path(settings.AIMS_PACK_DIR).rglob("*.pdf"))


def test_task_renders_a_queued_pack_and_records_the_requester_in_history(world, tiny_html):
    pack = make_pack(world, user=world.leader)
    assert tasks.render_pack.apply(args=[pack.pk]).get() == "done"
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.READY
    reasons = list(pack.history.order_by("history_id").values_list("history_change_reason", "history_user"))
    assert reasons[-2:] == [("Rendering (attempt 1)", world.leader.pk), ("Pack ready", world.leader.pk)]
