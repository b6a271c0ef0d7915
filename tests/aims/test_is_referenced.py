"""``is_referenced``: whether a record's remove button says Delete or Retire, in one query.

It must agree with ``references_to`` (what the remove page lists and the services enforce) on
every record, referenced or not, and ask the database at most once whatever the record's kind.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from aims.pages import removal_verb
from aims.services import is_referenced, references_to
from tests.api.helpers import one_of_everything
from tests.factories import AISystemFactory, EvidenceFactory
from tests.kit import count_queries

pytestmark = pytest.mark.django_db


def register_records(management_system) -> list:
    """Every record with a reference in the management system, of every installed model."""
    records = []
    for model in apps.get_models():
        names = {field.name for field in model._meta.concrete_fields}
        if {"reference", "management_system"} <= names and not hasattr(model, "instance_type"):
            records.extend(model._default_manager.filter(management_system=management_system))
    return records


def test_agrees_with_references_to_on_every_record_in_one_query(world):
    one_of_everything(world)
    one_of_everything(world, second=True)
    # Evidence linking a record makes it referenced through an app's finder (its probe).
    EvidenceFactory(
        management_system=world.acme,
        user=world.officer,
        links={"ai_systems": [AISystemFactory(management_system=world.acme, user=world.officer)]},
    )
    records = register_records(world.acme)
    assert len({type(record) for record in records}) > 15
    ContentType.objects.get_for_models(*{type(record) for record in records})  # the cache, as on a page
    outcomes = set()
    for record in records:
        expected = bool(references_to(record))
        assert count_queries(lambda r=record: outcomes.add(is_referenced(r))) <= 1, record
        assert is_referenced(record) is expected, (record, references_to(record))
        outcomes.add(expected)
    assert outcomes == {True, False}  # both kinds were checked


def test_button_word_follows_a_new_reference(world):
    system = AISystemFactory(management_system=world.acme, user=world.officer)
    assert removal_verb(system) == "Delete"
    EvidenceFactory(management_system=world.acme, user=world.officer, links={"ai_systems": [system]})
    assert references_to(system) and is_referenced(system)
    assert removal_verb(system) == "Retire"


def test_a_models_clauses_are_compiled_once_and_serve_each_record(world):
    """The sign-off and relation clauses are compiled for a stand-in key once per model, then reused."""
    from aims import services
    from registers.models import AISystem

    unused = AISystemFactory(management_system=world.acme, user=world.officer)
    linked = AISystemFactory(management_system=world.acme, user=world.officer)
    EvidenceFactory(management_system=world.acme, user=world.officer, links={"ai_systems": [linked]})
    services._model_clauses.clear()
    assert is_referenced(unused) is False
    key = (AISystem, "default", ContentType.objects.get_for_model(AISystem).pk)
    parts, params = services._model_clauses[key]
    assert params.count(services._PK_MARKER) >= len(parts)  # compiled for the stand-in's key, in every clause
    assert is_referenced(linked) is True and is_referenced(unused) is False
    assert services._model_clauses[key] == (parts, params)
