"""``Model.history`` builds its manager class once (simple-history built one on every access), and still binds the record."""

import pytest

from aims.history import CachedHistoryDescriptor
from assessments.models import Risk
from tests.assessments.helpers import make_risk


def test_the_history_manager_class_is_built_once_per_model_and_m2m_field():
    assert isinstance(vars(Risk)["history"], CachedHistoryDescriptor)
    assert type(Risk.history) is type(Risk.history)
    history_model = Risk.history.model
    assert isinstance(vars(history_model)["ai_systems"], CachedHistoryDescriptor)  # versioned links too


@pytest.mark.django_db
def test_a_records_history_is_still_its_own(world):
    first, second = make_risk(world.acme, world.officer), make_risk(world.acme, world.officer)
    assert {row.id for row in first.history.all()} == {first.pk}
    assert {row.id for row in second.history.all()} == {second.pk}
    assert Risk.history.filter(id__in=[first.pk, second.pk]).count() == 2
