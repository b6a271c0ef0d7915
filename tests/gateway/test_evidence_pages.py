"""The gateway's evidence page, the incident rule's pages and the metric feeds' pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aims.models import SignOff
from gateway import ledger
from gateway.evidence import checkpoints, metrics, records
from gateway.evidence.incidents import rule_of
from gateway.models import GatewayIncidentRule, GatewayMetricFeed
from governance.models.objectives import Measurement, Metric
from governance.objectives.services import measurement_record, metric_create
from tests.factories import make_ai_system
from tests.kit import assert_constant_queries


def _url(name: str, ms, *args) -> str:
    return reverse(f"gateway:{name}", args=[ms.pk, *args])


def _metric(world, *, source=Metric.Source.GATEWAY, name="Blocked calls") -> Metric:
    return metric_create(
        management_system=world.acme, user=world.officer, name=name, measured="Calls the policy blocked",
        method="Counted by the gateway", target_value=Decimal("3"), direction=Metric.Direction.AT_MOST,
        source=source, cadence=Metric.Cadence.MONTHLY,
    )  # fmt: skip


def _traffic(world, calls: int = 2):
    """An AI system of Acme with calls through the gateway, a checkpoint and this period's evidence record."""
    system = make_ai_system(world.acme, user=world.owner, name="Triage assistant")
    for _ in range(calls):
        ledger.event_append(ai_system=system, type="call", model_requested="m")
    taken = checkpoints.checkpoint_take(management_system=world.acme)
    record = records.evidence_record(ai_system=system, period=records.period_of(timezone.localdate()))
    return system, taken, record


# --- the evidence page -----------------------------------------------------------------------


def test_the_page_lists_checkpoints_with_their_heads_and_sign_off_and_the_evidence_records(world, client_as):
    system, taken, record = _traffic(world)
    signoff = SignOff.objects.get(kind=checkpoints.KIND, subject_id=taken.checkpoint.pk)

    page = client_as("auditor").get(_url("evidence", world.acme))

    html = page.content.decode()
    assert page.status_code == 200
    assert taken.checkpoint.reference in html and f"Sign-off #{signoff.sequence}" in html
    assert reverse("ledger:verify", args=[world.acme.pk]) in html
    assert f"{system.reference}</span> Triage assistant</a>\n              at event #2" in html
    assert taken.checkpoint.heads[0]["digest"][:12] in html
    assert reverse("evidence:detail", args=[world.acme.pk, record.evidence_id]) in html
    assert record.evidence.reference in html and "So far" in html
    # The rule's defaults and no feed yet.
    assert "5 refused or blocked calls" in html and "No metric is measured by the gateway yet" in html


def test_the_gateway_menu_links_the_evidence_page(world, client_as):
    html = client_as("contributor").get(_url("events", world.acme)).content.decode()
    assert "Evidence &amp; checkpoints" in html and _url("evidence", world.acme) in html


def test_read_only_members_see_no_edit_buttons_and_editors_do(world, client_as):
    feed = metrics.metric_feed_set(metric=_metric(world), user=world.officer, figure="calls")
    edit_rule, edit_feed = _url("evidence_rule_edit", world.acme), _url("evidence_feed_edit", world.acme, feed.pk)
    for persona in ("auditor", "contributor", "leader"):
        html = client_as(persona).get(_url("evidence", world.acme)).content.decode()
        assert feed.metric.reference in html, persona
        assert edit_rule not in html and edit_feed not in html, persona
    for persona in ("officer", "owner"):
        html = client_as(persona).get(_url("evidence", world.acme)).content.decode()
        assert edit_rule in html and edit_feed in html and _url("evidence_feed_create", world.acme) in html


def test_access_matrix(world, status_as):
    feed = metrics.metric_feed_set(metric=_metric(world), user=world.officer, figure="calls")
    ms = world.acme
    reads = [_url("evidence", ms), _url("evidence_rule", ms)]
    writes = [
        _url("evidence_rule_edit", ms), _url("evidence_feed_create", ms), _url("evidence_feed_edit", ms, feed.pk),
        _url("evidence_feed_remove", ms, feed.pk),
    ]  # fmt: skip
    for url in reads:
        for persona in ("owner", "officer", "leader", "contributor", "auditor"):
            assert status_as(persona, "get", url) == 200, (persona, url)
        assert status_as("outsider", "get", url) == 404, url
        assert status_as("expired_auditor", "get", url) == 404, url
    for url in writes:
        assert status_as("officer", "get", url) == 200, url
        for persona in ("leader", "contributor", "auditor"):
            assert status_as(persona, "get", url) == 403, (persona, url)
            assert status_as(persona, "post", url, {}) == 403, (persona, url)
        assert status_as("outsider", "get", url) == 404, url
        assert status_as("outsider", "post", url, {}) == 404, url
    assert status_as("anonymous", "get", reads[0]) == 302
    assert GatewayMetricFeed.objects.filter(pk=feed.pk).exists()


def test_the_page_reads_in_constant_queries(world, client_as):
    _traffic(world)
    client = client_as("officer")
    feeds = iter(range(5))

    def grow():
        second = make_ai_system(world.acme, user=world.owner)
        ledger.event_append(ai_system=second, type="call")
        checkpoints.checkpoint_take(management_system=world.acme)
        records.evidence_record(ai_system=second, period=records.period_of(timezone.localdate()))
        metrics.metric_feed_set(metric=_metric(world, name=f"Feed {next(feeds)}"), user=world.officer, figure="calls")

    assert_constant_queries(lambda: client.get(_url("evidence", world.acme)), grow)


# --- the incident rule -----------------------------------------------------------------------


def test_an_officer_sets_the_rule_with_a_reason_kept_in_its_history(world, client_as):
    officer = client_as("officer", csrf=False)
    url = _url("evidence_rule_edit", world.acme)
    assert 'value="5"' in officer.get(url).content.decode()  # the defaults, before anybody changed them

    saved = officer.post(url, {"enabled": "on", "threshold": "3", "window_minutes": "15", "change_reason": "Pilot"})

    assert saved.status_code == 302 and saved["Location"] == _url("evidence_rule", world.acme)
    rule = rule_of(world.acme)
    assert (rule.enabled, rule.threshold, rule.window_minutes) == (True, 3, 15)
    changed = officer.post(url, {"threshold": "4", "window_minutes": "15", "version": "1", "change_reason": "Off"})
    assert changed.status_code == 302
    record = GatewayIncidentRule.objects.get()
    assert (record.enabled, record.threshold, record.version) == (False, 4, 2)
    assert [h.history_change_reason for h in record.history.order_by("history_id")] == ["Pilot", "Off"]
    html = client_as("auditor").get(saved["Location"]).content.decode()
    assert "Pilot" in html and "officer" in html and "Off" in html and "Version 2" in html


def test_invalid_rules_are_refused_with_the_errors_next_to_the_fields(world, client_as):
    officer = client_as("officer")
    url = _url("evidence_rule_edit", world.acme)

    for data, field in (
        ({"threshold": "0", "window_minutes": "10"}, "threshold"),
        ({"threshold": "1", "window_minutes": "10"}, "threshold"),
        ({"threshold": "5", "window_minutes": "0"}, "window_minutes"),
        ({"threshold": "5", "window_minutes": "99999"}, "window_minutes"),
        ({"threshold": "many", "window_minutes": "10"}, "threshold"),
    ):
        page = officer.post(url, {"enabled": "on", **data})
        assert page.status_code == 400, data
        assert page.context["form"].errors.get(field), data
        assert "field--error" in page.content.decode()
    assert not GatewayIncidentRule.objects.exists()


def test_a_stale_version_of_the_rule_is_a_conflict(world, client_as):
    officer = client_as("officer")
    url = _url("evidence_rule_edit", world.acme)
    officer.post(url, {"enabled": "on", "threshold": "3", "window_minutes": "10"})
    officer.post(url, {"enabled": "on", "threshold": "4", "window_minutes": "10", "version": "1"})

    stale = officer.post(url, {"enabled": "on", "threshold": "9", "window_minutes": "10", "version": "1"})

    assert stale.status_code == 409 and GatewayIncidentRule.objects.get().threshold == 4


def test_the_rule_form_needs_csrf(world, client_as):
    officer = client_as("officer", csrf=True)
    refused = officer.post(_url("evidence_rule_edit", world.acme), {"threshold": "3", "window_minutes": "10"})
    assert refused.status_code == 403 and not GatewayIncidentRule.objects.exists()


# --- metric feeds ----------------------------------------------------------------------------


def test_an_officer_binds_a_gateway_metric_to_a_figure_of_one_ai_system(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    metric = _metric(world)
    _metric(world, source=Metric.Source.MANUAL, name="Counted by hand")
    officer = client_as("officer")
    form = officer.get(_url("evidence_feed_create", world.acme)).content.decode()
    assert metric.reference in form and "Counted by hand" not in form  # only the gateway's metrics are offered

    saved = officer.post(
        _url("evidence_feed_create", world.acme), {"metric": metric.pk, "figure": "blocked", "ai_system": system.pk}
    )

    assert saved.status_code == 302
    feed = GatewayMetricFeed.objects.get()
    assert (feed.metric, feed.figure, feed.ai_system, feed.set_by) == (metric, "blocked", system, world.officer)
    html = officer.get(_url("evidence", world.acme)).content.decode()
    assert "Blocked calls</a>" in html and reverse("governance:metric_detail", args=[world.acme.pk, metric.pk]) in html


def test_a_feed_into_a_metric_not_measured_by_the_gateway_is_refused(world, client_as):
    manual = _metric(world, source=Metric.Source.MANUAL, name="Counted by hand")
    other_ms = metric_create(
        management_system=world.northwind, user=world.outsider, name="Theirs", measured="x", method="y",
        target_value=Decimal("1"), source=Metric.Source.GATEWAY,
    )  # fmt: skip
    officer = client_as("officer")

    for metric in (manual, other_ms):
        page = officer.post(_url("evidence_feed_create", world.acme), {"metric": metric.pk, "figure": "calls"})
        assert page.status_code == 400
        assert "whose source is “AI gateway”" in page.context["form"].errors["metric"][0]
    assert not GatewayMetricFeed.objects.exists()


def test_a_metric_fed_already_is_not_offered_twice_and_a_figure_is_required(world, client_as):
    metric = _metric(world)
    metrics.metric_feed_set(metric=metric, user=world.officer, figure="calls")
    officer = client_as("officer")

    twice = officer.post(_url("evidence_feed_create", world.acme), {"metric": metric.pk, "figure": "blocked"})
    no_figure = officer.post(_url("evidence_feed_create", world.acme), {"metric": metric.pk, "figure": ""})

    assert twice.status_code == 400 and no_figure.status_code == 400 and no_figure.context["form"].errors["figure"]
    assert GatewayMetricFeed.objects.get().figure == "calls"


def test_an_officer_changes_a_feed_then_removes_it_and_the_measurements_stay(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    metric = _metric(world)
    feed = metrics.metric_feed_set(metric=metric, user=world.owner, figure="calls")
    measurement_record(metric, user=world.officer, period=timezone.localdate().replace(day=1), value=Decimal("2"))
    officer = client_as("officer")

    changed = officer.post(
        _url("evidence_feed_edit", world.acme, feed.pk), {"figure": "refusals", "ai_system": system.pk}
    )
    assert changed.status_code == 302
    feed.refresh_from_db()
    assert (feed.metric, feed.figure, feed.ai_system, feed.set_by) == (metric, "refusals", system, world.officer)

    confirm = officer.get(_url("evidence_feed_remove", world.acme, feed.pk)).content.decode()
    assert "every measurement already recorded stay" in confirm
    removed = officer.post(_url("evidence_feed_remove", world.acme, feed.pk))

    assert removed.status_code == 302 and not GatewayMetricFeed.objects.exists()
    metric.refresh_from_db()
    assert not metric.is_retired and Measurement.objects.filter(metric=metric).count() == 1


def test_a_feed_of_another_management_system_is_404(world, client_as):
    theirs = metric_create(
        management_system=world.northwind, user=world.outsider, name="Theirs", measured="x", method="y",
        target_value=Decimal("1"), source=Metric.Source.GATEWAY,
    )  # fmt: skip
    feed = metrics.metric_feed_set(metric=theirs, user=world.outsider, figure="calls")
    officer = client_as("officer")
    assert officer.get(_url("evidence_feed_edit", world.acme, feed.pk)).status_code == 404
    assert officer.post(_url("evidence_feed_remove", world.acme, feed.pk)).status_code == 404
    assert officer.get(_url("evidence_feed_edit", world.northwind, feed.pk)).status_code == 404
    assert GatewayMetricFeed.objects.filter(pk=feed.pk).exists()


@pytest.mark.parametrize("figure", ["calls", "approval_latency_median"])
def test_every_figure_can_be_chosen(world, client_as, figure):
    metric = _metric(world)
    saved = client_as("owner").post(_url("evidence_feed_create", world.acme), {"metric": metric.pk, "figure": figure})
    assert saved.status_code == 302 and GatewayMetricFeed.objects.get().figure == figure
