"""Celery task of the reminders family: the daily digest (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from reviews.reminders import services


@shared_task(name="reviews.send_reminders", acks_late=True, reject_on_worker_lost=True)
def send_reminders() -> dict[str, list[int] | int]:
    """E-mail every member their digest of what became due or overdue; a redelivered run sends nothing twice."""
    return services.reminders_send().as_dict()
