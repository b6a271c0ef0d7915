"""The incident rule: N refused calls of one AI system within M minutes draft one incident per burst."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gateway import ledger
from gateway.evidence import incidents
from gateway.models import GatewayIncidentBurst
from improvement.models import Incident
from tests.gateway.helpers import two_ai_systems

pytestmark = pytest.mark.django_db


@pytest.fixture
def systems():
    return two_ai_systems()


def refuse(system, minutes_ago: float, n: int = 1) -> None:
    for _ in range(n):
        ledger.event_append(ai_system=system, type="refusal", decision="block",
                            occurred_at=timezone.now() - timedelta(minutes=minutes_ago))  # fmt: skip


def test_a_burst_drafts_one_incident_naming_the_events(systems, settings):
    settings.AIMS_GATEWAY_INCIDENT_THRESHOLD, settings.AIMS_GATEWAY_INCIDENT_WINDOW_MINUTES = 3, 10
    first, second = systems
    refuse(first, 8, n=3)
    refuse(second, 8, n=2)  # below the threshold
    drafted = incidents.incident_rule_check(management_system=first.management_system)
    assert len(drafted) == 1
    incident = drafted[0]
    assert incident.channel == Incident.Channel.GATEWAY and list(incident.ai_systems.all()) == [first]
    assert "events #1 to #3" in incident.description and "block (3)" in incident.description
    # More refusals in the same burst join it: no second incident.
    refuse(first, 2, n=4)
    assert incidents.incident_rule_check(management_system=first.management_system) == []
    burst = GatewayIncidentBurst.objects.get()
    assert (burst.first_sequence, burst.last_sequence, burst.refusals) == (1, 7, 7)
    assert Incident.objects.count() == 1


def test_refusals_spread_out_draft_nothing_and_a_disabled_rule_drafts_nothing(systems):
    first, _ = systems
    ms = first.management_system
    officer = ms.memberships.first().user
    incidents.incident_rule_set(management_system=ms, user=officer, enabled=True, threshold=3, window_minutes=5)
    for minutes in (60, 40, 20):
        refuse(first, minutes)
    assert incidents.incident_rule_check(management_system=ms) == []
    refuse(first, 1, n=3)
    rule = incidents.rule_of(ms).record
    incidents.incident_rule_set(management_system=ms, user=officer, enabled=False, threshold=3, window_minutes=5,
                                expected_version=rule.version)  # fmt: skip
    assert incidents.incident_rule_check(management_system=ms) == []
    assert rule.history.count() == 2  # the rule's changes are versioned


def test_the_periodic_task_checks_every_management_system(systems, settings):
    from gateway.tasks import incident_rule

    settings.AIMS_GATEWAY_INCIDENT_THRESHOLD = 2
    refuse(systems[0], 1, n=2)
    assert incident_rule() == 1
    assert incident_rule() == 0
