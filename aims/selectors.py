"""Reads for the management system itself: members and the inventory summary."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
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


@dataclass(frozen=True)
class InventorySummary:
    total: int
    in_scope: int
    stages: list[tuple[str, str, int]]  # (value, label, count) in lifecycle order


def inventory_summary(*, user: AbstractBaseUser, management_system: ManagementSystem) -> InventorySummary:
    """Count a management system's AI systems by lifecycle stage and scope, in one query."""
    from registers.models import AISystem
    from registers.selectors import ai_system_list

    counts = (
        ai_system_list(user=user, management_system=management_system)
        .order_by()
        .values("lifecycle_stage", "in_scope")
        .annotate(n=Count("pk"))
    )
    by_stage = dict.fromkeys(AISystem.LifecycleStage.values, 0)
    in_scope = total = 0
    for row in counts:
        by_stage[row["lifecycle_stage"]] += row["n"]
        in_scope += row["n"] if row["in_scope"] else 0
        total += row["n"]
    stages = [(value, label, by_stage[value]) for value, label in AISystem.LifecycleStage.choices]
    return InventorySummary(total=total, in_scope=in_scope, stages=stages)
