"""HTML pages of corrective actions (their own register, CA-001) and of effectiveness reviews."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.pages import open_management_system, open_record, save_or_conflict
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity
from improvement.nonconformities import selectors, services
from improvement.nonconformities.filters import CorrectiveActionFilterSet
from improvement.nonconformities.forms import CorrectiveActionForm, ReviewPerformForm, ReviewPlanForm
from improvement.nonconformities.views import open_nc
from improvement.pages import form_status, history_page, list_page

TEMPLATES = "improvement/nonconformities"


def open_action(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> CorrectiveAction:
    return open_record(request, selectors.action_queryset(user=request.user), ms_id, pk, action)


@login_required
@require_GET
def ca_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    actions = selectors.action_list(user=request.user, management_system=ms)
    filterset = CorrectiveActionFilterSet(request.GET, actions, request=request, management_system=ms)
    return list_page(request, f"{TEMPLATES}/ca_list.html", filterset)


def _ca_context(request: HttpRequest, action: CorrectiveAction, **extra: Any) -> dict[str, Any]:
    nc = action.nonconformity
    return {
        "ms": action.management_system,
        "action": action,
        "nc": nc,
        "can_edit": access.can(request.user, Action.EDIT, action)
        and nc.state in services.ACTIONABLE
        and action.iteration == nc.iteration
        and not nc.is_retired,
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def ca_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    action = open_action(request, ms_id, pk)
    return render(request, f"{TEMPLATES}/ca_detail.html", _ca_context(request, action))


@login_required
@require_GET
def ca_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    action = open_action(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(request, f"{TEMPLATES}/ca_detail.html", action, selectors.history_of(action), _ca_context)


def _ca_form_page(request: HttpRequest, nc: Nonconformity, action: CorrectiveAction | None) -> HttpResponse:
    ms = nc.management_system
    form = CorrectiveActionForm(
        request.POST or None,
        instance=copy.copy(action) if action else None,
        initial={"version": action.version} if action else {},
        management_system=ms,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if action is None:
            call = lambda: services.corrective_action_create(  # noqa: E731
                nc, user=request.user, reason=form.reason(), **fields
            )
        else:
            call = lambda: services.corrective_action_update(  # noqa: E731
                action, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(), **fields
            )
        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect("improvement:nc_detail", ms_id=ms.pk, pk=nc.pk)
    context = {"ms": ms, "nc": nc, "action": action, "form": form, "conflict": conflict}
    status = form_status(conflict, bool(form.errors))
    return render(request, f"{TEMPLATES}/ca_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ca_create(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    nc = open_nc(request, ms_id, pk)
    access.require(request.user, Action.CREATE, nc.management_system)
    return _ca_form_page(request, nc, None)


@login_required
@require_http_methods(["GET", "POST"])
def ca_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    action = open_action(request, ms_id, pk, Action.EDIT)
    return _ca_form_page(request, action.nonconformity, action)


# --- effectiveness reviews ------------------------------------------------------------------------


def _review(request: HttpRequest, nc: Nonconformity, review_id: Any) -> EffectivenessReview:
    review = selectors.review_in(nc, review_id)
    if review is None:
        raise Http404("No such effectiveness review.")
    return review


def _plan_page(request: HttpRequest, nc: Nonconformity, review: EffectivenessReview | None) -> HttpResponse:
    ms = nc.management_system
    initial = {"method": review.method, "planned_on": review.planned_on, "reviewer": review.reviewer} if review else {}
    form = ReviewPlanForm(request.POST or None, initial=initial, management_system=ms)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if review is None:
            call = lambda: services.review_plan(nc, user=request.user, **data)  # noqa: E731
        else:
            call = lambda: services.review_replan(review, user=request.user, **data)  # noqa: E731
        saved, _conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(
                request, f"The effectiveness review of {nc.reference} is planned for {saved.planned_on:%d %b %Y}."
            )
            return redirect("improvement:nc_detail", ms_id=ms.pk, pk=nc.pk)
    context = {"ms": ms, "nc": nc, "review": review, "form": form, "mode": "plan"}
    return render(request, f"{TEMPLATES}/review_form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def review_plan(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _plan_page(request, open_nc(request, ms_id, pk, Action.EDIT), None)


@login_required
@require_http_methods(["GET", "POST"])
def review_replan(request: HttpRequest, ms_id: int, pk: int, review_id: int) -> HttpResponse:
    nc = open_nc(request, ms_id, pk, Action.EDIT)
    return _plan_page(request, nc, _review(request, nc, review_id))


@login_required
@require_http_methods(["GET", "POST"])
def review_perform(request: HttpRequest, ms_id: int, pk: int, review_id: int) -> HttpResponse:
    """Record a review's result: effective verifies the nonconformity, not effective sends it back to analysis."""
    nc = open_nc(request, ms_id, pk)
    review = _review(request, nc, review_id)
    if not services.may_perform_review(request.user, review):
        raise PermissionDenied("Whoever may edit the nonconformity, or its planned reviewer, records the review.")
    form = ReviewPerformForm(request.POST or None, initial={"version": nc.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        moved, conflict = save_or_conflict(
            form,
            lambda: services.review_perform(
                review,
                user=request.user,
                result=data["result"],
                performed_on=data["performed_on"],
                notes=data["notes"],
                expected_version=data["version"],
            ),
        )
        if moved is not None:
            messages.success(request, f"Review recorded: {moved.reference} is now {moved.get_state_display().lower()}.")
            return redirect("improvement:nc_detail", ms_id=nc.management_system_id, pk=nc.pk)
    context = {"ms": nc.management_system, "nc": nc, "review": review, "form": form, "mode": "perform",
               "conflict": conflict}  # fmt: skip
    status = form_status(conflict, bool(form.errors))
    return render(request, f"{TEMPLATES}/review_form.html", context, status=status)
