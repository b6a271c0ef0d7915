"""Wiring of the reminders family into the kit."""

from __future__ import annotations


def register() -> None:
    """Called from ReviewsConfig.ready()."""
    # Celery's autodiscovery imports ``reviews.tasks`` only; the family's task is registered here,
    # so that the worker (which sets Django up, running ready()) knows ``reviews.send_reminders``.
    from reviews.reminders import tasks  # noqa: F401
