"""The AI system's Gateway tab: policy in force, live figures from its events, its last events."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from gateway.events import selectors
from tests.factories import make_ai_system
from tests.gateway.events_helpers import completed_call, event_at
from tests.gateway.keys_helpers import make_key, system_with_model
from tests.gateway.policy_helpers import policy_in_force
from tests.kit import assert_constant_queries, get_ok, log_in


def _tab(client, system):
    return client.get(reverse("gateway:system_gateway", args=[system.management_system_id, system.pk]))


def test_figures_count_calls_refusals_redactions_and_actions_of_this_system_only(world):
    now = timezone.now()
    system, other = make_ai_system(world.acme), make_ai_system(world.acme)
    completed_call(system, entity_counts={"EMAIL_ADDRESS": 2})
    completed_call(system, entity_counts={"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1})
    event_at(system, now - timedelta(days=2), entity_counts={"NHS_NUMBER": 3})  # this week, not today
    event_at(system, now - timedelta(days=8), entity_counts={"EMAIL_ADDRESS": 50})  # before the week
    event_at(system, now - timedelta(days=1), type="refusal", entity_counts={"CREDIT_CARD": 1})  # blocked
    event_at(system, now - timedelta(hours=3), type="redaction_summary", entity_counts={"PHONE_NUMBER": 4})
    for type in ("action_proposed", "action_proposed", "approved", "denied", "failed"):
        event_at(system, now - timedelta(hours=1), type=type)
    completed_call(other, entity_counts={"EMAIL_ADDRESS": 7})  # another system's

    figures = selectors.system_figures(system)

    assert (figures.calls_today, figures.calls_week, figures.refusals_week, figures.failures_week) == (2, 3, 1, 1)
    assert figures.redactions_week == {"EMAIL_ADDRESS": 3, "NHS_NUMBER": 3, "PHONE_NUMBER": 5}
    assert (figures.actions_proposed_week, figures.actions_approved_week, figures.actions_denied_week) == (2, 1, 1)
    assert figures.p50_latency_ms == 40 and figures.latency_sample == 2


def test_the_median_latency_is_of_the_last_hundred_completed_calls(world):
    system = make_ai_system(world.acme)
    now = timezone.now()
    event_at(system, now, type="call_completed", latency_ms=1_000_000)  # the 101st most recent: left out
    for ms in range(1, 101):
        event_at(system, now, type="call_completed", latency_ms=ms)
    event_at(system, now, type="failed", latency_ms=5_000)  # not a completed call

    figures = selectors.system_figures(system)

    assert figures.p50_latency_ms == 50.5 and figures.latency_sample == 100


def test_the_tab_shows_the_figures_and_the_last_ten_events_with_a_link_to_the_log(world, client_as):
    system = make_ai_system(world.acme)
    calls = [completed_call(system, entity_counts={"EMAIL_ADDRESS": 1}) for _ in range(6)]
    response = _tab(client_as("auditor"), system)

    page = response.content.decode()
    events = response.context["recent_events"]
    newest = [done for _call, done in reversed(calls)][:1]
    assert len(events) == 10 and events[0] == newest[0] and events[-1].sequence == 3
    assert "<strong>6</strong> calls today" in page and '<code>EMAIL_ADDRESS</code></td><td class="num">6' in page
    log = reverse("gateway:events", args=[world.acme.pk])
    assert f'href="{log}?ai_system={system.pk}"' in page
    assert reverse("gateway:event_detail", args=[world.acme.pk, events[0].pk]) in page


def test_without_an_approved_policy_the_tab_says_every_call_is_refused(world, client_as):
    system = make_ai_system(world.acme)
    page = _tab(client_as("contributor"), system).content.decode()
    assert "No approved gateway policy: every call is refused" in page


def test_the_tab_shows_the_policy_in_force_and_the_rules_that_can_apply(world, client_as):
    system, other = make_ai_system(world.acme), make_ai_system(world.acme)
    policy_in_force(world.acme, world.leader)  # policy@1, superseded by the next
    policy_in_force(world.acme, world.leader, rules=[
        {"ai_system": system, "tool": "send_patient_message", "outcome": "require_approval",
         "approver_role": "leadership", "note": "Patients hear from a human first"},
        {"ai_system": other, "outcome": "block", "note": "Other system's rule"},
    ])  # fmt: skip

    page = _tab(client_as("auditor"), system).content.decode()

    assert "<strong>policy@2</strong>" in page and "<code>CREDIT_CARD</code> block" in page
    assert "Patients hear from a human first" in page and "Require approval" in page
    assert "Other system&#x27;s rule" not in page and "every call is refused" not in page


def test_the_tab_makes_constant_queries_as_events_grow(world, client):
    system = system_with_model(world.acme, world.officer)
    key, _ = make_key(system, world.officer)
    policy_in_force(world.acme, world.leader)
    completed_call(system, key_id=key.pk)
    log_in(client, world.officer)

    def grow() -> None:
        for n in range(15):
            completed_call(system, key_id=key.pk, entity_counts={"EMAIL_ADDRESS": 1, f"TYPE_{n}": 1})
            event_at(system, timezone.now(), type="approved", approver=world.leader)

    assert_constant_queries(get_ok(client, reverse("gateway:system_gateway", args=[world.acme.pk, system.pk])), grow)
