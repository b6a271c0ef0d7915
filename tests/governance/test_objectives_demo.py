"""The demo's objectives run on their own (people created when the people demo has none) and once only."""

from __future__ import annotations

import pytest

from aims.demo import Demo
from governance.demo import objectives as demo_objectives
from governance.models import Measurement, Objective
from governance.objectives import selectors

pytestmark = pytest.mark.django_db


def test_two_objectives_with_six_months_each_one_missing_its_target(world):
    demo = Demo(acme=world.acme, northwind=world.northwind, users=world.users)
    demo_objectives.load(demo)
    demo_objectives.load(demo)  # idempotent

    objectives = selectors.attach_standing(
        list(selectors.objective_list(user=world.officer, management_system=world.acme))
    )
    assert len(objectives) == 2 and Objective.objects.count() == 2
    standings = {o.title: o.standing for o in objectives}
    assert [len(s.results) for s in standings.values()] == [6, 6]
    assert [s.missed for s in standings.values()] == [False, True]
    assert not any(s.missing for s in standings.values())
    assert {m.recorded_by for m in Measurement.objects.all()} == {world.officer}
    assert Measurement.objects.filter(corrects__isnull=False).count() == 1
