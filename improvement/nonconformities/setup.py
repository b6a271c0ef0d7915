"""Wiring of the nonconformities register family into the kit: the closure sign-off, evidence links,
the overview panel."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

import evidence
from aims import access, hooks
from aims.access import Action
from aims.models import ManagementSystem
from improvement.models import CorrectiveAction, Nonconformity
from improvement.nonconformities import selectors, signoffs


def nc_url(nc: Any) -> str:
    return reverse("improvement:nc_detail", args=[nc.management_system_id, nc.pk])


def action_url(action: Any) -> str:
    return reverse("improvement:ca_detail", args=[action.management_system_id, action.pk])


def overview_panel(request: HttpRequest, management_system: ManagementSystem) -> dict[str, Any] | None:
    """The overview's nonconformity panel: open NCs by grade, overdue actions and reviews (three queries)."""
    if not access.can(request.user, Action.VIEW, management_system):
        return None
    return {
        **selectors.overview_summary(user=request.user, management_system=management_system),
        "can_create": access.can(request.user, Action.CREATE, management_system),
    }


def register() -> None:
    """Called from ImprovementConfig.ready()."""
    signoffs.register()
    evidence.register_linkable(
        Nonconformity, key="nonconformities", label="Nonconformities", order=60, url=nc_url, compact=True
    )
    evidence.register_linkable(
        CorrectiveAction,
        key="corrective_actions",
        label="Corrective actions",
        order=61,
        url=action_url,
        describe=lambda action: f"{action.reference} {action.description[:80]}",
        compact=True,
    )
    hooks.register_overview_panel(
        "nonconformities",
        template="improvement/nonconformities/partials/overview_panel.html",
        context=overview_panel,
        order=60,
    )
