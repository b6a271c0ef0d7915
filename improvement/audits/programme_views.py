"""HTML pages of the internal audit programme: list, detail with coverage and History, form with planned items,
approval, activation and closing."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.history import paged_rows
from aims.pages import (
    confirm_remove,
    open_management_system,
    open_record,
    removal_verb,
    save_or_conflict,
    sign_off_page,
    signoff_panel,
)
from improvement.audits import rules, selectors, services, signoffs
from improvement.audits.filters import ProgrammeFilterSet
from improvement.audits.forms import ProgrammeForm, TransitionForm, formset_items, item_formset
from improvement.models import AuditProgramme
from improvement.pages import form_status, history_page, list_page

TEMPLATE = "improvement/audits/programme_detail.html"


def _programme(request: HttpRequest, ms_id: int, pk: int, action: Action = Action.VIEW) -> AuditProgramme:
    return open_record(request, selectors.programme_queryset(user=request.user), ms_id, pk, action)


@login_required
@require_GET
def programme_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filterset = ProgrammeFilterSet(
        request.GET, selectors.programme_list(user=request.user, management_system=ms), management_system=ms
    )
    return list_page(
        request,
        "improvement/audits/programme_list.html",
        filterset,
        annotate=lambda rows: signoffs.annotate_signed(rows, signoffs.PROGRAMME_APPROVAL),
        can_create=access.can(request.user, Action.CREATE, ms),
    )


def _transition_form(request: HttpRequest, programme: AuditProgramme, name: str, bound: Any = None) -> Any:
    if bound is not None and bound[0] == name:
        return bound[1]
    return TransitionForm(initial={"version": programme.version}, prefix=name)


def _context(
    request: HttpRequest,
    programme: AuditProgramme,
    *,
    form: Any = None,
    conflict: str | None = None,
    bound: tuple[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    signoffs.annotate_signed([programme], signoffs.PROGRAMME_APPROVAL)
    action_url = reverse("improvement:programme_approve", args=[programme.management_system_id, programme.pk])
    may_run = rules.may_run_programme(request.user, programme) and not programme.is_retired
    status = AuditProgramme.Status
    coverage = selectors.coverage_of(programme)
    return {
        "ms": programme.management_system,
        "programme": programme,
        "coverage": coverage,
        "audits": selectors.programme_audits(programme),
        "can_edit": access.can(request.user, Action.EDIT, programme) and not programme.is_retired,
        "can_plan_audit": access.can(request.user, Action.CREATE, programme.management_system)
        and programme.status != status.CLOSED
        and not programme.is_retired,
        "remove_verb": removal_verb(programme) if access.can(request.user, Action.DELETE, programme) else "",
        "activate_form": _transition_form(request, programme, "activate", bound)
        if may_run and programme.status == status.APPROVED
        else None,
        "close_form": _transition_form(request, programme, "close", bound)
        if may_run and programme.status == status.ACTIVE
        else None,
        "signoff": signoff_panel(
            request, signoffs.PROGRAMME_APPROVAL, programme, action_url=action_url, form=form, conflict=conflict
        ),
        "transition_conflict": extra.pop("transition_conflict", None),
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def programme_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    programme = _programme(request, ms_id, pk)
    return render(request, TEMPLATE, _context(request, programme))


@login_required
@require_GET
def programme_coverage(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    programme = _programme(request, ms_id, pk)
    return render(request, TEMPLATE, _context(request, programme, tab="coverage"))


@login_required
@require_GET
def programme_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    programme = _programme(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request,
        TEMPLATE,
        programme,
        selectors.history_of(programme),
        _context,
        item_history=paged_rows(request, selectors.item_history(programme), param="item_history_page"),
    )


@login_required
@require_http_methods(["POST"])
def programme_approve(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    programme = _programme(request, ms_id, pk)
    return sign_off_page(
        request,
        signoffs.PROGRAMME_APPROVAL,
        programme,
        done_url=reverse("improvement:programme_detail", args=[programme.management_system_id, pk]),
        template=TEMPLATE,
        context=lambda form, conflict: _context(request, programme, form=form, conflict=conflict),
        sign=services.programme_approve,
    )


def _transition(request: HttpRequest, ms_id: int, pk: int, name: str, service: Any, done: str) -> HttpResponse:
    programme = _programme(request, ms_id, pk)
    if not rules.may_run_programme(request.user, programme):
        raise PermissionDenied("Owners, compliance officers and the programme's owner move a programme along.")
    form = TransitionForm(request.POST, prefix=name)
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        done_programme, conflict = save_or_conflict(
            form,
            lambda: service(programme, user=request.user, expected_version=data["version"], reason=data["reason"]),
        )
        if done_programme is not None:
            messages.success(request, f"{programme.reference} {done}.")
            return redirect("improvement:programme_detail", ms_id=programme.management_system_id, pk=programme.pk)
    context = _context(request, programme, bound=(name, form), transition_conflict=conflict)
    return render(request, TEMPLATE, context, status=409 if conflict else 400)


@login_required
@require_http_methods(["POST"])
def programme_activate(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _transition(request, ms_id, pk, "activate", services.programme_activate, "is active")


@login_required
@require_http_methods(["POST"])
def programme_close(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _transition(request, ms_id, pk, "close", services.programme_close, "is closed")


@transaction.atomic
def _save(request: HttpRequest, ms: Any, form: ProgrammeForm, formset: Any, programme: AuditProgramme | None) -> Any:
    fields, items = form.register_fields(), formset_items(formset)
    if programme is None:
        return services.programme_create(
            management_system=ms, user=request.user, reason=form.reason(), items=items, **fields
        )
    return services.programme_update(
        programme,
        user=request.user,
        expected_version=form.cleaned_data["version"],
        reason=form.reason(),
        items=items,
        **fields,
    )


def _form_page(request: HttpRequest, ms: Any, programme: AuditProgramme | None) -> HttpResponse:
    if programme is not None:
        signoffs.annotate_signed([programme], signoffs.PROGRAMME_APPROVAL)
    initial = {"version": programme.version} if programme else {}
    instance = copy.copy(programme) if programme else None
    form = ProgrammeForm(request.POST or None, instance=instance, initial=initial, management_system=ms)
    formset = item_formset(request.POST or None, ms, programme)
    conflict = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved, conflict = save_or_conflict(form, lambda: _save(request, ms, form, formset, programme))
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect("improvement:programme_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "formset": formset, "programme": programme, "conflict": conflict}
    status = form_status(conflict, request.method == "POST")
    return render(request, "improvement/audits/programme_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    programme = _programme(request, ms_id, pk, Action.EDIT)
    return _form_page(request, programme.management_system, programme)


@login_required
@require_http_methods(["GET", "POST"])
def programme_delete(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    programme = _programme(request, ms_id, pk, Action.DELETE)
    return confirm_remove(
        request,
        programme,
        delete=services.programme_delete,
        retire=services.programme_retire,
        cancel_url=reverse("improvement:programme_detail", args=[ms_id, programme.pk]),
        done_url=reverse("improvement:programme_list", args=[ms_id]),
    )
