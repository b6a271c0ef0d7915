"""HTML pages of findings: list, detail with History, form (a major or minor one raises its nonconformity)."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.limits import parse_id
from aims.models import ManagementSystem
from aims.pages import confirm_remove, open_management_system, open_record, removal_verb, save_or_conflict
from improvement.audits import finding_services, rules, selectors
from improvement.audits.filters import FindingFilterSet
from improvement.audits.forms import FindingForm
from improvement.models import Finding, InternalAudit
from improvement.pages import form_status, history_page, list_page

REFUSED = "Owners, compliance officers and the audit's team record its findings."


def _finding(request: HttpRequest, ms_id: int, pk: int, action: Action = Action.VIEW) -> Finding:
    return open_record(request, selectors.finding_queryset(user=request.user), ms_id, pk, action)


def _audits_for(request: HttpRequest, ms: ManagementSystem) -> QuerySet[InternalAudit]:
    """The audits a finding may name: every one for whoever creates records, else the user's own audits."""
    audits = InternalAudit.objects.filter(management_system=ms, retired_at__isnull=True).order_by("-reference")
    if access.can(request.user, Action.CREATE, ms):
        return audits
    editable = access.editable_ids(request.user, InternalAudit, ms)
    return audits if editable is None else audits.filter(pk__in=editable)


@login_required
@require_GET
def finding_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filterset = FindingFilterSet(
        request.GET, selectors.finding_list(user=request.user, management_system=ms), management_system=ms
    )
    return list_page(
        request,
        "improvement/audits/finding_list.html",
        filterset,
        can_create=rules.may_record_finding(request.user, ms, None) or _audits_for(request, ms).exists(),
    )


def _context(request: HttpRequest, finding: Finding, **extra: Any) -> dict[str, Any]:
    return {
        "ms": finding.management_system,
        "finding": finding,
        "can_edit": rules.may_edit_finding(request.user, finding) and not finding.is_retired,
        "remove_verb": removal_verb(finding) if access.can(request.user, Action.DELETE, finding) else "",
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def finding_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    finding = _finding(request, ms_id, pk)
    return render(request, "improvement/audits/finding_detail.html", _context(request, finding))


@login_required
@require_GET
def finding_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    finding = _finding(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request, "improvement/audits/finding_detail.html", finding, selectors.history_of(finding), _context
    )


def _initial(request: HttpRequest, audits: QuerySet[InternalAudit]) -> dict[str, Any]:
    """A finding started from an audit (and one of its checks): the audit and the requirement filled in."""
    initial: dict[str, Any] = {}
    audit = audits.filter(pk=parse_id(request.GET.get("audit"))).first() if request.GET.get("audit") else None
    if audit is not None:
        initial.update(audit=audit, source=Finding.Source.INTERNAL_AUDIT)
        requirement = parse_id(request.GET.get("requirement"))
        if requirement and audit.scope_requirements.filter(pk=requirement).exists():
            initial["requirements"] = [requirement]
        initial["ai_systems"] = list(audit.scope_ai_systems.values_list("pk", flat=True))
    return initial


def _form_page(request: HttpRequest, ms: ManagementSystem, finding: Finding | None) -> HttpResponse:
    audits = _audits_for(request, ms)
    if finding is not None and finding.audit_id:
        audits = audits | InternalAudit.objects.filter(pk=finding.audit_id)
    initial = {"version": finding.version} if finding else _initial(request, audits)
    instance = copy.copy(finding) if finding else None
    form = FindingForm(request.POST or None, instance=instance, initial=initial, management_system=ms, audits=audits)
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if finding is None and not rules.may_record_finding(request.user, ms, fields.get("audit")):
            raise PermissionDenied(REFUSED)
        if finding is not None and finding.nonconformity_id:
            fields.pop("finding_type")  # shown, not editable: the grade lives on the nonconformity
        saved, conflict = save_or_conflict(
            form,
            lambda: (
                finding_services.finding_create(management_system=ms, user=request.user, reason=form.reason(), **fields)
                if finding is None
                else finding_services.finding_update(
                    finding,
                    user=request.user,
                    expected_version=form.cleaned_data["version"],
                    reason=form.reason(),
                    **fields,
                )
            ),
        )
        if saved is not None:
            raised = f" It raised {saved.nonconformity.reference}." if saved.nonconformity_id else ""
            messages.success(request, f"{saved.reference} was saved.{raised}")
            return redirect("improvement:finding_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "finding": finding, "conflict": conflict}
    status = form_status(conflict, request.method == "POST")
    return render(request, "improvement/audits/finding_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def finding_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    if not (rules.may_record_finding(request.user, ms, None) or _audits_for(request, ms).exists()):
        raise PermissionDenied(REFUSED)
    return _form_page(request, ms, None)


@login_required
@require_http_methods(["GET", "POST"])
def finding_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    finding = _finding(request, ms_id, pk)
    if not rules.may_edit_finding(request.user, finding):
        raise PermissionDenied(REFUSED)
    return _form_page(request, finding.management_system, finding)


@login_required
@require_http_methods(["GET", "POST"])
def finding_delete(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    finding = _finding(request, ms_id, pk, Action.DELETE)
    return confirm_remove(
        request,
        finding,
        delete=finding_services.finding_delete,
        retire=finding_services.finding_withdraw,
        cancel_url=reverse("improvement:finding_detail", args=[ms_id, finding.pk]),
        done_url=reverse("improvement:finding_list", args=[ms_id]),
    )
