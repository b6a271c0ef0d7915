"""HTML pages of the context family: context issues (4.1), interested parties and the legal and regulatory
register of their requirements (4.2). Officers and owners edit; every member reads; outsiders get 404.

The three registers share one shape (list, detail with History, form, retire with a reason), described
by a ``Register`` each; the pages below are thin functions over it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.forms import RetireForm
from aims.history import paged_history
from aims.models import ManagementSystem
from aims.pages import open_management_system, open_record, save_or_conflict
from governance.context import selectors, services
from governance.context.filters import ContextIssueFilterSet, InterestedPartyFilterSet, RequirementFilterSet
from governance.context.forms import ContextIssueForm, InterestedPartyForm, RequirementForm
from governance.models import ContextIssue, InterestedParty, Requirement
from improvement.pages import form_status, list_page


@dataclass(frozen=True)
class Register:
    """How one register of the family is read, edited and shown."""

    name: str  # the URL names' stem: "context_issue" -> context_issue_detail, ...
    model: type
    queryset: Callable[..., Any]
    form: type
    create: Callable[..., Any]
    update: Callable[..., Any]
    retire: Callable[..., Any]
    detail_template: str
    list_url: str

    def url(self, view: str, obj: Any) -> str:
        return reverse(f"governance:{self.name}_{view}", args=[obj.management_system_id, obj.pk])


ISSUES = Register(
    "context_issue", ContextIssue, selectors.issue_queryset, ContextIssueForm, services.context_issue_create,
    services.context_issue_update, services.context_issue_retire, "governance/context/issue_detail.html",
    "governance:context_issue_list",
)  # fmt: skip
PARTIES = Register(
    "interested_party", InterestedParty, selectors.party_queryset, InterestedPartyForm,
    services.interested_party_create, services.interested_party_update, services.interested_party_retire,
    "governance/context/party_detail.html", "governance:interested_party_list",
)  # fmt: skip
REQUIREMENTS = Register(
    "requirement", Requirement, selectors.requirement_queryset, RequirementForm, services.requirement_create,
    services.requirement_update, services.requirement_retire, "governance/context/requirement_detail.html",
    "governance:legal_register",
)  # fmt: skip


def _open(request: HttpRequest, register: Register, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> Any:
    return open_record(request, register.queryset(user=request.user), ms_id, pk, action)


def _detail_context(request: HttpRequest, register: Register, obj: Any, **extra: Any) -> dict[str, Any]:
    current = not obj.is_retired
    return {
        "ms": obj.management_system,
        "obj": obj,
        "register": register.name,
        "can_edit": current and access.can(request.user, Action.EDIT, obj),
        "can_retire": current and access.can(request.user, Action.DELETE, obj),
        "tab": "details",
        **extra,
    }


def _detail(request: HttpRequest, register: Register, ms_id: Any, pk: Any) -> HttpResponse:
    obj = _open(request, register, ms_id, pk)
    return render(request, register.detail_template, _detail_context(request, register, obj))


def _history(request: HttpRequest, register: Register, ms_id: Any, pk: Any) -> HttpResponse:
    obj = _open(request, register, ms_id, pk, Action.VIEW_HISTORY)
    versions = paged_history(request, selectors.history_of(obj), register.model)
    return render(
        request, register.detail_template, _detail_context(request, register, obj, tab="history", versions=versions)
    )


def _form_page(
    request: HttpRequest, register: Register, ms: ManagementSystem, obj: Any, initial: dict[str, Any] | None = None
) -> HttpResponse:
    initial = {"version": obj.version} if obj else (initial or {})
    form = register.form(
        request.POST or None, instance=copy.copy(obj) if obj else None, initial=initial, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()

        def call() -> Any:
            if obj is None:
                return register.create(management_system=ms, user=request.user, reason=form.reason(), **fields)
            version = form.cleaned_data["version"]
            return register.update(obj, user=request.user, expected_version=version, reason=form.reason(), **fields)

        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect(register.url("detail", saved))
    context = {
        "ms": ms,
        "form": form,
        "obj": obj,
        "conflict": conflict,
        "register": register.name,
        "label": register.model._meta.verbose_name,
        "list_url": reverse(register.list_url, args=[ms.pk]),
        "cancel_url": register.url("detail", obj) if obj else reverse(register.list_url, args=[ms.pk]),
    }
    return render(
        request, "governance/context/record_form.html", context, status=form_status(conflict, bool(form.errors))
    )


def _edit(request: HttpRequest, register: Register, ms_id: Any, pk: Any) -> HttpResponse:
    obj = _open(request, register, ms_id, pk, Action.EDIT)
    if obj.is_retired:
        messages.info(request, f"{obj.reference} is retired: it no longer changes.")
        return redirect(register.url("detail", obj))
    return _form_page(request, register, obj.management_system, obj)


def _retire(request: HttpRequest, register: Register, ms_id: Any, pk: Any) -> HttpResponse:
    """Retire a record with a reason: documented information (7.5), never deleted."""
    obj = _open(request, register, ms_id, pk, Action.DELETE)
    detail = register.url("detail", obj)
    form = RetireForm(request.POST or None, initial={"version": obj.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: register.retire(obj, user=request.user, expected_version=data["version"], reason=data["reason"]),
        )
        if done is not None:
            messages.success(request, f"{obj.reference} was retired. It stays readable with its history.")
            return redirect(detail)
    context = {
        "ms": obj.management_system,
        "obj": obj,
        "references": [],
        "retire_form": None if obj.is_retired else form,
        "delete_form": None,
        "conflict": conflict,
        "cancel_url": detail,
    }
    return render(request, "aims/confirm_remove.html", context, status=form_status(conflict, bool(form.errors)))


# --- context issues (4.1) ------------------------------------------------------------------------


@login_required
@require_GET
def context_issue_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    rows = selectors.issue_list(user=request.user, management_system=ms)
    filterset = ContextIssueFilterSet(request.GET, rows, request=request, management_system=ms)
    can_create = access.can(request.user, Action.CREATE, ms)
    return list_page(request, "governance/context/issue_list.html", filterset, can_create=can_create)


@login_required
@require_GET
def context_issue_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _detail(request, ISSUES, ms_id, pk)


@login_required
@require_GET
def context_issue_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _history(request, ISSUES, ms_id, pk)


@login_required
@require_http_methods(["GET", "POST"])
def context_issue_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, ISSUES, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def context_issue_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _edit(request, ISSUES, ms_id, pk)


@login_required
@require_http_methods(["GET", "POST"])
def context_issue_retire(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _retire(request, ISSUES, ms_id, pk)


# --- interested parties (4.2) --------------------------------------------------------------------


@login_required
@require_GET
def interested_party_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    rows = selectors.party_list(user=request.user, management_system=ms)
    filterset = InterestedPartyFilterSet(request.GET, rows, request=request, management_system=ms)
    can_create = access.can(request.user, Action.CREATE, ms)
    return list_page(request, "governance/context/party_list.html", filterset, can_create=can_create)


@login_required
@require_GET
def interested_party_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _detail(request, PARTIES, ms_id, pk)


@login_required
@require_GET
def interested_party_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _history(request, PARTIES, ms_id, pk)


@login_required
@require_http_methods(["GET", "POST"])
def interested_party_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, PARTIES, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def interested_party_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _edit(request, PARTIES, ms_id, pk)


@login_required
@require_http_methods(["GET", "POST"])
def interested_party_retire(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _retire(request, PARTIES, ms_id, pk)


# --- the legal and regulatory register (4.2) -----------------------------------------------------


@login_required
@require_GET
def legal_register(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    rows = selectors.legal_register(user=request.user, management_system=ms)
    filterset = RequirementFilterSet(request.GET, rows, request=request, management_system=ms)
    return list_page(
        request,
        "governance/context/legal_register.html",
        filterset,
        can_create=access.can(request.user, Action.CREATE, ms),
        summary=selectors.register_summary(user=request.user, management_system=ms),
        addressed_choices=Requirement.Addressed.choices,
    )


@login_required
@require_GET
def requirement_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _detail(request, REQUIREMENTS, ms_id, pk)


@login_required
@require_GET
def requirement_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _history(request, REQUIREMENTS, ms_id, pk)


@login_required
@require_http_methods(["GET", "POST"])
def requirement_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    return _form_page(request, REQUIREMENTS, ms, None, initial={"party": request.GET.get("party")})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _edit(request, REQUIREMENTS, ms_id, pk)


@login_required
@require_http_methods(["GET", "POST"])
def requirement_retire(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _retire(request, REQUIREMENTS, ms_id, pk)
