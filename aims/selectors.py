"""Reads for the management system itself: its members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from aims import access
from aims.access import Action
from aims.models import ManagementSystem, Membership


def active_members(management_system: ManagementSystem | QuerySet[ManagementSystem], *, roles: Any = None) -> QuerySet:
    """Active members of a management system, or of any of several (optionally only some roles), by username.

    The one answer to "who is a member now": every owner and assignee picker, form and
    service asks it, so an expired auditor or a removed member is never offered.
    """
    several = isinstance(management_system, QuerySet)
    lookup = "aims_memberships__management_system__in" if several else "aims_memberships__management_system"
    active = Q(aims_memberships__expires_at__isnull=True) | Q(aims_memberships__expires_at__gt=timezone.now())
    in_system = Q(**{lookup: management_system}) & active
    if roles is not None:
        in_system &= Q(aims_memberships__role__in=list(roles))
    members = get_user_model().objects.filter(in_system)
    # A member of several of the systems would come once per membership.
    return (members.distinct() if several else members).order_by("username")


def owner_candidates(management_system: ManagementSystem) -> QuerySet:
    """Members who may own or be assigned records: those who may edit (never an auditor or leadership)."""
    return active_members(management_system, roles=access.EDITOR_ROLES)


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


def link_count(model: type, name: str) -> Coalesce:
    """How many records each row of ``model`` links through its many-to-many field ``name``.

    A correlated count on the link table's index, for ``annotate``: a list or page counts links
    without reading them.
    """
    field = model._meta.get_field(name)
    source = field.m2m_field_name()  # the link table's column pointing at ``model``
    counted = (
        field.remote_field.through.objects.filter(**{source: OuterRef("pk")})
        .order_by()
        .values(source)
        .annotate(n=Count("pk"))
    )
    return Coalesce(Subquery(counted.values("n")), 0)
