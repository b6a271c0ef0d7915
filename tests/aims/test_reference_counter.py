"""The next reference comes from a per-register counter, not from reading every past reference."""

from __future__ import annotations

import threading
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps as live_apps
from django.db import connection, transaction

from aims import services
from aims.models import ReferenceCounter
from registers.models import AISystem, Supplier
from tests.factories import make_ai_system
from tests.kit import count_queries

pytestmark = pytest.mark.django_db


def test_asking_twice_gives_the_same_reference_until_a_row_takes_it(world):
    assert services.next_reference(AISystem, world.acme) == services.next_reference(AISystem, world.acme) == "AIS-001"
    make_ai_system(world.acme, user=world.officer)
    assert services.next_reference(AISystem, world.acme) == "AIS-002"


def test_the_counter_reads_no_history_however_many_references_were_taken(world):
    make_ai_system(world.acme, user=world.officer)
    services.next_reference(AISystem, world.acme)  # the counter exists now
    few = count_queries(lambda: services.next_reference(AISystem, world.acme))
    for _ in range(12):
        make_ai_system(world.acme, user=world.officer)
    assert count_queries(lambda: services.next_reference(AISystem, world.acme)) == few
    assert ReferenceCounter.objects.get(management_system=world.acme, register="registers.aisystem").last == 13


def test_a_counter_is_made_from_the_history_and_skips_numbers_taken_around_it(world):
    for _ in range(3):
        make_ai_system(world.acme, user=world.officer)
    ReferenceCounter.objects.all().delete()  # as before the counters existed: made from the history
    assert services.next_reference(AISystem, world.acme) == "AIS-004"
    # A bulk path that numbers rows itself (as the document seeding does) is skipped over.
    AISystem.objects.create(management_system=world.acme, reference="AIS-004", name="Bulk")
    AISystem.objects.create(management_system=world.acme, reference="AIS-005", name="Bulk")
    assert make_ai_system(world.acme, user=world.officer).reference == "AIS-006"


def test_a_deleted_row_numbered_past_the_counter_is_never_reused(world):
    system = make_ai_system(world.acme, user=world.officer)
    services.next_reference(AISystem, world.acme)
    bulk = AISystem.objects.create(management_system=world.acme, reference="AIS-002", name="Bulk", version=1)
    services.register_delete(bulk, user=world.officer, expected_version=1, reason="Duplicate")
    assert make_ai_system(world.acme, user=world.officer).reference == "AIS-003"
    assert system.reference == "AIS-001"


def test_counters_are_per_register_and_management_system(world):
    make_ai_system(world.acme, user=world.officer)
    make_ai_system(world.acme, user=world.officer)
    assert services.next_reference(Supplier, world.acme) == "SUP-001"
    assert services.next_reference(AISystem, world.northwind) == "AIS-001"
    assert services.next_reference(AISystem, world.acme) == "AIS-003"


def test_the_data_migration_seeds_counters_from_every_history(world):
    for _ in range(2):
        make_ai_system(world.acme, user=world.officer)
    make_ai_system(world.northwind, user=world.outsider)
    ReferenceCounter.objects.all().delete()
    migration = import_module("aims.migrations.0013_seed_reference_counters")
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.seed(live_apps, editor)
    seeded = {
        (c.management_system_id, c.register, c.prefix): c.last
        for c in ReferenceCounter.objects.filter(register="registers.aisystem")
    }
    assert seeded == {
        (world.acme.pk, "registers.aisystem", "AIS"): 2,
        (world.northwind.pk, "registers.aisystem", "AIS"): 1,
    }
    assert make_ai_system(world.acme, user=world.officer).reference == "AIS-003"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL row locks")
def test_two_concurrent_allocations_get_different_references(world):
    make_ai_system(world.acme, user=world.officer)
    barrier = threading.Barrier(2)
    made, errors = [], []

    def create(name):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                made.append(make_ai_system(world.acme, user=world.officer, name=name).reference)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(f"Parallel {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(made) == ["AIS-002", "AIS-003"]
