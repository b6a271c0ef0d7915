"""Reads for audit packs; selectors own select_related."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from aims.models import ManagementSystem
from packs.models import AuditPack


def pack_list(*, management_system: ManagementSystem) -> QuerySet[AuditPack]:
    """A management system's packs, newest first, with who requested them."""
    return AuditPack.objects.filter(management_system=management_system).select_related("requested_by")


def pack_get(*, management_system: ManagementSystem, pack_id: Any) -> AuditPack:
    """One pack of the management system, or 404."""
    try:
        return pack_list(management_system=management_system).get(pk=int(pack_id))
    except (AuditPack.DoesNotExist, TypeError, ValueError):
        raise Http404("Not found.") from None


def pack_status(pack: AuditPack) -> dict[str, Any]:
    """The fields the packs page polls while a pack renders."""
    return {
        "id": pack.pk,
        "status": pack.status,
        "status_label": pack.get_status_display(),
        "progress": pack.progress,
        "failure_reason": pack.failure_reason,
        "sha256": pack.sha256 or None,
        "size": pack.size,
        "pages": pack.pages,
        "bundle_sha256": pack.bundle_sha256 or None,
        "bundle_size": pack.bundle_size,
    }


def pack_all() -> QuerySet[AuditPack]:
    """Every pack, with what the API shows joined."""
    return AuditPack.objects.select_related("requested_by", "management_system")


def pack_scope(*, user: Any) -> QuerySet[AuditPack]:
    """Packs of the management systems in which the user may request and download packs."""
    from aims import access
    from aims.access import Action

    allowed = [ms.pk for ms in access.visible_management_systems(user) if access.can(user, Action.REQUEST_PACK, ms)]
    return pack_all().filter(management_system_id__in=allowed)
