"""The approval queue, an action's page, and the connectors' pages.

Every member reads; a pending action is decided (approved or denied, with a comment) only by a
member holding the role the policy named for it (``services.may_decide``); officers and owners
register, change and retire connectors. Outsiders get 404 (``aims.pages``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access
from aims.access import Action
from aims.models import Role
from aims.pages import open_management_system, open_record, save_or_conflict
from gateway.actions import selectors, services
from gateway.actions.forms import ConnectorForm, ConnectorRetireForm, DecisionForm
from gateway.models import Connector, GatewayAction
from improvement.pages import form_status


def _annotated(request: HttpRequest, actions: list[GatewayAction]) -> list[GatewayAction]:
    """Each action with its arguments as indented JSON and whether the user may decide it."""
    for action in actions:
        action.approver_role_label = Role(action.approver_role).label if action.approver_role else "Nobody"
        action.arguments_pretty = json.dumps(action.arguments, indent=2, ensure_ascii=False, sort_keys=True)
        action.may_decide = action.effective_state == GatewayAction.State.PENDING and services.may_decide(
            request.user, action
        )
    return actions


@login_required
@require_GET
def action_queue(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Pending actions first (oldest first), with the decision form for who may decide; decided ones below."""
    ms = open_management_system(request, ms_id)
    actions = selectors.action_queryset(user=request.user).filter(management_system=ms)
    context = {
        "ms": ms,
        "pending": _annotated(request, list(selectors.waiting(actions))),
        "decided": _annotated(request, list(selectors.decided(actions)[: selectors.DECIDED_SHOWN])),
        "decided_limit": selectors.DECIDED_SHOWN,
        "can_manage_connectors": access.can(request.user, Action.CREATE, ms),
    }
    return render(request, "gateway/action_queue.html", context)


@login_required
@require_GET
def action_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    action = open_record(request, selectors.action_queryset(user=request.user), ms_id, pk)
    if action.result is not None:
        action.result_pretty = json.dumps(action.result, indent=2, ensure_ascii=False, sort_keys=True)
    context = {
        "ms": action.management_system,
        "action": _annotated(request, [action])[0],
        "events": list(selectors.events_of(action)),
    }
    return render(request, "gateway/action_detail.html", context)


@login_required
@require_POST
def action_decide(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Approve or deny a pending action (the member must hold the role the policy named: else 403)."""
    action = open_record(request, selectors.action_queryset(user=request.user), ms_id, pk)
    if not services.may_decide(request.user, action):
        raise PermissionDenied("Only a member with the role the policy named decides this action.")
    if request.POST.get("return_to") == "detail":
        back = redirect("gateway:action_detail", ms_id=action.management_system_id, pk=action.pk)
    else:
        back = redirect("gateway:action_queue", ms_id=action.management_system_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return back
    data = form.cleaned_data
    decide = services.action_approve if data["decision"] == "approve" else services.action_deny
    try:
        decide(action, user=request.user, comment=data["comment"])
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return back
    verb = "approved: the AI system may now perform it, once" if data["decision"] == "approve" else "denied"
    messages.success(request, f"{action.reference} was {verb}.")
    return back


# --- connectors ------------------------------------------------------------------------------


@login_required
@require_GET
def connector_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    connectors = selectors.connector_queryset(user=request.user).filter(management_system=ms)
    context = {
        "ms": ms,
        "connectors": [c for c in connectors if not c.is_retired],
        "retired": [c for c in connectors if c.is_retired],
        "can_manage": access.can(request.user, Action.CREATE, ms),
    }
    return render(request, "gateway/connector_list.html", context)


def _connector_form(request: HttpRequest, ms: Any, connector: Connector | None) -> HttpResponse:
    form = ConnectorForm(
        request.POST or None,
        instance=copy.copy(connector) if connector else None,
        initial={"version": connector.version} if connector else {},
        management_system=ms,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if connector is None:
            save = lambda: services.connector_create(  # noqa: E731
                management_system=ms, user=request.user, reason=form.reason(), **fields
            )
        else:
            version = form.cleaned_data.get("version")
            save = lambda: services.connector_update(  # noqa: E731
                connector, user=request.user, expected_version=version, reason=form.reason(), **fields
            )
        saved, conflict = save_or_conflict(form, save)
        if saved is not None:
            messages.success(request, f"The connector {saved.name} was saved.")
            return redirect("gateway:connector_list", ms_id=ms.pk)
    context = {"ms": ms, "connector": connector, "form": form, "conflict": conflict}
    return render(request, "gateway/connector_form.html", context, status=form_status(conflict, bool(form.errors)))


@login_required
@require_http_methods(["GET", "POST"])
def connector_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    return _connector_form(request, ms, None)


@login_required
@require_http_methods(["GET", "POST"])
def connector_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    connector = open_record(request, selectors.connector_queryset(user=request.user), ms_id, pk, Action.EDIT)
    if connector.is_retired:
        messages.info(request, f"{connector.reference} was retired: it cannot be changed.")
        return redirect("gateway:connector_list", ms_id=connector.management_system_id)
    return _connector_form(request, connector.management_system, connector)


@login_required
@require_http_methods(["GET", "POST"])
def connector_retire(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    connector = open_record(request, selectors.connector_queryset(user=request.user), ms_id, pk, Action.EDIT)
    back = redirect("gateway:connector_list", ms_id=connector.management_system_id)
    if connector.is_retired:
        messages.info(request, f"{connector.reference} was already retired.")
        return back
    form = ConnectorRetireForm(request.POST or None, initial={"version": connector.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = save_or_conflict(
            form,
            lambda: services.connector_retire(
                connector, user=request.user, expected_version=data["version"], reason=data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"{connector.reference} was retired: actions through it are refused.")
            return back
    context = {"ms": connector.management_system, "connector": connector, "form": form, "conflict": conflict}
    return render(request, "gateway/connector_retire.html", context, status=form_status(conflict, bool(form.errors)))
