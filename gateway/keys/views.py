"""The Gateway page of an AI system: its keys (never their secrets) and the routes of its models.

Everyone in the management system reads; officers and owners create and revoke keys and set
routes; outsiders get 404 (``aims.pages``). A new key's plaintext is shown once, on the page that
answers its creation, and is not kept anywhere.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access
from aims.access import Action
from aims.pages import open_record, save_or_conflict
from gateway.events import selectors as event_selectors
from gateway.keys import selectors, services
from gateway.keys.forms import KeyCreateForm, KeyRevokeForm, RouteForm
from gateway.models import Outcome
from gateway.policy.decide import NoPolicy, Policy, policy_in_force
from improvement.pages import form_status
from registers.models import AISystem


def open_system(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> AISystem:
    return open_record(request, selectors.system_for_gateway(user=request.user), ms_id, pk, action)


def _page(
    request: HttpRequest, system: AISystem, *, form: KeyCreateForm | None = None, status: int = 200
) -> HttpResponse:
    ms = system.management_system
    can_manage = access.can(request.user, Action.CREATE, ms)
    context = {
        "ms": ms,
        "system": system,
        "keys": list(selectors.keys_of(system)),
        "models": selectors.models_with_routes(system),
        "can_manage": can_manage,
        "form": (form or KeyCreateForm()) if can_manage and not system.is_retired else None,
        **_activity(system),
    }
    return render(request, "gateway/system_gateway.html", context, status=status)


def _activity(system: AISystem) -> dict[str, Any]:
    """The policy in force, the live figures and the last events of the system (a fixed number of queries)."""
    ms_id = system.management_system_id
    try:
        policy: Policy | None = policy_in_force(ms_id)
    except NoPolicy:
        policy = None
    try:
        policy_url = reverse("gateway:policy_list", args=[ms_id])
    except NoReverseMatch:  # the policy pages are another family's
        policy_url = ""
    outcomes = dict(Outcome.choices)
    rules = [
        (rule, outcomes.get(rule.outcome, rule.outcome))
        for rule in (policy.rules if policy else ())
        if rule.ai_system_id in (None, system.pk)
    ]
    return {
        "policy": policy,
        "policy_rules": rules,
        "policy_url": policy_url,
        "figures": event_selectors.system_figures(system),
        "recent_events": event_selectors.recent_events(system),
        "events_url": f"{reverse('gateway:events', args=[ms_id])}?ai_system={system.pk}",
    }


@login_required
@require_GET
def system_gateway(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _page(request, open_system(request, ms_id, pk))


@login_required
@require_POST
def key_create(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Issue a key and show its plaintext once (the response is never cached)."""
    system = open_system(request, ms_id, pk)
    access.require(request.user, Action.CREATE, system.management_system)
    form = KeyCreateForm(request.POST)
    if form.is_valid():
        created, _conflict = save_or_conflict(
            form,
            lambda: services.key_create(
                ai_system=system,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            ),
        )
        if created is not None:
            key, plaintext = created
            response = render(
                request,
                "gateway/key_created.html",
                {"ms": system.management_system, "system": system, "key": key, "plaintext": plaintext},
                status=201,
            )
            add_never_cache_headers(response)
            return response
    return _page(request, system, form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    key = open_record(request, selectors.key_queryset(user=request.user), ms_id, pk, Action.EDIT)
    back = redirect("gateway:system_gateway", ms_id=key.management_system_id, pk=key.ai_system_id)
    if key.is_revoked:
        messages.info(request, f"{key.reference} was already revoked.")
        return back
    form = KeyRevokeForm(request.POST or None, initial={"version": key.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: services.key_revoke(
                key, user=request.user, expected_version=data["version"], reason=data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"{key.reference} was revoked: it no longer authenticates.")
            return back
    context = {"ms": key.management_system, "key": key, "form": form, "conflict": conflict}
    return render(request, "gateway/key_revoke.html", context, status=form_status(conflict, bool(form.errors)))


@login_required
@require_http_methods(["GET", "POST"])
def route_edit(request: HttpRequest, ms_id: int, pk: int, model_pk: int) -> HttpResponse:
    """Set or change the route of one of the system's model records."""
    system = open_system(request, ms_id, pk)
    ms = system.management_system
    access.require(request.user, Action.CREATE, ms)
    record = get_object_or_404(system.model_records.select_related("route"), pk=model_pk)
    route = getattr(record, "route", None)
    form = RouteForm(
        request.POST or None,
        instance=copy.copy(route) if route else None,
        initial={"version": route.version} if route else {},
        management_system=ms,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version")
        saved, conflict = save_or_conflict(
            form,
            lambda: services.route_set(
                model_record=record, user=request.user, expected_version=version, reason=form.reason(),
                **form.register_fields(),
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, f"The route of {record.reference} was saved.")
            return redirect("gateway:system_gateway", ms_id=ms.pk, pk=system.pk)
    context = {"ms": ms, "system": system, "record": record, "route": route, "form": form, "conflict": conflict}
    return render(request, "gateway/route_form.html", context, status=form_status(conflict, bool(form.errors)))
