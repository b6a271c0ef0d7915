"""The gateway's evidence page (checkpoints, evidence records, incident rule, metric feeds) and their forms.

Every member reads; officers and owners change the incident rule and the metric feeds (403 for
read-only members, who see no edit buttons); outsiders get 404 (``aims.pages``).
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.history import paged_history
from aims.models import ManagementSystem
from aims.pages import open_management_system, open_record, save_or_conflict
from gateway.evidence import incidents, metrics, selectors
from gateway.evidence.forms import IncidentRuleForm, MetricFeedForm
from gateway.models import GatewayIncidentRule, GatewayMetricFeed
from improvement.pages import form_status


@login_required
@require_GET
def evidence(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Checkpoints with their sign-offs, evidence records per AI system and period, the rule and the feeds."""
    ms = open_management_system(request, ms_id)
    context = {
        "ms": ms,
        "checkpoints": selectors.checkpoint_rows(ms),
        "checkpoint_count": selectors.checkpoint_count(ms),
        "records": selectors.evidence_rows(ms),
        "rule": incidents.rule_of(ms),
        "feeds": selectors.feeds_of(ms, user=request.user),
        "can_edit": access.can(request.user, Action.EDIT, ms),
    }
    return render(request, "gateway/evidence_page.html", context)


# --- the incident rule -----------------------------------------------------------------------


@login_required
@require_GET
def incident_rule(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The incident rule in force and every change made to it, with who and why."""
    ms = open_management_system(request, ms_id)
    rule = incidents.rule_of(ms)
    record = rule.record
    context = {
        "ms": ms,
        "rule": rule,
        "versions": paged_history(request, selectors.rule_history(record), GatewayIncidentRule) if record else [],
        "can_edit": access.can(request.user, Action.EDIT, ms),
    }
    return render(request, "gateway/evidence_rule.html", context)


def _rule_instance(ms: ManagementSystem, rule: incidents.Rule) -> GatewayIncidentRule:
    if rule.record is not None:
        return copy.copy(rule.record)
    return GatewayIncidentRule(
        management_system=ms, enabled=rule.enabled, threshold=rule.threshold, window_minutes=rule.window_minutes
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_rule_edit(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.EDIT)
    rule = incidents.rule_of(ms)
    form = IncidentRuleForm(
        request.POST or None,
        instance=_rule_instance(ms, rule),
        initial={"version": rule.record.version} if rule.record else {},
        management_system=ms,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = save_or_conflict(
            form,
            lambda: incidents.incident_rule_set(
                management_system=ms,
                user=request.user,
                expected_version=form.cleaned_data.get("version"),
                reason=form.reason(),
                **form.register_fields(),
            ),
        )
        if saved is not None:
            messages.success(request, f"The incident rule was saved ({saved.reference}, version {saved.version}).")
            return redirect("gateway:evidence_rule", ms_id=ms.pk)
    context = {"ms": ms, "rule": rule, "form": form, "conflict": conflict, "defaults": _defaults()}
    return render(request, "gateway/evidence_rule_form.html", context, status=form_status(conflict, bool(form.errors)))


def _defaults() -> dict[str, int]:
    return {
        "threshold": settings.AIMS_GATEWAY_INCIDENT_THRESHOLD,
        "window_minutes": settings.AIMS_GATEWAY_INCIDENT_WINDOW_MINUTES,
    }


# --- metric feeds ----------------------------------------------------------------------------


def _feed_form(request: HttpRequest, ms: ManagementSystem, feed: GatewayMetricFeed | None) -> HttpResponse:
    form = MetricFeedForm(request.POST or None, management_system=ms, feed=feed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved, _ = save_or_conflict(
            form,
            lambda: metrics.metric_feed_set(
                metric=feed.metric if feed else data["metric"],
                user=request.user,
                figure=data["figure"],
                ai_system=data["ai_system"],
            ),
        )
        if saved is not None:
            messages.success(
                request, f"{saved.metric.reference} is now measured from the gateway: {saved.get_figure_display()}."
            )
            return redirect("gateway:evidence", ms_id=ms.pk)
    context = {
        "ms": ms,
        "feed": feed,
        "form": form,
        "gateway_metrics": feed is not None or form.fields["metric"].queryset.exists(),
    }
    return render(request, "gateway/evidence_feed_form.html", context, status=form_status(None, bool(form.errors)))


@login_required
@require_http_methods(["GET", "POST"])
def feed_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    return _feed_form(request, ms, None)


@login_required
@require_http_methods(["GET", "POST"])
def feed_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    feed = open_record(request, selectors.feed_queryset(user=request.user), ms_id, pk, Action.EDIT)
    return _feed_form(request, feed.management_system, feed)


@login_required
@require_http_methods(["GET", "POST"])
def feed_remove(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Ask, then stop the feed; the metric and its measurements stay."""
    feed = open_record(request, selectors.feed_queryset(user=request.user), ms_id, pk, Action.EDIT)
    if request.method == "POST":
        metrics.metric_feed_remove(feed, user=request.user)
        messages.success(
            request,
            f"{feed.metric.reference} is no longer measured by the gateway; its measurements stay with the metric.",
        )
        return redirect("gateway:evidence", ms_id=feed.management_system_id)
    return render(request, "gateway/evidence_feed_remove.html", {"ms": feed.management_system, "feed": feed})
