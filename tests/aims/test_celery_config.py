"""The Celery app: late acknowledgement, JSON only, time limits, tasks discovered."""

from __future__ import annotations

from django.conf import settings

from aims.celery import app


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_only_json_is_sent_and_accepted():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_soft_time_limit_comes_before_the_hard_limit():
    assert app.conf.task_soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_broker_comes_from_settings():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


def test_register_tasks_are_discovered():
    app.loader.import_default_modules()
    assert "registers.tasks.ai_system_apply_change" in app.tasks
