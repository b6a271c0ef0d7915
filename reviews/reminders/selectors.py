"""Reads of the reminders family: who receives the digest, what was already sent, a member's preference."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from aims.models import ManagementSystem, Membership
from reviews.models import ReminderPreference, ReminderSent

RECENT = 10  # reminders the page lists


@dataclass
class Recipient:
    """A member who receives the digest, with the management systems they are an active member of."""

    user: Any
    management_systems: list[ManagementSystem] = field(default_factory=list)


def recipients() -> list[Recipient]:
    """Members to remind: active memberships (not expired) of systems not retired, with an address, digest on."""
    turned_off = ReminderPreference.objects.filter(user_id=OuterRef("user_id"), email_digest=False)
    memberships = (
        Membership.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .filter(user__is_active=True)
        .exclude(user__email="")
        .exclude(management_system__status=ManagementSystem.Status.RETIRED)
        .exclude(Exists(turned_off))
        .select_related("user", "management_system")
        .order_by("user_id", "management_system__organisation", "management_system__name", "management_system_id")
    )
    by_user: dict[int, Recipient] = {}
    for membership in memberships:
        # One user object per person, so that access cached on it serves each of their systems.
        recipient = by_user.setdefault(membership.user_id, Recipient(membership.user))
        recipient.management_systems.append(membership.management_system)
    return list(by_user.values())


def sent_keys(user: AbstractBaseUser, keys: Iterable[str]) -> set[tuple[int, str, str]]:
    """(management system id, key, state) of the given items already reminded to the user."""
    rows = ReminderSent.objects.filter(user=user, key__in=set(keys))
    return set(rows.values_list("management_system_id", "key", "state"))


def wants_digest(user: AbstractBaseUser) -> bool:
    """Whether the user receives the digest (yes unless they turned it off)."""
    preference = ReminderPreference.objects.filter(user=user).first()
    return preference is None or preference.email_digest


def recent_reminders(user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[ReminderSent]:
    """The latest reminders sent to the user about one management system, newest first."""
    return ReminderSent.objects.filter(user=user, management_system=management_system).order_by("-sent_at", "-pk")[
        :RECENT
    ]
