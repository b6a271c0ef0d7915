"""Reads for the management system itself: its members."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from aims import access
from aims.access import Action
from aims.models import ManagementSystem, Membership


def membership_list(*, management_system: ManagementSystem) -> QuerySet[Membership]:
    """Every member of a management system, expired ones included, by username."""
    return (
        Membership.objects.filter(management_system=management_system)
        .select_related("user", "granted_by")
        .order_by("user__username")
    )


def memberships_visible_to(user: AbstractBaseUser) -> QuerySet[Membership]:
    """Active memberships of the user's management systems, plus expired ones where the user manages members."""
    visible = list(access.visible_management_systems(user))
    managed = [ms.pk for ms in visible if access.can(user, Action.MANAGE_MEMBERS, ms)]
    active = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return (
        Membership.objects.filter(management_system__in=visible)
        .filter(active | Q(management_system_id__in=managed))
        .select_related("user", "management_system", "granted_by")
        .order_by("management_system_id", "role", "user__username", "pk")
    )
