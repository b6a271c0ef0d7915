"""HTML pages of the AI system register: AI systems, and model/dataset records and suppliers."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.history import paged_history
from aims.pages import confirm_remove, open_management_system, open_record, removal_verb, save_or_conflict
from registers import selectors, services
from registers.filters import AISystemFilterSet, RecordFilterSet
from registers.forms import AISystemForm, record_form_class, role_formset
from registers.models import AISystem, AISystemRole, DatasetRecord, ModelRecord, Supplier

PAGE_SIZE = 25
AI_SYSTEM_TABS = {
    "details": "Details",
    "models": "Models",
    "datasets": "Datasets",
    "suppliers": "Suppliers",
}


@dataclass(frozen=True)
class RecordKind:
    """One of the simple registers linked from AI systems, served by the generic record views."""

    slug: str
    model: type
    title: str
    columns: tuple[str, ...]

    @property
    def singular(self) -> str:
        return str(self.model._meta.verbose_name)

    def labels(self, names: tuple[str, ...] | list[str]) -> list[str]:
        return [str(self.model._meta.get_field(name).verbose_name) for name in names]

    def values(self, record, names: tuple[str, ...] | list[str]) -> list:
        """Display values of some fields (choice labels rather than stored codes)."""
        return [
            getattr(record, f"get_{name}_display")()
            if self.model._meta.get_field(name).choices
            else getattr(record, name)
            for name in names
        ]


RECORD_KINDS = {
    kind.slug: kind
    for kind in (
        RecordKind("model-records", ModelRecord, "Model records", ("model_version", "provider", "model_type")),
        RecordKind(
            "dataset-records", DatasetRecord, "Dataset records", ("source", "personal_data_categories", "retention")
        ),
        RecordKind("suppliers", Supplier, "Suppliers", ("due_diligence_status", "contract_reference")),
    )
}


def _kind(slug: str) -> RecordKind:
    try:
        return RECORD_KINDS[slug]
    except KeyError:
        raise Http404("No such register.") from None


def _history(request: HttpRequest, obj) -> Page:
    """A page of a record's versions, with each version's changes in the order the form shows the fields."""
    model = type(obj)
    order = {field.name: index for index, field in enumerate(model._meta.get_fields())}
    page = paged_history(request, selectors.history_of(obj), model)
    page.object_list = [
        dataclasses.replace(version, changes=sorted(version.changes, key=lambda c: order.get(c.field, len(order))))
        for version in page.object_list
    ]
    return page


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- AI systems ---------------------------------------------------------------------------


def _ai_system(request: HttpRequest, ms_id: int, pk: int, action: Action) -> AISystem:
    return open_record(request, selectors.ai_system_detail_queryset(user=request.user), ms_id, pk, action)


def _system_controls(request: HttpRequest, system: AISystem) -> dict:
    can_delete = access.can(request.user, Action.DELETE, system)
    return {
        "can_edit": access.can(request.user, Action.EDIT, system),
        "can_delete": can_delete,
        "remove_verb": removal_verb(system) if can_delete else "",
    }


@login_required
@require_GET
def ai_system_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    systems = selectors.ai_system_list(user=request.user, management_system=ms)
    filterset = AISystemFilterSet(request.GET, systems, request=request, management_system=ms)
    context = {
        "ms": ms,
        "filterset": filterset,
        "page_obj": _page(request, filterset.qs),
        "can_create": access.can(request.user, Action.CREATE, ms),
        "filtered": filterset.is_filtered,
    }
    return render(request, "registers/aisystem_list.html", context)


@login_required
@require_GET
def ai_system_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    tab = request.GET.get("tab", "details")
    if tab not in AI_SYSTEM_TABS:
        tab = "details"
    systems = selectors.ai_system_page_queryset(user=request.user, tab=tab)
    system = open_record(request, systems, ms_id, pk, Action.VIEW)
    context = {"system": system, "ms": system.management_system, "tab": tab, "tabs": AI_SYSTEM_TABS}
    context.update(_system_controls(request, system))
    return render(request, "registers/aisystem_detail.html", context)


@login_required
@require_GET
def ai_system_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    systems = selectors.ai_system_page_queryset(user=request.user, tab="history")
    system = open_record(request, systems, ms_id, pk, Action.VIEW_HISTORY)
    versions = _history(request, system)
    context = {
        "system": system,
        "ms": system.management_system,
        "tab": "history",
        "tabs": AI_SYSTEM_TABS,
        "versions": versions,
        "role_versions": paged_history(
            request, selectors.role_history(system), AISystemRole, param="role_history_page"
        ),
    }
    context.update(_system_controls(request, system))
    return render(request, "registers/aisystem_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ai_system_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    form = AISystemForm(request.POST or None, management_system=ms)
    roles = role_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() and roles.is_valid():
        system, _conflict = save_or_conflict(
            form,
            lambda: services.ai_system_create(
                management_system=ms,
                user=request.user,
                reason=form.reason(),
                roles=roles.roles(),
                **form.register_fields(),
            ),
        )
        if system is not None:
            messages.success(request, f"{system.reference} was added to the inventory.")
            return redirect("registers:ai_system_detail", ms_id=ms.pk, pk=system.pk)
    return render(request, "registers/aisystem_form.html", {"ms": ms, "form": form, "roles": roles})


@login_required
@require_http_methods(["GET", "POST"])
def ai_system_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    system = _ai_system(request, ms_id, pk, Action.EDIT)
    ms = system.management_system
    # The form writes cleaned values onto its instance; the service must still see the saved
    # owner (to move the owner's edit grant), so the form gets a copy.
    form = AISystemForm(
        request.POST or None, instance=copy.copy(system), management_system=ms, initial={"version": system.version}
    )
    roles = role_formset(request.POST or None, system)
    conflict = None
    if request.method == "POST" and form.is_valid() and roles.is_valid():
        saved, conflict = save_or_conflict(
            form,
            lambda: services.ai_system_update(
                system,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                reason=form.reason(),
                roles=roles.roles(),
                **form.register_fields(),
            ),
        )
        if saved is not None:
            messages.success(request, f"{system.reference} was saved.")
            return redirect("registers:ai_system_detail", ms_id=ms.pk, pk=system.pk)
    context = {"ms": ms, "form": form, "roles": roles, "system": system, "conflict": conflict}
    return render(request, "registers/aisystem_form.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def ai_system_delete(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    system = _ai_system(request, ms_id, pk, Action.DELETE)
    detail = reverse("registers:ai_system_detail", kwargs={"ms_id": ms_id, "pk": system.pk})
    done = reverse("registers:ai_system_list", kwargs={"ms_id": ms_id})
    return confirm_remove(
        request,
        system,
        delete=services.ai_system_delete,
        retire=services.ai_system_retire,
        cancel_url=detail,
        done_url=done,
    )


# --- model records, dataset records, suppliers ------------------------------------------------


def _record(request: HttpRequest, ms_id: int, kind: str, pk: int, action: Action) -> tuple[RecordKind, Any]:
    """Return the register and one of its records, or raise 404 (invisible) / 403 (action refused)."""
    register = _kind(kind)
    return register, open_record(request, register.model.objects.select_related("management_system"), ms_id, pk, action)


def _record_context(request: HttpRequest, kind: RecordKind, record) -> dict:
    can_delete = access.can(request.user, Action.DELETE, record)
    return {
        "kind": kind,
        "obj": record,
        "ms": record.management_system,
        "can_edit": access.can(request.user, Action.EDIT, record),
        "can_delete": can_delete,
        "remove_verb": removal_verb(record) if can_delete else "",
    }


@login_required
@require_GET
def record_list(request: HttpRequest, ms_id: int, kind: str) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    register = _kind(kind)
    records = selectors.record_list(register.model, user=request.user, management_system=ms)
    filterset = RecordFilterSet(request.GET, records, request=request, management_system=ms)
    context = {
        "ms": ms,
        "kind": register,
        "filterset": filterset,
        "filtered": filterset.is_filtered,
        "q": filterset.applied().get("q", ""),
        "page_obj": (page := _page(request, filterset.qs)),
        "labels": register.labels(register.columns),
        "rows": [(record, register.values(record, register.columns)) for record in page],
        "can_create": access.can(request.user, Action.CREATE, ms),
    }
    return render(request, "registers/record_list.html", context)


@login_required
@require_GET
def record_detail(request: HttpRequest, ms_id: int, kind: str, pk: int) -> HttpResponse:
    register, record = _record(request, ms_id, kind, pk, Action.VIEW)
    context = _record_context(request, register, record)
    fields = register.model.editable_fields
    facts = list(zip(register.labels(fields), register.values(record, fields), strict=True))
    context.update(tab="details", facts=facts, used_by=record.ai_systems.order_by("reference"))
    return render(request, "registers/record_detail.html", context)


@login_required
@require_GET
def record_history(request: HttpRequest, ms_id: int, kind: str, pk: int) -> HttpResponse:
    register, record = _record(request, ms_id, kind, pk, Action.VIEW_HISTORY)
    context = _record_context(request, register, record)
    context.update(tab="history", versions=_history(request, record))
    return render(request, "registers/record_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def record_create(request: HttpRequest, ms_id: int, kind: str) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    register = _kind(kind)
    form = record_form_class(register.model)(request.POST or None, management_system=ms)
    if request.method == "POST" and form.is_valid():
        record, _conflict = save_or_conflict(
            form,
            lambda: services.record_create(
                register.model, management_system=ms, user=request.user, reason=form.reason(), **form.register_fields()
            ),
        )
        if record is not None:
            messages.success(request, f"{record.reference} was added.")
            return redirect("registers:record_detail", ms_id=ms.pk, kind=register.slug, pk=record.pk)
    return render(request, "registers/record_form.html", {"ms": ms, "kind": register, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, ms_id: int, kind: str, pk: int) -> HttpResponse:
    register, record = _record(request, ms_id, kind, pk, Action.EDIT)
    ms = record.management_system
    form_class = record_form_class(register.model)
    form = form_class(
        request.POST or None, instance=copy.copy(record), management_system=ms, initial={"version": record.version}
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = save_or_conflict(
            form,
            lambda: services.record_update(
                record,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                reason=form.reason(),
                **form.register_fields(),
            ),
        )
        if saved is not None:
            messages.success(request, f"{record.reference} was saved.")
            return redirect("registers:record_detail", ms_id=ms.pk, kind=register.slug, pk=record.pk)
    context = {"ms": ms, "kind": register, "form": form, "obj": record, "conflict": conflict}
    return render(request, "registers/record_form.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def record_delete(request: HttpRequest, ms_id: int, kind: str, pk: int) -> HttpResponse:
    register, record = _record(request, ms_id, kind, pk, Action.DELETE)
    detail = reverse("registers:record_detail", kwargs={"ms_id": ms_id, "kind": register.slug, "pk": record.pk})
    done = reverse("registers:record_list", kwargs={"ms_id": ms_id, "kind": register.slug})
    return confirm_remove(
        request, record, delete=services.record_delete, retire=services.record_retire, cancel_url=detail, done_url=done
    )
