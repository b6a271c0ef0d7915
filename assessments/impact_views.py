"""HTML pages of the AI impact assessments: list, detail with History, form with impact rows, approval."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access, ledger
from aims.access import Action
from aims.history import paged_history, paged_rows
from aims.pages import (
    confirm_remove,
    open_management_system,
    open_record,
    removal_verb,
    save_or_conflict,
    sign_off_page,
    signoff_panel,
)
from assessments import selectors, services, signoffs
from assessments.filters import ImpactFilterSet
from assessments.forms import ImpactAssessmentForm, ImpactCriteriaForm, formset_rows, impact_row_formset
from assessments.models import ImpactAssessment, ImpactCriteria
from assessments.views import PAGE_SIZE, signed_as_panel


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
        "chosen_system": filterset.applied().get("system"),
    }
    return render(request, "assessments/impact_list.html", context)


def _context(request: HttpRequest, assessment: ImpactAssessment, *, form=None, conflict=None, **extra) -> dict:
    action_url = reverse("assessments:impact_approve", args=[assessment.management_system_id, assessment.pk])
    panel = signed_as_panel(
        assessment,
        signoff_panel(request, signoffs.APPROVAL, assessment, action_url=action_url, form=form, conflict=conflict),
    )
    locked = bool(assessment.sign_offs)  # services.is_locked, from the approvals the panel read
    can_edit = access.can(request.user, Action.EDIT, assessment)
    return {
        "locked": locked,
        "can_reassess": locked
        and access.can(request.user, Action.CREATE, assessment.management_system)
        and getattr(assessment, "reassessment", None) is None,  # selected with the assessment
        "can_raise_risk": access.can(request.user, Action.CREATE, assessment.management_system),
        "reassessment_reasons": selectors.reassessment_reasons_since(assessment, assessment.latest_sign_off),
        "chain": selectors.assessment_chain(assessment),
        "ms": assessment.management_system,
        "assessment": assessment,
        "can_edit": can_edit,
        "can_delete": access.can(request.user, Action.DELETE, assessment),
        "remove_verb": removal_verb(assessment) if access.can(request.user, Action.DELETE, assessment) else "",
        "signoff": panel,
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
    versions = paged_history(request, selectors.history_of(assessment), ImpactAssessment)
    rows = paged_rows(request, selectors.impact_row_history(assessment), param="row_history_page")
    context = _context(request, assessment, tab="history", versions=versions, child_history=rows)
    return render(request, "assessments/impact_detail.html", context)


@login_required
@require_http_methods(["POST"])
def impact_approve(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, ms_id, pk, Action.VIEW)
    done_url = reverse("assessments:impact_detail", args=[assessment.management_system_id, pk])
    return sign_off_page(
        request,
        signoffs.APPROVAL,
        assessment,
        done_url=done_url,
        template="assessments/impact_detail.html",
        context=lambda form, conflict: _context(request, assessment, form=form, conflict=conflict),
    )


@login_required
@require_http_methods(["POST"])
def impact_reassess(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Start a re-assessment of an approved (locked) impact assessment: a new record linked to it."""
    assessment = _assessment(request, ms_id, pk, Action.VIEW)
    access.require(request.user, Action.CREATE, assessment.management_system)
    try:
        successor = services.impact_assessment_reassess(assessment, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("assessments:impact_detail", ms_id=assessment.management_system_id, pk=assessment.pk)
    messages.success(request, f"{successor.reference} re-assesses {assessment.reference}: review and update it.")
    return redirect("assessments:impact_edit", ms_id=assessment.management_system_id, pk=successor.pk)


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
    criteria = (assessment.impact_criteria if assessment else None) or services.current_impact_criteria(
        management_system=ms
    )
    formset = impact_row_formset(request.POST or None, assessment, criteria)
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
    if services.is_locked(assessment):
        messages.info(
            request, f"{assessment.reference} is approved, so it is locked: start a re-assessment to change it."
        )
        return redirect("assessments:impact_detail", ms_id=assessment.management_system_id, pk=assessment.pk)
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


# --- impact criteria ------------------------------------------------------------------------


@login_required
@require_GET
def impact_criteria_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    versions = ledger.annotate_sign_offs(
        list(selectors.impact_criteria_list(user=request.user, management_system=ms)),
        signoffs.IMPACT_CRITERIA_APPROVAL,
    )
    context = {
        "ms": ms,
        "versions": versions,
        "current": versions[0] if versions else None,
        "can_create": access.can(request.user, Action.CREATE, ms),
    }
    return render(request, "assessments/impact_criteria_list.html", context)


def _criteria_context(request: HttpRequest, criteria: ImpactCriteria, *, form=None, conflict=None) -> dict:
    action_url = reverse("assessments:impact_criteria_approve", args=[criteria.management_system_id, criteria.pk])
    return {
        "ms": criteria.management_system,
        "criteria": criteria,
        "assessment_count": criteria.assessments.count(),
        "versions": paged_history(request, selectors.history_of(criteria), ImpactCriteria),
        "current": services.current_impact_criteria(management_system=criteria.management_system),
        "signoff": signoff_panel(
            request, signoffs.IMPACT_CRITERIA_APPROVAL, criteria, action_url=action_url, form=form, conflict=conflict
        ),
    }


@login_required
@require_GET
def impact_criteria_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    criteria = open_record(request, selectors.impact_criteria_queryset(user=request.user), ms_id, pk)
    return render(request, "assessments/impact_criteria_detail.html", _criteria_context(request, criteria))


@login_required
@require_http_methods(["POST"])
def impact_criteria_approve(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    criteria = open_record(request, selectors.impact_criteria_queryset(user=request.user), ms_id, pk)
    done_url = reverse("assessments:impact_criteria_detail", args=[criteria.management_system_id, criteria.pk])
    return sign_off_page(
        request,
        signoffs.IMPACT_CRITERIA_APPROVAL,
        criteria,
        done_url=done_url,
        template="assessments/impact_criteria_detail.html",
        context=lambda form, conflict: _criteria_context(request, criteria, form=form, conflict=conflict),
    )


@login_required
@require_http_methods(["GET", "POST"])
def impact_criteria_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    current = services.current_impact_criteria(management_system=ms)
    form = ImpactCriteriaForm(request.POST or None, initial=ImpactCriteriaForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        criteria, _conflict = save_or_conflict(
            form,
            lambda: services.impact_criteria_create(
                management_system=ms,
                user=request.user,
                reason=form.cleaned_data["change_reason"] or "New impact criteria version",
                **form.criteria_fields(),
            ),
        )
        if criteria is not None:
            messages.success(request, f"{criteria} is now in force for new assessments.")
            return redirect("assessments:impact_criteria_detail", ms_id=ms.pk, pk=criteria.pk)
    context = {"ms": ms, "form": form, "current": current}
    return render(request, "assessments/impact_criteria_form.html", context, status=400 if form.errors else 200)
