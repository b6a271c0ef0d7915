"""Reads of connectors and gateway actions; selectors own the joins (constant queries)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from aims import access
from gateway.models import Connector, GatewayAction, GatewayEvent

DECIDED_SHOWN = 50  # the queue lists this many decided actions below the pending ones

State = GatewayAction.State


def action_queryset(*, user: AbstractBaseUser) -> QuerySet[GatewayAction]:
    """Gateway actions the user may read, with their AI system, key, connector and approver."""
    base = GatewayAction.objects.select_related("management_system", "ai_system", "key", "connector", "approver")
    return access.scope(user, base)


def waiting(queryset: QuerySet[GatewayAction]) -> QuerySet[GatewayAction]:
    """Actions waiting for a decision now (pending, within their window), oldest first."""
    return queryset.filter(state=State.PENDING, expires_at__gt=timezone.now()).order_by("created_at", "pk")


def decided(queryset: QuerySet[GatewayAction]) -> QuerySet[GatewayAction]:
    """Actions no longer waiting (decided, performed, failed or expired), newest first."""
    still = Q(state=State.PENDING, expires_at__gt=timezone.now())
    return queryset.exclude(still).order_by("-created_at", "-pk")


def events_of(action: GatewayAction) -> QuerySet[GatewayEvent]:
    """The ledger events that name the action (proposal, decisions, refusals, outcome), in chain order."""
    return (
        GatewayEvent.objects.filter(ai_system_id=action.ai_system_id, subject=action.reference)
        .select_related("approver")
        .order_by("sequence")
    )


def connector_queryset(*, user: AbstractBaseUser) -> QuerySet[Connector]:
    """Connectors the user may read."""
    return access.scope(user, Connector.objects.select_related("management_system"))
