"""Fixtures of the incident tests: the catalogues (transactional tests flush them) and short spellings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from controls.catalog import catalog_ensure
from improvement.incidents import services
from tests.factories import UserFactory, make_ai_system


@pytest.fixture(autouse=True)
def _catalogues(db):
    catalog_ensure()


def make_incident(ms, user, **fields):
    """An incident recorded through the service (by ``user``, who is its reporter)."""
    fields.setdefault("title", "Chatbot advised a patient to stop their medication")
    fields.setdefault("description", "The triage chatbot told a patient to stop taking a prescribed drug.")
    return services.incident_create(management_system=ms, user=user, **fields)


def high_risk_system(ms, user, **fields):
    return make_ai_system(ms, user=user, eu_ai_act_risk_class="high", **fields)


@pytest.fixture
def analyst(world):
    """Someone outside the personas who records incidents, so that the four-eyes rule stays out of the way."""
    return UserFactory(username="incident_analyst")


@pytest.fixture
def serious(world, analyst):
    """A possibly serious incident of a high-risk system in Acme, detected two hours ago."""
    system = high_risk_system(world.acme, world.officer, name="Triage chatbot")
    return make_incident(
        world.acme,
        analyst,
        ai_systems=[system],
        possibly_serious=True,
        severity="high",
        detected_at=timezone.now() - timedelta(hours=2),
    )
