"""HTML pages of the nonconformity register: list with the trend, detail with History, form, transitions,
withdrawal and the closure sign-off. Corrective actions and effectiveness reviews are in ``action_views``."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access, ledger
from aims.access import Action
from aims.forms import RetireForm
from aims.history import paged_rows
from aims.models import ManagementSystem
from aims.pages import open_management_system, open_record, save_or_conflict, sign_off_from_post, signoff_panel
from improvement.models import CorrectiveAction, Nonconformity
from improvement.nonconformities import selectors, services, trend, workflow
from improvement.nonconformities.filters import NonconformityFilterSet
from improvement.nonconformities.forms import NonconformityForm, TransitionForm
from improvement.nonconformities.signoffs import CLOSURE
from improvement.pages import form_status, history_page, list_page

LIFECYCLE = [value for value in Nonconformity.State.values]


def open_nc(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> Nonconformity:
    """The nonconformity of the page, with what its page shows, or 404/403."""
    return open_record(request, selectors.nc_queryset(user=request.user), ms_id, pk, action)


@login_required
@require_GET
def nc_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filterset = NonconformityFilterSet(
        request.GET, selectors.nc_list(user=request.user, management_system=ms), request=request, management_system=ms
    )
    return list_page(
        request,
        "improvement/nonconformities/nc_list.html",
        filterset,
        can_create=access.can(request.user, Action.CREATE, ms),
        chart=trend.chart(trend.nc_trend(ms)),
    )


def _steps(request: HttpRequest, nc: Nonconformity, bound: TransitionForm | None) -> list[dict[str, Any]]:
    """The next steps the user may ask for, each with its blockers or its form."""
    if not access.can(request.user, Action.EDIT, nc) or nc.is_closed:
        return []
    steps = []
    for step, blockers in workflow.next_steps(nc):
        form = bound if bound is not None and bound.data.get("to") == step.target else None
        form = form or TransitionForm(
            initial={"to": step.target, "version": nc.version}, auto_id=f"id_{step.target}_%s"
        )
        steps.append({"step": step, "blockers": blockers, "form": form})
    return steps


def _unshown_errors(bound: TransitionForm | None, nc: Nonconformity) -> list[str]:
    """The refusal of a step the page offers no form for (a state it cannot go to now)."""
    if bound is None or not bound.errors:
        return []
    offered = {step.target for step, _blockers in workflow.next_steps(nc)}
    if bound.data.get("to") in offered:
        return []
    return [message for messages in bound.errors.values() for message in messages]


def _actions_by_iteration(request: HttpRequest, nc: Nonconformity) -> list[tuple[int, list[CorrectiveAction]]]:
    editable = access.editable_ids(request.user, CorrectiveAction, nc.management_system)
    groups: dict[int, list[CorrectiveAction]] = {}
    for action in nc.actions.all():
        action.can_edit = editable is None or action.pk in editable
        groups.setdefault(action.iteration, []).append(action)
    return sorted(groups.items(), reverse=True)


def nc_context(
    request: HttpRequest,
    nc: Nonconformity,
    *,
    form: Any = None,
    conflict: str | None = None,
    transition: TransitionForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What the detail page shows: the record, its actions and reviews, next steps and the closure panel."""
    ms = nc.management_system
    panel = signoff_panel(
        request, CLOSURE, nc, action_url=reverse("improvement:nc_close", args=[ms.pk, nc.pk]), form=form,
        conflict=conflict,
    )  # fmt: skip
    if nc.is_closed or nc.is_retired:
        panel.blockers = []  # nothing to sign any more: the box shows the closure, not what blocks it
    can_edit = access.can(request.user, Action.EDIT, nc)
    reviews = list(nc.reviews.all())
    for review in reviews:
        review.can_perform = (
            not review.result
            and review.iteration == nc.iteration
            and nc.state == Nonconformity.State.ACTIONS_DONE
            and services.may_perform_review(request.user, review)
        )
    return {
        "ms": ms,
        "nc": nc,
        "finding": getattr(nc, "finding", None),
        "lifecycle": [(value, Nonconformity.State(value).label) for value in LIFECYCLE],
        "state_index": LIFECYCLE.index(nc.state),
        "can_edit": can_edit and not nc.is_closed and not nc.is_retired,
        "can_withdraw": access.can(request.user, Action.DELETE, nc) and not nc.is_closed and not nc.is_retired,
        "can_add_action": access.can(request.user, Action.CREATE, ms)
        and nc.state in services.ACTIONABLE
        and not nc.is_retired,
        "actions_editable": nc.state in services.ACTIONABLE and not nc.is_retired,
        "can_plan_review": can_edit and nc.state in services.REVIEWABLE and not nc.is_retired,
        "steps": _steps(request, nc, transition),
        "transition_refusal": _unshown_errors(transition, nc),
        "action_groups": _actions_by_iteration(request, nc),
        "reviews": reviews,
        "signoff": panel,
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def nc_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    nc = open_nc(request, ms_id, pk)
    return render(request, "improvement/nonconformities/nc_detail.html", nc_context(request, nc))


@login_required
@require_GET
def nc_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    nc = open_nc(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request,
        "improvement/nonconformities/nc_detail.html",
        nc,
        selectors.history_of(nc),
        nc_context,
        action_history=paged_rows(request, selectors.action_history(nc), param="action_history_page"),
        review_history=paged_rows(request, selectors.review_history(nc), param="review_history_page"),
    )


@login_required
@require_http_methods(["POST"])
def nc_transition(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    nc = open_nc(request, ms_id, pk, Action.EDIT)
    form = TransitionForm(request.POST, auto_id=f"id_{request.POST.get('to', '')}_%s")
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        moved, conflict = save_or_conflict(
            form,
            lambda: services.nonconformity_transition(
                nc, user=request.user, to=data["to"], reason=data["reason"], expected_version=data["version"]
            ),
        )
        if moved is not None:
            messages.success(request, f"{moved.reference} is now {moved.get_state_display().lower()}.")
            return redirect("improvement:nc_detail", ms_id=nc.management_system_id, pk=nc.pk)
    nc = open_nc(request, ms_id, pk)
    context = nc_context(request, nc, transition=form, transition_conflict=conflict)
    return render(request, "improvement/nonconformities/nc_detail.html", context, status=409 if conflict else 400)


@login_required
@require_http_methods(["POST"])
def nc_close(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """The closure sign-off: signed, the nonconformity is closed in the same transaction."""
    nc = open_nc(request, ms_id, pk)
    done_url = reverse("improvement:nc_detail", args=[nc.management_system_id, nc.pk])
    if nc.is_closed:
        messages.info(request, f"{nc.reference} is already closed.")
        return redirect(done_url)
    with transaction.atomic():
        response, form, conflict = sign_off_from_post(request, CLOSURE, nc, done_url=done_url)
        if response is not None:
            signoff = ledger.sign_offs_of(CLOSURE, nc).first()
            services.nonconformity_record_closure(nc, user=request.user, signoff=signoff)
            return response
    context = nc_context(request, open_nc(request, ms_id, pk), form=form, conflict=conflict)
    return render(request, "improvement/nonconformities/nc_detail.html", context, status=409 if conflict else 400)


def _form_page(request: HttpRequest, ms: ManagementSystem, nc: Nonconformity | None) -> HttpResponse:
    initial = {"version": nc.version} if nc else {"ai_systems": request.GET.getlist("system")}
    form = NonconformityForm(
        request.POST or None, instance=copy.copy(nc) if nc else None, initial=initial, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if nc is None:
            call = lambda: services.nonconformity_create(  # noqa: E731
                management_system=ms, user=request.user, reason=form.reason(), **fields
            )
        else:
            call = lambda: services.nonconformity_update(  # noqa: E731
                nc, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(), **fields
            )
        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect("improvement:nc_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "nc": nc, "conflict": conflict}
    status = form_status(conflict, bool(form.errors))
    return render(request, "improvement/nonconformities/nc_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def nc_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def nc_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    nc = open_nc(request, ms_id, pk, Action.EDIT)
    if nc.is_closed or nc.is_retired:
        messages.info(request, f"{nc.reference} is {'closed' if nc.is_closed else 'withdrawn'}: it no longer changes.")
        return redirect("improvement:nc_detail", ms_id=nc.management_system_id, pk=nc.pk)
    return _form_page(request, nc.management_system, nc)


@login_required
@require_http_methods(["GET", "POST"])
def nc_withdraw(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Withdraw a nonconformity with a reason: documented information (10.2), it is never deleted."""
    nc = open_nc(request, ms_id, pk, Action.DELETE)
    detail = reverse("improvement:nc_detail", args=[nc.management_system_id, nc.pk])
    form = RetireForm(request.POST or None, initial={"version": nc.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: services.nonconformity_withdraw(
                nc, user=request.user, expected_version=data["version"], reason=data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"{nc.reference} was withdrawn. It stays readable with its history.")
            return redirect(detail)
    context = {
        "ms": nc.management_system,
        "obj": nc,
        "references": [],
        "retire_form": None if nc.is_retired or nc.is_closed else form,
        "delete_form": None,
        "conflict": conflict,
        "cancel_url": detail,
    }
    status = form_status(conflict, bool(form.errors))
    return render(request, "aims/confirm_remove.html", context, status=status)
