"""Who last changed a risk's ratings or owner (the four-eyes rule of a risk acceptance), worked out by the database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import services
from assessments.signoffs import rating_editors, risk_last_editor
from tests.assessments.helpers import make_risk


def edit(risk, user, **fields):
    return services.risk_update(risk, user=user, expected_version=risk.version, reason="Edited", **fields)


@pytest.mark.django_db
def test_the_editor_is_the_author_of_the_newest_change_to_a_rating_or_the_owner(world):
    risk = make_risk(world.acme, world.officer, residual_likelihood=None, residual_consequence=None)
    assert risk_last_editor(risk) == world.officer.pk  # only the first version: its author

    risk = edit(risk, world.owner, title="Renamed")  # no rating changed: still the first version's author
    assert risk_last_editor(risk) == world.officer.pk

    risk = edit(risk, world.owner, residual_likelihood=2, residual_consequence=2)  # from nothing to a rating
    assert risk_last_editor(risk) == world.owner.pk

    risk = edit(risk, world.contributor, description="More words")  # not a rating
    assert risk_last_editor(risk) == world.owner.pk

    risk = edit(risk, world.leader, owner=world.contributor)  # the owner counts
    assert risk_last_editor(risk) == world.leader.pk

    risk = edit(risk, world.officer, residual_likelihood=None, residual_consequence=None)  # back to nothing: a change
    assert risk_last_editor(risk) == world.officer.pk


@pytest.mark.django_db
def test_many_risks_are_answered_in_one_query_whatever_their_versions(world):
    first = make_risk(world.acme, world.officer)
    second = make_risk(world.acme, world.officer)
    for n in range(6):
        second = edit(second, world.owner if n % 2 else world.contributor, title=f"Title {n}")
    second = edit(second, world.leader, likelihood=1 if second.likelihood != 1 else 2)
    for n in range(4):
        second = edit(second, world.owner, title=f"Again {n}")

    with CaptureQueriesContext(connection) as queries:
        editors = rating_editors([first.pk, second.pk])
    assert len(queries) == 1
    assert editors == {first.pk: world.officer.pk, second.pk: world.leader.pk}
    assert rating_editors([]) == {}
