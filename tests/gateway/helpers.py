"""Shared set-up of the gateway's ledger tests: AI systems of one management system, and tampering as a superuser."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection, connections

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


def at_once(*works: Callable[[], object]) -> list[BaseException]:
    """Run each work in a thread of its own, all released together; return what they raised.

    Each thread closes its database connections when done, as a server's thread would.
    """
    errors: list[BaseException] = []
    start = threading.Barrier(len(works))

    def run(work: Callable[[], object]) -> None:
        try:
            start.wait()
            work()
        except BaseException as error:  # noqa: BLE001 - returned to the test, which asserts there is none
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
