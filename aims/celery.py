"""Celery application for the AIMS register."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings")

app = Celery("aims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)
app.autodiscover_tasks()
