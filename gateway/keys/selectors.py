"""Reads of gateway keys and model routes; selectors own the joins (constant queries)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from aims import access
from gateway.models import GatewayKey, ModelRoute
from registers.models import AISystem, ModelRecord


def key_queryset(*, user: AbstractBaseUser) -> QuerySet[GatewayKey]:
    """Gateway keys the user may read, with their AI system and creator."""
    base = GatewayKey.objects.select_related("management_system", "ai_system", "created_by")
    return access.scope(user, base)


def keys_of(system: AISystem) -> QuerySet[GatewayKey]:
    """The keys of an AI system, newest first (revoked and expired ones too)."""
    return GatewayKey.objects.filter(ai_system=system).select_related("created_by").order_by("-created_at", "-pk")


def route_queryset(*, user: AbstractBaseUser) -> QuerySet[ModelRoute]:
    """Model routes the user may read, with their model record."""
    return access.scope(user, ModelRoute.objects.select_related("management_system", "model_record"))


def models_with_routes(system: AISystem) -> list[ModelRecord]:
    """The AI system's model records, each with ``route`` (or None) read in the same query."""
    records = system.model_records.select_related("route").order_by("reference")
    result = []
    for record in records:
        try:
            record.gateway_route = record.route
        except ModelRoute.DoesNotExist:
            record.gateway_route = None
        result.append(record)
    return result


def system_for_gateway(*, user: AbstractBaseUser) -> QuerySet[AISystem]:
    """AI systems the user may read, ready for their Gateway page."""
    return access.scope(user, AISystem.objects.select_related("management_system"))
