"""HTML pages of the scope (4.3): the scope page with its History tab and approval, the form of its parts,
its exclusions, and refreshing its AI systems from the inventory."""

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
from aims.models import ManagementSystem
from aims.pages import open_management_system, save_or_conflict, sign_off_page, signoff_panel
from governance.models import Scope, ScopeExclusion
from governance.scope import selectors, services
from governance.scope.forms import ExclusionForm, ScopeForm, ScopeVersionForm
from governance.scope.signoffs import SCOPE_APPROVAL

PAGE = "governance/scope/scope_detail.html"


def _scope_url(ms: ManagementSystem) -> str:
    return reverse("governance:scope", args=[ms.pk])


def scope_context(
    request: HttpRequest, ms: ManagementSystem, scope: Scope | None, *, form: Any = None, conflict: str | None = None,
    tab: str = "details", **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """What the scope page shows: its parts, the AI systems frozen and in the inventory now, the approval panel."""
    can_edit = access.can(request.user, Action.EDIT, ms)
    panel = None
    if scope is not None:
        action_url = reverse("governance:scope_approve", args=[ms.pk])
        panel = signoff_panel(request, SCOPE_APPROVAL, scope, action_url=action_url, form=form, conflict=conflict)
    return {
        "ms": ms,
        "scope": scope,
        "document": selectors.scope_document(ms),
        "systems": selectors.systems_comparison(scope, ms),
        "signoff": panel,
        "can_edit": can_edit,
        "refresh_form": ScopeVersionForm(initial={"version": scope.version}) if scope and can_edit else None,
        "tab": tab,
        **extra,
    }


@login_required
@require_GET
def scope_detail(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    return render(request, PAGE, scope_context(request, ms, selectors.scope_of(ms)))


@login_required
@require_GET
def scope_history(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.VIEW_HISTORY)
    scope = selectors.scope_of(ms)
    if scope is None:
        raise Http404("This management system has no scope yet.")
    versions = paged_history(request, selectors.history_of(scope), Scope)
    exclusion_versions = paged_history(
        request, selectors.exclusion_history(scope), ScopeExclusion, param="exclusion_history_page"
    )
    context = scope_context(request, ms, scope, tab="history", versions=versions, exclusion_versions=exclusion_versions)
    return render(request, PAGE, context)


@login_required
@require_POST
def scope_approve(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The approval sign-off: the inventory's in-scope AI systems are frozen into the scope, then it is signed."""
    ms = open_management_system(request, ms_id)
    scope = selectors.scope_of(ms)
    if scope is None:
        raise Http404("This management system has no scope yet.")

    def sign(subject: Scope, **signing: Any) -> Any:
        return services.scope_approve(subject, **signing)

    return sign_off_page(
        request, SCOPE_APPROVAL, scope, done_url=_scope_url(ms), template=PAGE, sign=sign,
        context=lambda form, conflict: scope_context(
            request, ms, selectors.scope_of(ms), form=form, conflict=conflict
        ),
    )  # fmt: skip


def _status(conflict: str | None, refused: bool) -> int:
    return 409 if conflict else (400 if refused else 200)


@login_required
@require_http_methods(["GET", "POST"])
def scope_edit(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The parts of the scope; the first save writes the scope."""
    ms = open_management_system(request, ms_id, Action.EDIT)
    scope = selectors.scope_of(ms)
    initial = {"version": scope.version} if scope else {"statement": ms.scope_statement}
    form = ScopeForm(
        request.POST or None, instance=copy.copy(scope) if scope else None, initial=initial, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        version = form.cleaned_data.get("version")
        saved, conflict = save_or_conflict(
            form,
            lambda: services.scope_save(
                ms, user=request.user, expected_version=version, reason=form.reason(), **fields
            ),
        )
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved (version {saved.version}).")
            return redirect(_scope_url(ms))
    context = {"ms": ms, "scope": scope, "form": form, "conflict": conflict}
    return render(request, "governance/scope/scope_form.html", context, status=_status(conflict, bool(form.errors)))


@login_required
@require_POST
def scope_refresh(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Take the AI systems in scope from the inventory now (a new version of the scope when they differ)."""
    ms = open_management_system(request, ms_id, Action.EDIT)
    scope = selectors.scope_of(ms)
    if scope is None:
        raise Http404("This management system has no scope yet.")
    form = ScopeVersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the scope and try again.")
        return redirect(_scope_url(ms))
    before = scope.version
    refreshed, conflict = save_or_conflict(
        form,
        lambda: services.scope_refresh_ai_systems(
            scope, user=request.user, expected_version=form.cleaned_data["version"]
        ),
    )
    if conflict:
        messages.error(request, conflict)
    elif refreshed is not None and refreshed.version != before:
        messages.success(
            request, f"The AI systems in scope were taken from the inventory (version {refreshed.version})."
        )
    else:
        messages.info(request, "The AI systems in scope already match the inventory: nothing changed.")
    return redirect(_scope_url(ms))


# --- exclusions ----------------------------------------------------------------------------------------


def _open_scope_for_edit(request: HttpRequest, ms_id: int) -> tuple[ManagementSystem, Scope]:
    ms = open_management_system(request, ms_id, Action.EDIT)
    scope = selectors.scope_of(ms)
    if scope is None:
        raise Http404("This management system has no scope yet.")
    return ms, scope


def _exclusion_in(scope: Scope, exclusion_id: Any) -> ScopeExclusion:
    exclusion = next((e for e in scope.exclusions.all() if e.pk == exclusion_id), None)
    if exclusion is None:
        raise Http404("No such exclusion in this scope.")
    return exclusion


def _exclusion_page(
    request: HttpRequest, ms: ManagementSystem, scope: Scope, exclusion: ScopeExclusion | None
) -> HttpResponse:
    form = ExclusionForm(request.POST or None, instance=copy.copy(exclusion), initial={"version": scope.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ScopeExclusion.editable_fields}
        version = form.cleaned_data["version"]
        if exclusion is None:
            call = lambda: services.exclusion_add(scope, user=request.user, expected_version=version, **data)  # noqa: E731
        else:
            call = lambda: services.exclusion_update(exclusion, user=request.user, expected_version=version, **data)  # noqa: E731
        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"Exclusion “{saved.excluded}” was saved in {scope.reference}.")
            return redirect(_scope_url(ms))
    context = {"ms": ms, "scope": scope, "exclusion": exclusion, "form": form, "conflict": conflict}
    status = _status(conflict, bool(form.errors))
    return render(request, "governance/scope/exclusion_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def exclusion_add(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms, scope = _open_scope_for_edit(request, ms_id)
    return _exclusion_page(request, ms, scope, None)


@login_required
@require_http_methods(["GET", "POST"])
def exclusion_edit(request: HttpRequest, ms_id: int, exclusion_id: int) -> HttpResponse:
    ms, scope = _open_scope_for_edit(request, ms_id)
    return _exclusion_page(request, ms, scope, _exclusion_in(scope, exclusion_id))


@login_required
@require_http_methods(["GET", "POST"])
def exclusion_remove(request: HttpRequest, ms_id: int, exclusion_id: int) -> HttpResponse:
    """Ask, then take the exclusion out of the scope version the user read."""
    ms, scope = _open_scope_for_edit(request, ms_id)
    exclusion = _exclusion_in(scope, exclusion_id)
    form = ScopeVersionForm(request.POST or None, initial={"version": scope.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"]
        done, conflict = save_or_conflict(
            form, lambda: services.exclusion_remove(exclusion, user=request.user, expected_version=version)
        )
        if done is not None:
            messages.success(request, f"Exclusion “{exclusion.excluded}” was removed. Its history is kept.")
            return redirect(_scope_url(ms))
    context = {"ms": ms, "scope": scope, "exclusion": exclusion, "form": form, "conflict": conflict}
    status = _status(conflict, bool(form.errors))
    return render(request, "governance/scope/exclusion_remove.html", context, status=status)
