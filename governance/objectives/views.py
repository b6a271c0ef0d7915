"""HTML pages of AI objectives and metrics (6.2, 9.1): lists, details with chart and History, forms.

Measurements are recorded and corrected in ``measurement_views``. Officers and owners edit;
every member reads; outsiders get 404 (``aims.pages``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access
from aims.access import Action
from aims.forms import RetireForm
from aims.models import ManagementSystem
from aims.pages import open_management_system, open_record, save_or_conflict
from governance.models import Measurement, Metric, Objective
from governance.models.objectives import format_value
from governance.objectives import selectors, services
from governance.objectives.chart import chart
from governance.objectives.filters import MetricFilterSet, ObjectiveFilterSet
from governance.objectives.forms import MetricForm, ObjectiveForm
from governance.objectives.results import period_results
from improvement.pages import form_status, history_page, list_page


def open_objective(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> Objective:
    return open_record(request, selectors.objective_queryset(user=request.user), ms_id, pk, action)


def open_metric(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> Metric:
    return open_record(request, selectors.metric_queryset(user=request.user), ms_id, pk, action)


# --- objectives ------------------------------------------------------------------------------


@login_required
@require_GET
def objective_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filterset = ObjectiveFilterSet(
        request.GET, selectors.objective_list(user=request.user, management_system=ms), request=request,
        management_system=ms,
    )  # fmt: skip
    return list_page(
        request,
        "governance/objectives/objective_list.html",
        filterset,
        annotate=selectors.attach_standing,
        can_create=access.can(request.user, Action.CREATE, ms),
    )


def objective_context(request: HttpRequest, objective: Objective, **extra: Any) -> dict[str, Any]:
    """What the objective's page shows: plan, metric, chart, results with corrections, flags, raised NCs."""
    ms = objective.management_system
    standing = selectors.standing_of(objective)
    can_create = access.can(request.user, Action.CREATE, ms)
    raisable = not objective.is_retired and can_create
    results = list(reversed(standing.results))
    for result in results:
        result.nonconformity = standing.nonconformity_of(result)
        result.can_raise = raisable and result.missed and result.nonconformity is None
    return {
        "ms": ms,
        "objective": objective,
        "metric": objective.metric,
        "standing": standing,
        "results": results,
        "chart": chart(objective.metric, standing.results, threshold=objective.threshold),
        "threshold_text": format_value(objective.threshold),
        "can_edit": access.can(request.user, Action.EDIT, objective) and not objective.is_retired,
        "can_withdraw": access.can(request.user, Action.DELETE, objective) and not objective.is_retired,
        "can_record": can_create and not objective.metric.is_retired,
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def objective_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    objective = open_objective(request, ms_id, pk)
    return render(request, "governance/objectives/objective_detail.html", objective_context(request, objective))


@login_required
@require_GET
def objective_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    objective = open_objective(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request, "governance/objectives/objective_detail.html", objective, selectors.history_of(objective),
        objective_context,
    )  # fmt: skip


def _form_page(
    request: HttpRequest,
    ms: ManagementSystem,
    record: Any,
    *,
    form_class: type,
    create: Callable[..., Any],
    update: Callable[..., Any],
    template: str,
    detail: str,
    noun: str,
) -> HttpResponse:
    initial = {"version": record.version} if record else {}
    form = form_class(
        request.POST or None, instance=copy.copy(record) if record else None, initial=initial, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if record is None:
            call = lambda: create(management_system=ms, user=request.user, reason=form.reason(), **fields)  # noqa: E731
        else:
            call = lambda: update(  # noqa: E731
                record, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(), **fields
            )
        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect(detail, ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "record": record, "conflict": conflict, "noun": noun}
    return render(request, template, context, status=form_status(conflict, bool(form.errors)))


def _objective_form(request: HttpRequest, ms: ManagementSystem, objective: Objective | None) -> HttpResponse:
    return _form_page(
        request, ms, objective, form_class=ObjectiveForm, create=services.objective_create,
        update=services.objective_update, template="governance/objectives/objective_form.html",
        detail="governance:objective_detail", noun="objective",
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def objective_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _objective_form(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    objective = open_objective(request, ms_id, pk, Action.EDIT)
    if objective.is_retired:
        messages.info(request, f"{objective.reference} was withdrawn: it no longer changes.")
        return redirect("governance:objective_detail", ms_id=objective.management_system_id, pk=objective.pk)
    return _objective_form(request, objective.management_system, objective)


def _retire_page(request: HttpRequest, record: Any, retire: Callable[..., Any], detail_url: str) -> HttpResponse:
    form = RetireForm(request.POST or None, initial={"version": record.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form, lambda: retire(record, user=request.user, expected_version=data["version"], reason=data["reason"])
        )
        if done is not None:
            messages.success(request, f"{record.reference} was {record.retired_label.lower()}. It stays readable.")
            return redirect(detail_url)
    context = {
        "ms": record.management_system, "obj": record, "references": [],
        "retire_form": None if record.is_retired else form, "delete_form": None, "conflict": conflict,
        "cancel_url": detail_url,
    }  # fmt: skip
    return render(request, "aims/confirm_remove.html", context, status=form_status(conflict, bool(form.errors)))


@login_required
@require_http_methods(["GET", "POST"])
def objective_withdraw(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    objective = open_objective(request, ms_id, pk, Action.DELETE)
    detail = reverse("governance:objective_detail", args=[objective.management_system_id, objective.pk])
    return _retire_page(request, objective, services.objective_withdraw, detail)


@login_required
@require_POST
def objective_raise_nc(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Raise a nonconformity from a missed period of the objective (one step), then show it."""
    objective = open_objective(request, ms_id, pk)
    access.require(request.user, Action.CREATE, objective.management_system)
    measurement = Measurement.objects.filter(
        metric_id=objective.metric_id, pk=_int(request.POST.get("measurement"))
    ).first()
    detail = reverse("governance:objective_detail", args=[objective.management_system_id, objective.pk])
    if measurement is None:
        messages.error(request, "Choose a measurement of this objective's metric.")
        return redirect(detail)
    try:
        link = services.objective_raise_nonconformity(objective, user=request.user, measurement=measurement)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect(detail)
    messages.success(request, f"{link.nonconformity.reference} was raised from {objective.reference}'s missed target.")
    return redirect("improvement:nc_detail", ms_id=objective.management_system_id, pk=link.nonconformity_id)


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


# --- metrics ---------------------------------------------------------------------------------


@login_required
@require_GET
def metric_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filterset = MetricFilterSet(
        request.GET, selectors.metric_list(user=request.user, management_system=ms), request=request,
        management_system=ms,
    )  # fmt: skip
    return list_page(
        request,
        "governance/objectives/metric_list.html",
        filterset,
        annotate=_with_results,
        can_create=access.can(request.user, Action.CREATE, ms),
    )


def _with_results(metrics: list[Metric]) -> list[Metric]:
    for metric in metrics:
        metric.results = period_results(metric, metric.measurements.all())
        metric.latest = metric.results[-1] if metric.results else None
    return metrics


def metric_context(request: HttpRequest, metric: Metric, **extra: Any) -> dict[str, Any]:
    ms = metric.management_system
    results = period_results(metric, metric.measurements.all())
    return {
        "ms": ms,
        "metric": metric,
        "results": list(reversed(results)),
        "chart": chart(metric, results),
        "can_edit": access.can(request.user, Action.EDIT, metric) and not metric.is_retired,
        "can_retire": access.can(request.user, Action.DELETE, metric) and not metric.is_retired,
        "can_record": access.can(request.user, Action.CREATE, ms) and not metric.is_retired,
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def metric_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    metric = open_metric(request, ms_id, pk)
    return render(request, "governance/objectives/metric_detail.html", metric_context(request, metric))


@login_required
@require_GET
def metric_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    metric = open_metric(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request, "governance/objectives/metric_detail.html", metric, selectors.history_of(metric), metric_context
    )


def _metric_form(request: HttpRequest, ms: ManagementSystem, metric: Metric | None) -> HttpResponse:
    return _form_page(
        request, ms, metric, form_class=MetricForm, create=services.metric_create, update=services.metric_update,
        template="governance/objectives/metric_form.html", detail="governance:metric_detail", noun="metric",
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def metric_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _metric_form(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def metric_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    metric = open_metric(request, ms_id, pk, Action.EDIT)
    if metric.is_retired:
        messages.info(request, f"{metric.reference} was retired: it no longer changes.")
        return redirect("governance:metric_detail", ms_id=metric.management_system_id, pk=metric.pk)
    return _metric_form(request, metric.management_system, metric)


@login_required
@require_http_methods(["GET", "POST"])
def metric_retire(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    metric = open_metric(request, ms_id, pk, Action.DELETE)
    detail = reverse("governance:metric_detail", args=[metric.management_system_id, metric.pk])
    return _retire_page(request, metric, services.metric_retire, detail)
