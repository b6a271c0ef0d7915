"""HTML pages of management reviews (9.3): the list, planning, the review with its inputs (live or frozen),
notes, decisions, actions, the chair's signature of the minutes, and its History tab.

Every member reads; officers, owners and the chair run a review (``services.may_run``); only the
chair signs its minutes. Outsiders get 404 (``aims.pages``).
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access
from aims.access import Action
from aims.history import paged_history
from aims.pages import open_management_system, open_record, save_or_conflict, sign_off_page, signoff_panel
from improvement.pages import form_status, list_page
from reviews.meetings import selectors, services
from reviews.meetings.forms import (
    ActionForm,
    ActionStatusForm,
    DecisionForm,
    HeldForm,
    InputForm,
    ReviewForm,
    VersionForm,
)
from reviews.meetings.signoffs import MINUTES, top_management_ids
from reviews.models import ManagementReview, ReviewAction, ReviewDecision, ReviewInput

PAGE = "reviews/meetings/review_detail.html"


def open_review(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> ManagementReview:
    return open_record(request, selectors.review_queryset(user=request.user), ms_id, pk, action)


def open_review_to_run(request: HttpRequest, ms_id: Any, pk: Any) -> ManagementReview:
    """The review, if the user runs it (editors and the chair): 404 or 403 otherwise."""
    review = open_review(request, ms_id, pk)
    services.require_may_run(request.user, review)
    return review


def detail_url(review: ManagementReview, anchor: str = "") -> str:
    url = reverse("reviews:review_detail", args=[review.management_system_id, review.pk])
    return f"{url}#{anchor}" if anchor else url


@login_required
@require_GET
def review_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filterset = selectors.ReviewFilterSet(
        request.GET, selectors.review_list(user=request.user, management_system=ms), management_system=ms
    )
    return list_page(
        request, "reviews/meetings/review_list.html", filterset, can_create=access.can(request.user, Action.CREATE, ms)
    )


def review_context(
    request: HttpRequest, review: ManagementReview, *, tab: str = "details", form: Any = None,
    conflict: str | None = None, **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """What the review's page shows: its people, inputs (frozen or live), decisions, actions, the minutes' panel."""
    ms = review.management_system
    runs = services.may_run(request.user, review)
    open_ = runs and not review.is_signed
    attendees = list(review.attendees.all())
    top = top_management_ids(ms.pk, [p.pk for p in attendees] + [review.chair_id], review.held_on)
    action_url = reverse("reviews:review_sign", args=[ms.pk, review.pk])
    inputs = selectors.inputs_of(review) if tab == "details" else []
    for item in inputs:
        item.form = (
            InputForm(instance=item.row, initial={"version": item.row.version}, prefix=f"i{item.row.pk}")
            if open_
            else None
        )
    return {
        "ms": ms,
        "review": review,
        "attendees": [(p, p.pk in top) for p in attendees],
        "chair_is_top": review.chair_id in top,
        "inputs": inputs,
        "decisions": list(review.decisions.all()),
        "actions": list(review.actions.all()),
        "runs": runs,
        "open": open_,
        "freeze_form": VersionForm(initial={"version": review.version}) if open_ and not review.is_frozen else None,
        "held_form": (
            HeldForm(initial={"version": review.version, "held_on": review.held_on})
            if open_ and review.is_frozen and review.status == ManagementReview.Status.INPUTS_FROZEN
            else None
        ),  # fmt: skip
        "decision_form": extra.pop("decision_form", None) or (DecisionForm() if open_ else None),
        "status_form": ActionStatusForm() if runs else None,
        "signoff": signoff_panel(request, MINUTES, review, action_url=action_url, form=form, conflict=conflict),
        "tab": tab,
        **extra,
    }


@login_required
@require_GET
def review_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    review = open_review(request, ms_id, pk)
    return render(request, PAGE, review_context(request, review))


@login_required
@require_GET
def review_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    review = open_review(request, ms_id, pk, Action.VIEW_HISTORY)
    children = selectors.children_history(review)
    context = review_context(
        request, review, tab="history",
        versions=paged_history(request, selectors.history_of(review), ManagementReview),
        input_versions=paged_history(request, children["inputs"], ReviewInput, param="input_history_page"),
        decision_versions=paged_history(request, children["decisions"], ReviewDecision, param="decision_history_page"),
        action_versions=paged_history(request, children["actions"], ReviewAction, param="action_history_page"),
    )  # fmt: skip
    return render(request, PAGE, context)


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    form = ReviewForm(request.POST or None, management_system=ms)
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        saved, conflict = save_or_conflict(
            form,
            lambda: services.review_create(management_system=ms, user=request.user, reason=form.reason(), **fields),
        )
        if saved is not None:
            messages.success(request, f"{saved.reference} was planned for {saved.planned_on:%d %b %Y}.")
            return redirect(detail_url(saved))
    context = {"ms": ms, "review": None, "form": form, "conflict": conflict}
    return render(
        request, "reviews/meetings/review_form.html", context, status=form_status(conflict, bool(form.errors))
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    review = open_review_to_run(request, ms_id, pk)
    ms = review.management_system
    form = ReviewForm(
        request.POST or None, instance=copy.copy(review), initial={"version": review.version}, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        version = form.cleaned_data["version"]
        saved, conflict = save_or_conflict(
            form,
            lambda: services.review_update(
                review, user=request.user, expected_version=version, reason=form.reason(), **fields
            ),
        )
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved (version {saved.version}).")
            return redirect(detail_url(saved))
    context = {"ms": ms, "review": review, "form": form, "conflict": conflict}
    return render(
        request, "reviews/meetings/review_form.html", context, status=form_status(conflict, bool(form.errors))
    )


def _post_and_back(
    request: HttpRequest, review: ManagementReview, form: Any, call: Any, done: str, anchor: str = ""
) -> HttpResponse:
    """Run a small POST of the review page: its message, then back to the review."""
    if not form.is_valid():
        messages.error(request, "That was not saved: " + " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(detail_url(review, anchor))
    saved, conflict = save_or_conflict(form, lambda: call(form.cleaned_data))
    if conflict:
        messages.error(request, conflict)
    elif saved is None:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs) or "That was not saved.")
    else:
        messages.success(request, done)
    return redirect(detail_url(review, anchor))


@login_required
@require_POST
def review_freeze(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Freeze the inputs: what the registers say now is kept, with its digest, for the review."""
    review = open_review_to_run(request, ms_id, pk)

    def freeze(data: dict) -> Any:
        return services.review_freeze_inputs(review, user=request.user, expected_version=data["version"])

    return _post_and_back(request, review, VersionForm(request.POST), freeze, "The inputs were frozen.", "inputs")


@login_required
@require_POST
def review_held(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    review = open_review_to_run(request, ms_id, pk)

    def held(data: dict) -> Any:
        return services.review_mark_held(
            review, user=request.user, expected_version=data["version"], held_on=data["held_on"]
        )

    return _post_and_back(request, review, HeldForm(request.POST), held, "The review was recorded as held.")


@login_required
@require_POST
def review_sign(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """The chair signs the minutes with the one sign-off form (second factor, four-eyes rule)."""
    review = open_review(request, ms_id, pk)
    return sign_off_page(
        request, MINUTES, review, done_url=detail_url(review), template=PAGE,
        sign=lambda subject, **signing: services.review_sign_minutes(subject, **signing),
        context=lambda form, conflict: review_context(
            request, open_review(request, ms_id, pk), form=form, conflict=conflict
        ),
    )  # fmt: skip


def _child(rows: Any, child_id: int) -> Any:
    found = next((row for row in rows if row.pk == child_id), None)
    if found is None:
        raise Http404("Not part of this review.")
    return found


@login_required
@require_POST
def input_update(request: HttpRequest, ms_id: int, pk: int, input_id: int) -> HttpResponse:
    review = open_review_to_run(request, ms_id, pk)
    row = _child(review.inputs.all(), input_id)
    form = InputForm(request.POST, instance=copy.copy(row), prefix=f"i{row.pk}")

    def save(data: dict) -> Any:
        return services.input_update(
            row, user=request.user, expected_version=data["version"], notes=data["notes"], discussed=data["discussed"]
        )

    return _post_and_back(request, review, form, save, "The input's discussion was saved.", f"input-{row.key}")


@login_required
@require_POST
def decision_add(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    review = open_review_to_run(request, ms_id, pk)
    form = DecisionForm(request.POST)

    def add(data: dict) -> Any:
        return services.decision_add(review, user=request.user, decision_type=data["decision_type"], text=data["text"])

    return _post_and_back(request, review, form, add, "The decision was recorded.", "decisions")


@login_required
@require_POST
def decision_remove(request: HttpRequest, ms_id: int, pk: int, decision_id: int) -> HttpResponse:
    review = open_review_to_run(request, ms_id, pk)
    decision = _child(review.decisions.all(), decision_id)
    form = VersionForm(request.POST)

    def remove(data: dict) -> Any:
        services.decision_remove(decision, user=request.user, expected_version=data["version"])
        return decision

    return _post_and_back(request, review, form, remove, "The decision was removed.", "decisions")


def _action_page(request: HttpRequest, review: ManagementReview, action: ReviewAction | None) -> HttpResponse:
    ms = review.management_system
    initial = {"version": action.version} if action else {}
    form = ActionForm(request.POST or None, instance=copy.copy(action), initial=initial, management_system=ms)
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if action is None:
            call = lambda: services.action_add(review, user=request.user, reason=form.reason(), **fields)  # noqa: E731
        else:
            version = form.cleaned_data["version"]
            call = lambda: services.action_update(  # noqa: E731
                action, user=request.user, expected_version=version, reason=form.reason(), **fields
            )
        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"Action {saved.reference} was saved.")
            return redirect(detail_url(review, "actions"))
    context = {"ms": ms, "review": review, "action": action, "form": form, "conflict": conflict}
    return render(
        request, "reviews/meetings/action_form.html", context, status=form_status(conflict, bool(form.errors))
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _action_page(request, open_review_to_run(request, ms_id, pk), None)


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, ms_id: int, pk: int, action_id: int) -> HttpResponse:
    review = open_review_to_run(request, ms_id, pk)
    return _action_page(request, review, _child(review.actions.all(), action_id))


@login_required
@require_POST
def action_status(request: HttpRequest, ms_id: int, pk: int, action_id: int) -> HttpResponse:
    review = open_review_to_run(request, ms_id, pk)
    action = _child(review.actions.all(), action_id)

    def move(data: dict) -> Any:
        return services.action_set_status(
            action, user=request.user, expected_version=data["version"], status=data["status"]
        )

    return _post_and_back(
        request, review, ActionStatusForm(request.POST), move, f"{action.reference} was updated.", "actions"
    )
