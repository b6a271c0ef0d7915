"""Shared set-up of the gateway's ledger tests: AI systems of one management system, and tampering as a superuser."""

from __future__ import annotations

from django.db import connection

from gateway import ledger
from registers.models import AISystem
from tests.factories import UserFactory, make_ai_system, make_management_system


def two_ai_systems() -> tuple[AISystem, AISystem]:
    """Two AI systems of one management system (two chains)."""
    owner = UserFactory(username="chain-owner")
    management_system = make_management_system(owner=owner)
    return make_ai_system(management_system, user=owner), make_ai_system(management_system, user=owner)


def append_calls(ai_system: AISystem, n: int) -> list:
    """Append ``n`` call events to the AI system's chain."""
    return [ledger.event_append(ai_system=ai_system, type="call", model_requested=f"m{i}") for i in range(n)]


def raw(sql: str, params: list) -> None:
    """Run SQL behind the application's back, with the append-only triggers off for this transaction (PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
