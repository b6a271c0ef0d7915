"""HTML pages of the people family: one list, detail (with History), form and retire page per register
(``registers.REGISTERS``), ending an assignment, the competence gaps and the responsibility matrix.

Every member reads; officers and owners edit; the records of other management systems do not exist (404).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.forms import RetireForm
from aims.pages import open_management_system, open_record, save_or_conflict
from evidence.linkables import linkable_for
from governance.models import RoleAssignment
from governance.people import selectors, services
from governance.people.forms import EndAssignmentForm
from governance.people.registers import ASSIGNMENTS, REGISTERS, Register
from improvement.pages import form_status, history_page, list_page

TEMPLATES = "governance/people"


def _register(name: str) -> Register:
    return REGISTERS[name]


def open_row(request: HttpRequest, register: Register, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> Any:
    """A record of the register with what its page shows, or 404/403."""
    return open_record(request, register.queryset(user=request.user), ms_id, pk, action)


def _display(obj: Any, name: str) -> tuple[str, Any, str | None]:
    field = obj._meta.get_field(name)
    label = str(field.verbose_name)
    if field.many_to_many:
        value = ", ".join(str(getattr(o, "name", o)) for o in getattr(obj, name).all()) or "–"
        return label, value, None
    if field.choices:
        return label, getattr(obj, f"get_{name}_display")(), None
    value = getattr(obj, name)
    if isinstance(value, bool):
        return label, "Yes" if value else "No", None
    if isinstance(value, date):
        return label, f"{value.day} {value:%b %Y}", None
    if field.is_relation:
        if value is None:
            return label, "–", None
        target = next((r for r in REGISTERS.values() if isinstance(value, r.model)), None)
        shown = getattr(value, "name", None) or (value.get_username() if hasattr(value, "get_username") else value)
        return label, shown, target.url("detail", value) if target else None
    return label, value if value not in (None, "") else "–", None


def _context(request: HttpRequest, register: Register, obj: Any, **extra: Any) -> dict[str, Any]:
    ms = obj.management_system
    can_edit = access.can(request.user, Action.EDIT, obj) and not getattr(obj, "is_retired", False)
    is_assignment = register is ASSIGNMENTS
    return {
        "ms": ms,
        "register": register,
        "obj": obj,
        "facts": [_display(obj, name) for name in register.model.editable_fields],
        "can_edit": can_edit,
        "can_retire": can_edit and register.retire is not None,
        "can_end": can_edit and is_assignment and (obj.ends_on is None or obj.ends_on > timezone.localdate()),
        "linkable": linkable_for(register.model) is not None,
        "tab": "details",
        **register.more(obj),
        **extra,
    }


def _with_cells(spec: Register, row: Any) -> Any:
    row.cells = spec.cells(row)
    return row


@login_required
@require_GET
def register_list(request: HttpRequest, ms_id: int, register: str) -> HttpResponse:
    spec = _register(register)
    ms = open_management_system(request, ms_id)
    rows = selectors.in_system(spec.queryset(user=request.user), ms).order_by("reference")
    filterset = spec.filterset(request.GET, rows, request=request, management_system=ms)
    return list_page(
        request,
        f"{TEMPLATES}/register_list.html",
        filterset,
        annotate=lambda rows: [_with_cells(spec, row) for row in rows],
        register=spec,
        can_create=access.can(request.user, Action.CREATE, ms),
        has_status="status" in filterset.filters,
    )


@login_required
@require_GET
def register_detail(request: HttpRequest, ms_id: int, pk: int, register: str) -> HttpResponse:
    spec = _register(register)
    obj = open_row(request, spec, ms_id, pk)
    return render(request, f"{TEMPLATES}/register_detail.html", _context(request, spec, obj))


@login_required
@require_GET
def register_history(request: HttpRequest, ms_id: int, pk: int, register: str) -> HttpResponse:
    spec = _register(register)
    obj = open_row(request, spec, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request,
        f"{TEMPLATES}/register_detail.html",
        obj,
        selectors.history_of(obj),
        lambda request, obj, **extra: _context(request, spec, obj, **extra),
    )


def _form_page(request: HttpRequest, spec: Register, ms: Any, obj: Any) -> HttpResponse:
    initial = {"version": obj.version} if obj else _initial(request, spec)
    form = spec.form(
        request.POST or None, instance=copy.copy(obj) if obj else None, initial=initial, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if obj is None:
            call = lambda: spec.create(management_system=ms, user=request.user, reason=form.reason(), **fields)  # noqa: E731
        else:
            version = form.cleaned_data["version"]
            call = lambda: spec.update(obj, user=request.user, expected_version=version, reason=form.reason(), **fields)  # noqa: E731
        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect(f"governance:{spec.name}_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "register": spec, "form": form, "obj": obj, "conflict": conflict}
    return render(request, f"{TEMPLATES}/register_form.html", context, status=form_status(conflict, bool(form.errors)))


def _initial(request: HttpRequest, spec: Register) -> dict[str, Any]:
    """A new record may start from the page it was asked from (``?person=3``, ``?role=2``)."""
    return {
        name: request.GET[name]
        for name in ("person", "role", "competence", "plan_item")
        if request.GET.get(name, "").isdigit()
    }


@login_required
@require_http_methods(["GET", "POST"])
def register_create(request: HttpRequest, ms_id: int, register: str) -> HttpResponse:
    spec = _register(register)
    return _form_page(request, spec, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def register_edit(request: HttpRequest, ms_id: int, pk: int, register: str) -> HttpResponse:
    spec = _register(register)
    obj = open_row(request, spec, ms_id, pk, Action.EDIT)
    if getattr(obj, "is_retired", False):
        messages.info(request, f"{obj.reference} is {obj.retired_label.lower()}: it no longer changes.")
        return redirect(f"governance:{spec.name}_detail", ms_id=obj.management_system_id, pk=obj.pk)
    return _form_page(request, spec, obj.management_system, obj)


@login_required
@require_http_methods(["GET", "POST"])
def register_retire(request: HttpRequest, ms_id: int, pk: int, register: str) -> HttpResponse:
    """Retire (withdraw, mark as left) a record with a reason: it stays readable with its history."""
    spec = _register(register)
    obj = open_row(request, spec, ms_id, pk, Action.DELETE)
    detail = spec.url("detail", obj)
    form = RetireForm(request.POST or None, initial={"version": obj.version})
    conflict = None
    if request.method == "POST" and spec.retire is not None and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form, lambda: spec.retire(obj, user=request.user, expected_version=data["version"], reason=data["reason"])
        )
        if done is not None:
            messages.success(request, f"{obj.reference} was {obj.retired_label.lower()}. It stays readable.")
            return redirect(detail)
    context = {
        "ms": obj.management_system,
        "obj": obj,
        "references": [],
        "retire_form": None if obj.is_retired or spec.retire is None else form,
        "delete_form": None,
        "conflict": conflict,
        "cancel_url": detail,
    }
    return render(request, "aims/confirm_remove.html", context, status=form_status(conflict, bool(form.errors)))


@login_required
@require_http_methods(["GET", "POST"])
def assignment_end(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """End a role assignment on a day, with the reason."""
    assignment: RoleAssignment = open_row(request, ASSIGNMENTS, ms_id, pk, Action.EDIT)
    detail = ASSIGNMENTS.url("detail", assignment)
    form = EndAssignmentForm(request.POST or None, initial={"version": assignment.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: services.assignment_end(
                assignment, user=request.user, expected_version=data["version"], reason=data["reason"], on=data["on"]
            ),
        )
        if done is not None:
            messages.success(request, f"{assignment.reference} ends on {done.ends_on:%d %b %Y}.")
            return redirect(detail)
    context = {"ms": assignment.management_system, "obj": assignment, "form": form, "conflict": conflict}
    return render(request, f"{TEMPLATES}/assignment_end.html", context, status=form_status(conflict, bool(form.errors)))


@login_required
@require_GET
def competence_gaps(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Each current assignment's required competences the holder has no valid record of (7.2)."""
    ms = open_management_system(request, ms_id)
    gaps = selectors.competence_gaps(ms)
    context = {"ms": ms, "gaps": gaps, "can_create": access.can(request.user, Action.CREATE, ms)}
    return render(request, f"{TEMPLATES}/competence_gaps.html", context)


@login_required
@require_GET
def responsibility_matrix(request: HttpRequest, ms_id: int) -> HttpResponse:
    """People x AIMS roles, with the AI systems of each current assignment (5.3)."""
    ms = open_management_system(request, ms_id)
    context = {"ms": ms, "matrix": selectors.responsibility_matrix(ms)}
    return render(request, f"{TEMPLATES}/responsibility_matrix.html", context)
