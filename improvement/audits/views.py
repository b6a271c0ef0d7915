"""HTML pages of internal audits: list, detail with checks, findings and History, form, start, checks,
the report's signature and acknowledgement, and the printable report."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access, ledger
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
from improvement.audits.filters import AuditFilterSet
from improvement.audits.forms import CheckForm, InternalAuditForm, TransitionForm
from improvement.models import InternalAudit
from improvement.pages import form_status, history_page, list_page

TEMPLATE = "improvement/audits/audit_detail.html"


def _audit(request: HttpRequest, ms_id: int, pk: int, action: Action = Action.VIEW) -> InternalAudit:
    return open_record(request, selectors.audit_queryset(user=request.user), ms_id, pk, action)


@login_required
@require_GET
def audit_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    filterset = AuditFilterSet(
        request.GET, selectors.audit_list(user=request.user, management_system=ms), management_system=ms
    )
    return list_page(
        request,
        "improvement/audits/audit_list.html",
        filterset,
        annotate=lambda rows: signoffs.annotate_signed(rows, signoffs.REPORT),
        can_create=access.can(request.user, Action.CREATE, ms),
    )


def _start_form(audit: InternalAudit, data: Any = None) -> TransitionForm:
    form = TransitionForm(data, initial={"version": audit.version}, prefix="start")
    form.fields["reason"].required = False
    form.fields["reason"].help_text = "Optional: a note for the history (for example, the opening meeting held)."
    return form


def _context(
    request: HttpRequest,
    audit: InternalAudit,
    *,
    report_form: Any = None,
    ack_form: Any = None,
    conflict: str | None = None,
    start_form: Any = None,
    start_conflict: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    signoffs.annotate_signed([audit], signoffs.REPORT)
    ms_id, pk = audit.management_system_id, audit.pk
    can_edit = access.can(request.user, Action.EDIT, audit) and not audit.is_retired
    ack_conflict = conflict if ack_form is not None else None
    return {
        "ms": audit.management_system,
        "audit": audit,
        "check_rows": selectors.check_rows(audit),
        "independence": selectors.independence_of(audit),
        "can_edit": can_edit,
        "can_record_finding": rules.may_record_finding(request.user, audit.management_system, audit)
        and not audit.is_retired,
        "remove_verb": removal_verb(audit) if access.can(request.user, Action.DELETE, audit) else "",
        "start_form": (start_form or _start_form(audit))
        if can_edit and audit.status == InternalAudit.Status.PLANNED
        else None,
        "start_conflict": start_conflict,
        "report_panel": signoff_panel(
            request,
            signoffs.REPORT,
            audit,
            action_url=reverse("improvement:audit_sign_report", args=[ms_id, pk]),
            form=report_form,
            conflict=None if ack_form is not None else conflict,
        ),
        "ack_panel": signoff_panel(
            request,
            signoffs.REPORT_ACKNOWLEDGEMENT,
            audit,
            action_url=reverse("improvement:audit_acknowledge", args=[ms_id, pk]),
            form=ack_form,
            conflict=ack_conflict,
        ),
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def audit_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    audit = _audit(request, ms_id, pk)
    return render(request, TEMPLATE, _context(request, audit))


@login_required
@require_GET
def audit_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    audit = _audit(request, ms_id, pk, Action.VIEW_HISTORY)
    checks = paged_rows(request, selectors.check_history(audit), param="check_history_page")
    return history_page(request, TEMPLATE, audit, selectors.history_of(audit), _context, check_history=checks)


@login_required
@require_GET
def audit_report(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """The audit report as one printable page: scope, criteria, team, independence, checks, findings, signatures."""
    audit = _audit(request, ms_id, pk)
    signoffs.annotate_signed([audit], signoffs.REPORT)
    context = {
        "ms": audit.management_system,
        "audit": audit,
        "check_rows": selectors.check_rows(audit),
        "independence": selectors.independence_of(audit),
        "report_status": ledger.sign_off_status(signoffs.REPORT, audit),
        "report_signoffs": list(ledger.sign_offs_of(signoffs.REPORT, audit)),
        "ack_signoffs": list(ledger.sign_offs_of(signoffs.REPORT_ACKNOWLEDGEMENT, audit)),
    }
    return render(request, "improvement/audits/audit_report.html", context)


def _signing(request: HttpRequest, ms_id: int, pk: int, kind: str, sign: Any, field: str) -> HttpResponse:
    audit = _audit(request, ms_id, pk)
    return sign_off_page(
        request,
        kind,
        audit,
        done_url=reverse("improvement:audit_detail", args=[audit.management_system_id, pk]),
        template=TEMPLATE,
        context=lambda form, conflict: _context(request, audit, conflict=conflict, **{field: form}),
        sign=sign,
    )


@login_required
@require_http_methods(["POST"])
def audit_sign_report(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _signing(request, ms_id, pk, signoffs.REPORT, services.audit_report_sign, "report_form")


@login_required
@require_http_methods(["POST"])
def audit_acknowledge(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    return _signing(request, ms_id, pk, signoffs.REPORT_ACKNOWLEDGEMENT, services.audit_report_acknowledge, "ack_form")


@login_required
@require_http_methods(["POST"])
def audit_start(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    audit = _audit(request, ms_id, pk, Action.EDIT)
    form = _start_form(audit, request.POST)
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        started, conflict = save_or_conflict(
            form,
            lambda: services.internal_audit_start(
                audit, user=request.user, expected_version=data["version"], reason=data["reason"]
            ),
        )
        if started is not None:
            messages.success(request, f"{audit.reference} is in progress: record its checks.")
            return redirect("improvement:audit_detail", ms_id=audit.management_system_id, pk=audit.pk)
    context = _context(request, audit, start_form=form, start_conflict=conflict)
    return render(request, TEMPLATE, context, status=409 if conflict else 400)


def _form_page(request: HttpRequest, ms: Any, audit: InternalAudit | None) -> HttpResponse:
    initial: dict[str, Any] = {"version": audit.version} if audit else {"programme": request.GET.get("programme")}
    instance = copy.copy(audit) if audit else None
    may_override = rules.may_override_independence(request.user, ms)
    form = InternalAuditForm(
        request.POST or None, instance=instance, initial=initial, management_system=ms, may_override=may_override
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        override = form.override()
        if audit is None:
            saved, conflict = save_or_conflict(
                form,
                lambda: services.internal_audit_create(
                    management_system=ms,
                    user=request.user,
                    reason=form.reason(),
                    independence_override=override or "",
                    **fields,
                ),
            )
        else:
            saved, conflict = save_or_conflict(
                form,
                lambda: services.internal_audit_update(
                    audit,
                    user=request.user,
                    expected_version=form.cleaned_data["version"],
                    reason=form.reason(),
                    independence_override=override,
                    **fields,
                ),
            )
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect("improvement:audit_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "audit": audit, "conflict": conflict}
    status = form_status(conflict, request.method == "POST")
    return render(request, "improvement/audits/audit_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def audit_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def audit_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    audit = _audit(request, ms_id, pk, Action.EDIT)
    return _form_page(request, audit.management_system, audit)


@login_required
@require_http_methods(["GET", "POST"])
def audit_delete(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    audit = _audit(request, ms_id, pk, Action.DELETE)
    return confirm_remove(
        request,
        audit,
        delete=services.internal_audit_delete,
        retire=services.internal_audit_withdraw,
        cancel_url=reverse("improvement:audit_detail", args=[ms_id, audit.pk]),
        done_url=reverse("improvement:audit_list", args=[ms_id]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_edit(request: HttpRequest, ms_id: int, pk: int, check_id: int) -> HttpResponse:
    """Record one check: what was tested, the sample, the result."""
    audit = _audit(request, ms_id, pk, Action.EDIT)
    check = selectors.check_of(audit, check_id)
    if check is None:
        raise Http404("No such check.")
    form = CheckForm(request.POST or None, instance=copy.copy(check), initial={"version": check.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved, conflict = save_or_conflict(
            form,
            lambda: services.check_record(
                check,
                user=request.user,
                expected_version=data["version"],
                reason=data.get("change_reason", ""),
                **{name: data[name] for name in ("tested", "sample", "result", "notes")},
            ),
        )
        if saved is not None:
            messages.success(request, f"Check {check.requirement.key} recorded: {saved.get_result_display().lower()}.")
            return redirect(reverse("improvement:audit_detail", args=[ms_id, audit.pk]) + f"#check-{check.pk}")
    context = {"ms": audit.management_system, "audit": audit, "check": check, "form": form, "conflict": conflict}
    status = form_status(conflict, request.method == "POST")
    return render(request, "improvement/audits/check_form.html", context, status=status)
