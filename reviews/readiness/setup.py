"""Wiring of the readiness family into the kit: the pack section, the work items, the overview panel and
the daily snapshot task."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aims import access, hooks
from aims.access import Action
from aims.models import ManagementSystem
from aims.readiness import evaluate
from aims.work import register_work_provider


def overview_panel(request: HttpRequest, management_system: ManagementSystem) -> dict[str, Any] | None:
    """The overview's readiness panel: the verdict and the counts, linking to the page."""
    if not access.can(request.user, Action.VIEW, management_system):
        return None
    readiness = evaluate(management_system)
    return {"readiness": readiness, "counts": readiness.counts()}


def register() -> None:
    """Called from ReviewsConfig.ready()."""
    from reviews.readiness import pack, tasks, work  # noqa: F401  (tasks: registers the beat task with Celery)

    pack.register()
    register_work_provider("readiness", work.checks_to_fix, order=90)
    hooks.register_overview_panel(
        "readiness", template="reviews/readiness/partials/overview_panel.html", context=overview_panel, order=1
    )
