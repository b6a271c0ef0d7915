"""What the AI system register adds to pages of the core: the overview panel and record links."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from aims import access
from aims.access import Action
from aims.models import ManagementSystem
from registers import selectors


def inventory(request: HttpRequest, management_system: ManagementSystem) -> dict[str, Any]:
    """The overview page's inventory panel: AI systems by lifecycle stage (one query)."""
    return {
        "summary": selectors.inventory_summary(user=request.user, management_system=management_system),
        "can_create": access.can(request.user, Action.CREATE, management_system),
    }


def ai_system_url(system: Any) -> str:
    return reverse("registers:ai_system_detail", args=[system.management_system_id, system.pk])
