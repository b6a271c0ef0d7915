"""HTML pages of the AI impact assessments: list, detail with History, form with impact rows, approval."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access, ledger
from aims.access import Action
from aims.history import versions_of
from aims.pages import (
    confirm_remove,
    open_management_system,
    open_record,
    removal_verb,
    save_or_conflict,
    sign_off_from_post,
    signoff_panel,
)
from assessments import selectors, services, signoffs
from assessments.filters import ImpactFilterSet
from assessments.forms import ImpactAssessmentForm, formset_rows, impact_row_formset
from assessments.models import ImpactAssessment
from assessments.views import PAGE_SIZE


def _assessment(request: HttpRequest, ms_id: int, pk: int, action: Action) -> ImpactAssessment:
    return open_record(request, selectors.impact_queryset(user=request.user), ms_id, pk, action)


@login_required
@require_GET
def impact_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    assessments = selectors.impact_list(user=request.user, management_system=ms)
    filterset = ImpactFilterSet(request.GET, assessments, request=request, management_system=ms)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = ledger.annotate_sign_offs(list(page.object_list), signoffs.APPROVAL)
    context = {
        "ms": ms,
        "filterset": filterset,
        "page_obj": page,
        "can_create": access.can(request.user, Action.CREATE, ms),
        "filtered": filterset.is_filtered,
    }
    return render(request, "assessments/impact_list.html", context)


def _context(request: HttpRequest, assessment: ImpactAssessment, *, form=None, conflict=None, **extra) -> dict:
    ledger.annotate_sign_offs([assessment], signoffs.APPROVAL)
    action_url = reverse("assessments:impact_approve", args=[assessment.management_system_id, assessment.pk])
    return {
        "ms": assessment.management_system,
        "assessment": assessment,
        "can_edit": access.can(request.user, Action.EDIT, assessment),
        "can_delete": access.can(request.user, Action.DELETE, assessment),
        "remove_verb": removal_verb(assessment) if access.can(request.user, Action.DELETE, assessment) else "",
        "signoff": signoff_panel(
            request, signoffs.APPROVAL, assessment, action_url=action_url, form=form, conflict=conflict
        ),
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def impact_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, ms_id, pk, Action.VIEW)
    return render(request, "assessments/impact_detail.html", _context(request, assessment))


@login_required
@require_GET
def impact_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, ms_id, pk, Action.VIEW_HISTORY)
    versions = versions_of(selectors.history_of(assessment), ImpactAssessment)
    rows = selectors.impact_row_history(assessment)
    context = _context(request, assessment, tab="history", versions=versions, child_history=rows)
    return render(request, "assessments/impact_detail.html", context)


@login_required
@require_http_methods(["POST"])
def impact_approve(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, ms_id, pk, Action.VIEW)
    done_url = reverse("assessments:impact_detail", args=[assessment.management_system_id, pk])
    response, form, conflict = sign_off_from_post(request, signoffs.APPROVAL, assessment, done_url=done_url)
    if response is not None:
        return response
    context = _context(request, assessment, form=form, conflict=conflict)
    return render(request, "assessments/impact_detail.html", context, status=409 if conflict else 400)


@login_required
@require_http_methods(["POST"])
def impact_raise_risk(request: HttpRequest, ms_id: int, pk: int, row_id: int) -> HttpResponse:
    assessment = _assessment(request, ms_id, pk, Action.VIEW)
    access.require(request.user, Action.CREATE, assessment.management_system)
    row = next((r for r in assessment.rows.all() if r.pk == row_id), None)
    if row is None:
        raise Http404("No such impact row.")
    risk = services.risk_raise_from_impact_row(row, user=request.user)
    messages.success(request, f"{risk.reference} was raised from this impact. Check its ratings, treatment and owner.")
    return redirect("assessments:risk_edit", ms_id=assessment.management_system_id, pk=risk.pk)


@transaction.atomic
def _save(request: HttpRequest, ms, form: ImpactAssessmentForm, formset, assessment: ImpactAssessment | None):
    fields, rows = form.register_fields(), formset_rows(formset)
    if assessment is None:
        return services.impact_assessment_create(
            management_system=ms, user=request.user, reason=form.reason(), rows=rows, **fields
        )
    return services.impact_assessment_update(
        assessment,
        user=request.user,
        expected_version=form.cleaned_data["version"],
        reason=form.reason(),
        rows=rows,
        **fields,
    )


def _form_page(request: HttpRequest, ms, assessment: ImpactAssessment | None) -> HttpResponse:
    initial = {"version": assessment.version} if assessment else {"ai_system": request.GET.get("system")}
    instance = copy.copy(assessment) if assessment else None
    form = ImpactAssessmentForm(request.POST or None, instance=instance, initial=initial, management_system=ms)
    formset = impact_row_formset(request.POST or None, assessment)
    conflict = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved, conflict = save_or_conflict(form, lambda: _save(request, ms, form, formset, assessment))
        if saved is not None:
            messages.success(request, f"{saved.reference} was saved.")
            return redirect("assessments:impact_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "formset": formset, "assessment": assessment, "conflict": conflict}
    return render(request, "assessments/impact_form.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def impact_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def impact_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, ms_id, pk, Action.EDIT)
    return _form_page(request, assessment.management_system, assessment)


@login_required
@require_http_methods(["GET", "POST"])
def impact_delete(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, ms_id, pk, Action.DELETE)
    detail = reverse("assessments:impact_detail", args=[ms_id, assessment.pk])
    done = reverse("assessments:impact_list", args=[ms_id])
    return confirm_remove(
        request,
        assessment,
        delete=services.impact_assessment_delete,
        retire=services.impact_assessment_withdraw,
        cancel_url=detail,
        done_url=done,
    )
