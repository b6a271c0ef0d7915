"""Evidence records per AI system and period, written by the gateway itself; gateway figures as metric sources."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from evidence.models import Evidence
from evidence.selectors import current_links
from gateway import ledger
from gateway.evidence import metrics, records
from gateway.models import GatewayEvidence
from governance.models.objectives import Metric
from tests.factories import UserFactory
from tests.gateway.helpers import two_ai_systems

pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


MONDAY = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 14)  # two weeks ago


@pytest.fixture
def system():
    return two_ai_systems()[0]


def traffic(system, day: date) -> None:
    """Calls with personal data, a blocked call, an approved and a denied action."""
    approver = UserFactory(username="leader-x")
    add = ledger.event_append
    add(ai_system=system, type="call", occurred_at=at(day, 9), decision="redact", entity_counts={"EMAIL_ADDRESS": 2})
    add(ai_system=system, type="call_completed", occurred_at=at(day, 9, 1), refers_to_sequence=1)
    add(ai_system=system, type="refusal", occurred_at=at(day, 10), decision="block", entity_counts={"CREDIT_CARD": 1})
    add(ai_system=system, type="action_proposed", occurred_at=at(day, 11), tool="send_patient_message")
    add(ai_system=system, type="approved", occurred_at=at(day, 11, 4), refers_to_sequence=4, approver=approver)
    add(ai_system=system, type="performed", occurred_at=at(day, 11, 5), refers_to_sequence=4)
    add(ai_system=system, type="action_proposed", occurred_at=at(day, 12), tool="send_patient_message")
    add(ai_system=system, type="denied", occurred_at=at(day, 12, 10), refers_to_sequence=7, approver=approver)


def test_a_week_of_activity_becomes_one_evidence_record_linked_to_its_soa_rows(system, settings):
    settings.AIMS_GATEWAY_EVIDENCE_PERIOD = "week"
    traffic(system, MONDAY + timedelta(days=2))
    written = records.evidence_build()
    assert len(written) == 1 and written[0].complete
    record = written[0]
    assert (record.period_start, record.period_end) == (MONDAY, MONDAY + timedelta(days=7))
    content = json.loads(default_storage.open(record.evidence.file.name).read())
    figures = content["figures"]
    assert (figures["calls"], figures["refusals"], figures["blocked_calls"]) == (1, 1, 1)
    assert figures["redactions_by_entity_type"] == {"EMAIL_ADDRESS": 2}  # the refused card never left
    assert figures["actions"] == {"proposed": 2, "approved": 1, "denied": 1, "performed": 1}
    assert figures["approvers"] == {"leader-x": 2}
    assert figures["approval_latency_seconds"] == {"decisions": 2, "median": 420.0, "max": 600.0}
    assert content["chain_verification"]["ok"] and content["events"] == {"first_sequence": 1, "last_sequence": 8}
    links = current_links(record.evidence)
    assert links["ai_systems"] == [system]
    soa_keys = {row.control.key for row in links["soa_rows"]}
    assert soa_keys == set(records.SOA_CONTROLS) & {row.control.key for row in links["soa_rows"]}
    assert "A.6.2.8" in soa_keys
    # Idempotent per (AI system, period).
    assert records.evidence_build() == []
    assert GatewayEvidence.objects.count() == 1


def test_a_record_holds_entity_types_and_counts_never_values(system):
    ledger.event_append(ai_system=system, type="call", occurred_at=at(MONDAY, 9), entity_counts={"PHONE_NUMBER": 1},
                        detail="masked")  # fmt: skip
    record = records.evidence_build()[0]
    text = default_storage.open(record.evidence.file.name).read().decode()
    assert "PHONE_NUMBER" in text and "@" not in text.replace("aims-gateway", "")


def test_a_running_period_is_recorded_so_far_then_superseded_by_the_complete_record(system, settings):
    settings.AIMS_GATEWAY_EVIDENCE_PERIOD = "day"
    day = timezone.localdate() - timedelta(days=1)
    ledger.event_append(ai_system=system, type="call", occurred_at=at(day, 9))
    period = records.period_of(day)
    early = records.evidence_record(ai_system=system, period=period, now=at(day, 12))
    assert not early.complete and "(so far)" in early.evidence.title
    assert records.evidence_record(ai_system=system, period=period, now=at(day, 13)) is None  # nothing new
    final = records.evidence_record(ai_system=system, period=period, now=timezone.now())
    assert final.complete and final.evidence.supersedes == early.evidence
    assert records.evidence_record(ai_system=system, period=period, now=timezone.now()) is None
    assert Evidence.objects.count() == 2


def test_a_gateway_figure_is_measured_into_a_metric_once_per_period(system):
    from governance.objectives.services import metric_create

    ms = system.management_system
    officer = ms.memberships.first().user
    metric = metric_create(
        management_system=ms, user=officer, name="Blocked calls", measured="Calls the policy blocked",
        method="Counted by the gateway", target_value=Decimal("3"), direction=Metric.Direction.AT_MOST,
        source=Metric.Source.GATEWAY, cadence=Metric.Cadence.MONTHLY,
    )  # fmt: skip
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=5)
    for minute in range(2):
        ledger.event_append(ai_system=system, type="refusal", decision="block", occurred_at=at(last_month, 9, minute))
    metrics.metric_feed_set(metric=metric, user=officer, figure="blocked", ai_system=system)
    measured = metrics.metric_feeds_measure(today=today)
    assert [(m.period, m.value) for m in measured] == [(last_month.replace(day=1), Decimal("2"))]
    assert "Measured by the AI gateway" in measured[0].note
    assert metrics.metric_feeds_measure(today=today) == []


def test_only_a_metric_whose_source_is_the_gateway_takes_a_gateway_figure(system):
    from governance.objectives.services import metric_create

    ms = system.management_system
    officer = ms.memberships.first().user
    metric = metric_create(management_system=ms, user=officer, name="Manual", measured="x", method="y",
                           target_value=Decimal("1"))  # fmt: skip
    with pytest.raises(ValidationError):
        metrics.metric_feed_set(metric=metric, user=officer, figure="calls")
