"""A change applied by a Celery task is versioned like one made in the browser."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from registers.models import AISystem, DatasetRecord
from registers.tasks import ai_system_apply_change
from tests.factories import make_ai_system, make_record


def _apply(system: AISystem, user, changes: dict, *, version: int | None, reason: str):
    """Run the task in process with its arguments as a worker would receive them (JSON)."""
    args = json.loads(json.dumps([system.pk, user.pk, changes, version, reason]))
    return ai_system_apply_change.apply(args=args, throw=True).get()


def test_task_change_records_acting_user_and_reason(world):
    system = make_ai_system(world.acme, user=world.owner)

    result = _apply(
        system,
        world.officer,
        {"lifecycle_stage": "operation", "owner": world.contributor.pk},
        version=1,
        reason="Go-live approved by the safety board",
    )

    system.refresh_from_db()
    latest = system.history.latest()
    assert result == {"applied": True, "version": 2}
    assert (system.lifecycle_stage, system.owner, system.version) == ("operation", world.contributor, 2)
    assert latest.history_user == world.officer
    assert latest.history_change_reason == "Go-live approved by the safety board"
    assert system.history.count() == 2


def test_task_links_records_by_id_in_one_version(world):
    system = make_ai_system(world.acme, user=world.owner)
    dataset = make_record(DatasetRecord, world.acme, user=world.owner, name="Portal messages")

    _apply(system, world.officer, {"dataset_records": [dataset.pk]}, version=1, reason="Training data linked")

    assert list(system.dataset_records.all()) == [dataset]
    assert system.history.latest().history_change_reason == "Training data linked"
    assert system.history.count() == 2


def test_task_with_stale_version_changes_nothing(world):
    system = make_ai_system(world.acme, user=world.owner, name="Triage")
    _apply(system, world.officer, {"name": "Triage v2"}, version=1, reason="Renamed")

    result = _apply(system, world.officer, {"name": "Lost update"}, version=1, reason="Late change")

    system.refresh_from_db()
    assert result["applied"] is False
    assert result["version"] == 2
    assert system.name == "Triage v2"
    assert system.history.count() == 2


def test_task_refuses_user_without_edit_right(world):
    system = make_ai_system(world.acme, user=world.owner, name="Triage")

    with pytest.raises(PermissionDenied):
        _apply(system, world.auditor, {"name": "Auditor edit"}, version=1, reason="Should not happen")

    system.refresh_from_db()
    assert system.name == "Triage"
    assert system.history.count() == 1


def test_task_is_late_acknowledged_and_json_only():
    assert ai_system_apply_change.acks_late is True
    assert ai_system_apply_change.reject_on_worker_lost is True
    assert ai_system_apply_change.serializer == "json"
