"""``aims.prepared``: a query compiled once returns what the ORM returns, with new values each time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aims.models import ManagementSystem
from aims.prepared import Prepared, columns, instance
from registers.models import AISystem
from tests.factories import make_ai_system


def _systems(ms_id):
    return AISystem.objects.filter(management_system_id=ms_id).order_by("reference").values_list(*columns(AISystem))


PREPARED = Prepared(_systems, -4242)


@pytest.mark.django_db
def test_rows_equal_the_orm_s_for_each_value_converters_applied(world):
    make_ai_system(world.acme, user=world.officer, name="Triage")
    make_ai_system(world.acme, user=world.officer, name="Scheduler")
    other = ManagementSystem.objects.exclude(pk=world.acme.pk).first()
    for ms in (world.acme, other):
        assert PREPARED.rows(ms.pk) == list(_systems(ms.pk))
    rows = PREPARED.rows(world.acme.pk)
    assert rows and rows[0][columns(AISystem).index("created_at")].tzinfo is not None  # a datetime, not text
    built = instance(AISystem, rows[0])
    orm = AISystem.objects.filter(management_system=world.acme).order_by("reference").first()
    assert (built.pk, built.reference, built.name, built.created_at, built._state.adding) == (
        orm.pk, orm.reference, orm.name, orm.created_at, False,
    )  # fmt: skip
    assert PREPARED.first(-1) is None


@pytest.mark.django_db
def test_compiled_once_then_one_query_a_run(world):
    PREPARED.rows(world.acme.pk)  # compiled for this connection
    with CaptureQueriesContext(connection) as queries:
        PREPARED.rows(world.acme.pk)
        PREPARED.rows(world.acme.pk + 1)
    assert len(queries) == 2
    assert all(str(-4242) not in q["sql"] for q in queries.captured_queries)


def test_a_stand_in_that_is_not_a_parameter_is_refused():
    bad = Prepared(lambda ms_id: AISystem.objects.filter(management_system_id=7).values_list("pk"), -4242)
    with pytest.raises(ValueError, match="appears 0 times"):
        bad._compile("default")


def test_wrong_number_of_values_is_refused():
    with pytest.raises(TypeError):
        PREPARED.rows(1, 2)
