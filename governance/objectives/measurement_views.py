"""Pages that record a metric's measurement and correct one (append-only: a correction is a new row)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from aims import access
from aims.access import Action
from aims.pages import open_record, save_or_conflict
from governance.models.objectives import format_value, period_label
from governance.objectives import selectors, services
from governance.objectives.forms import CorrectionForm, MeasurementForm
from improvement.pages import form_status


def _back(request: HttpRequest, metric: Any) -> str:
    """Back to the objective the user came from (``?objective=<id>``), else to the metric."""
    objective = metric.objectives.filter(pk=_int(request.GET.get("objective") or request.POST.get("objective"))).first()
    if objective is not None:
        return reverse("governance:objective_detail", args=[metric.management_system_id, objective.pk])
    return reverse("governance:metric_detail", args=[metric.management_system_id, metric.pk])


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@login_required
@require_http_methods(["GET", "POST"])
def measurement_record(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Record the value of one period of a metric."""
    metric = open_record(request, selectors.metric_queryset(user=request.user), ms_id, pk)
    access.require(request.user, Action.CREATE, metric.management_system)
    form = MeasurementForm(request.POST or None, management_system=metric.management_system)
    if request.method == "POST" and form.is_valid():
        saved, _ = save_or_conflict(
            form, lambda: services.measurement_record(metric, user=request.user, **form.cleaned_data)
        )
        if saved is not None:
            label = period_label(saved.period, metric.cadence)
            messages.success(request, f"{metric.reference}: {label} recorded as {format_value(saved.value)}.")
            return redirect(_back(request, metric))
    context = {"ms": metric.management_system, "metric": metric, "form": form, "back": _back(request, metric),
               "objective_id": request.GET.get("objective", "")}  # fmt: skip
    return render(
        request, "governance/objectives/measurement_form.html", context, status=form_status(None, bool(form.errors))
    )


@login_required
@require_http_methods(["GET", "POST"])
def measurement_correct(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Correct a period's value: a new row naming the one it corrects, with the reason."""
    measurement = open_record(request, selectors.measurement_queryset(user=request.user), ms_id, pk)
    metric = measurement.metric
    access.require(request.user, Action.CREATE, metric.management_system)
    if measurement.corrections.all():
        messages.info(request, "This value was corrected already: correct the latest one.")
        return redirect(_back(request, metric))
    form = CorrectionForm(request.POST or None, management_system=metric.management_system,
                          initial={"value": measurement.value})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        saved, _ = save_or_conflict(
            form, lambda: services.measurement_correct(measurement, user=request.user, **form.cleaned_data)
        )
        if saved is not None:
            label = period_label(saved.period, metric.cadence)
            messages.success(request, f"{metric.reference}: {label} corrected to {format_value(saved.value)}.")
            return redirect(_back(request, metric))
    context = {"ms": metric.management_system, "metric": metric, "measurement": measurement, "form": form,
               "period": period_label(measurement.period, metric.cadence), "back": _back(request, metric),
               "objective_id": request.GET.get("objective", "")}  # fmt: skip
    return render(
        request, "governance/objectives/correction_form.html", context, status=form_status(None, bool(form.errors))
    )
