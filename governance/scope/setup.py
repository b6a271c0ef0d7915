"""Wiring of the scope family into the kit: the approval sign-off, evidence links, the overview panel and
the pack section."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

import evidence
from aims import access, hooks, ledger
from aims.access import Action
from aims.models import ManagementSystem
from governance.scope import pack, selectors, signoffs


def overview_panel(request: HttpRequest, management_system: ManagementSystem) -> dict[str, Any] | None:
    """The overview's scope panel: approved, changed since approval (its parts or the inventory), or not yet."""
    if not access.can(request.user, Action.VIEW, management_system):
        return None
    scope = selectors.scope_of(management_system)
    status = ledger.sign_off_status(signoffs.SCOPE_APPROVAL, scope) if scope is not None else None
    return {
        "scope": scope,
        "status": status,
        "systems": selectors.systems_comparison(scope, management_system),
        "can_edit": access.can(request.user, Action.EDIT, management_system),
    }


def register() -> None:
    """Called from GovernanceConfig.ready()."""
    signoffs.register()
    from governance.models import Scope

    evidence.register_linkable(
        Scope,
        key="scopes",
        label="AIMS scope",
        order=5,
        url=lambda scope: reverse("governance:scope", args=[scope.management_system_id]),
        describe=lambda scope: f"{scope.reference} {scope.title}",
    )
    hooks.register_overview_panel(
        "scope", template="governance/scope/partials/overview_panel.html", context=overview_panel, order=5
    )
    pack.register()
