"""What the gateway's actions put in "my work" (``aims.work``): pending actions the member may decide.

One query whatever the number of actions, reading one management system only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from aims import access
from aims.work import SIGNATURE, WorkItem, register_work_provider
from gateway.actions import selectors, services
from gateway.models import GatewayAction


def actions_to_decide(user: Any, management_system: Any, today: date) -> list[WorkItem]:
    """Pending actions whose approver role the member holds, oldest first."""
    membership = access.membership_for(user, management_system.pk)
    if membership is None or membership.role not in services.APPROVER_ROLES:
        return []
    pending = selectors.waiting(
        GatewayAction.objects.filter(management_system=management_system, approver_role=membership.role)
    ).select_related("ai_system", "connector")
    return [
        WorkItem(
            key=f"gateway_action:{action.reference}",
            kind=SIGNATURE,
            title=f"Approve or deny {action.reference}: {action.tool} through {action.connector.name}",
            url=reverse("gateway:action_detail", args=[management_system.pk, action.pk]),
            due=action.expires_at.date() if action.expires_at else None,
            detail=f"Proposed by {action.ai_system.reference} {action.ai_system.name}; "
            f"{action.policy_version} asks a person. Decide before {action.expires_at:%d %b %Y %H:%M}.",
        )
        for action in pending
    ]


def register() -> None:
    register_work_provider("gateway_action", actions_to_decide, order=30)
