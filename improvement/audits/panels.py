"""What internal audits add to pages of the core: the overview panel and record links."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from aims import access
from aims.access import Action
from aims.models import ManagementSystem
from improvement.audits import selectors


def overview(request: HttpRequest, management_system: ManagementSystem) -> dict[str, Any]:
    """The overview page's internal audit panel: the programme in force and the audits by state."""
    return {
        **selectors.overview(user=request.user, management_system=management_system),
        "can_create": access.can(request.user, Action.CREATE, management_system),
    }


def audit_url(audit: Any) -> str:
    return reverse("improvement:audit_detail", args=[audit.management_system_id, audit.pk])


def finding_url(finding: Any) -> str:
    return reverse("improvement:finding_detail", args=[finding.management_system_id, finding.pk])
