"""What the gateway policy puts in "my work" (``aims.work``): a version awaiting approval, for who may approve it.

Two queries: the versions awaiting approval of the management system, then whether the member
may approve (their role, and the AIMS manager role when they are an owner or officer).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from aims.work import WorkItem, is_member, register_work_provider, signature_item
from gateway.models import PolicyVersion
from gateway.policy.signoffs import APPROVAL, last_content_editor, may_approve


def policies_to_approve(user: Any, management_system: Any, today: date) -> list[WorkItem]:
    """Gateway policy versions awaiting approval that the member may approve."""
    versions = list(
        PolicyVersion.objects.filter(management_system=management_system, status=PolicyVersion.Status.IN_REVIEW)
        .select_related("management_system")
        .order_by("number")
    )
    if not versions or not is_member(user, management_system) or not may_approve(user, versions[0]):
        return []
    return [
        signature_item(
            APPROVAL,
            version,
            title=f"Approve the gateway policy {version.label}",
            page=reverse("gateway:policy_detail", args=[management_system.pk, version.pk]),
            detail=version.change_summary or "A new version of the gateway policy awaits approval.",
            own_change=last_content_editor(version) == user.pk,
        )
        for version in versions
    ]


def register() -> None:
    register_work_provider("gateway_policy_approval", policies_to_approve, order=30)
