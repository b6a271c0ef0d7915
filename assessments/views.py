"""HTML pages of the risk register: criteria versions, risks with treatment and acceptance, the heat map."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aims import access, ledger
from aims.access import Action
from aims.history import paged_history, paged_rows
from aims.models import ManagementSystem
from aims.pages import (
    SignOffPanel,
    confirm_remove,
    open_management_system,
    open_record,
    removal_verb,
    save_or_conflict,
    sign_off_page,
    signoff_panel,
)
from assessments import scoring, selectors, services, signoffs
from assessments.filters import RiskFilterSet
from assessments.forms import AsOfForm, CriteriaForm, RiskForm, action_formset, formset_actions
from assessments.heatmap import heatmap, heatmap_svg
from assessments.models import Risk, RiskCriteria

PAGE_SIZE = 50


def _page(request: HttpRequest, queryset, kind: str):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = ledger.annotate_sign_offs(list(page.object_list), kind)
    return page


# --- criteria --------------------------------------------------------------------------


@login_required
@require_GET
def criteria_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    versions = ledger.annotate_sign_offs(
        list(selectors.criteria_list(user=request.user, management_system=ms)), signoffs.CRITERIA_APPROVAL
    )
    context = {
        "ms": ms,
        "versions": versions,
        "current": versions[0] if versions else None,
        "can_create": access.can(request.user, Action.CREATE, ms),
    }
    return render(request, "assessments/criteria_list.html", context)


@login_required
@require_GET
def criteria_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    criteria = open_record(request, selectors.criteria_queryset(user=request.user), ms_id, pk)
    return render(request, "assessments/criteria_detail.html", _criteria_context(request, criteria))


def _criteria_context(request: HttpRequest, criteria: RiskCriteria, *, form=None, conflict=None) -> dict:
    action_url = reverse("assessments:criteria_approve", args=[criteria.management_system_id, criteria.pk])
    return {
        "ms": criteria.management_system,
        "criteria": criteria,
        "matrix": [
            (number, criteria.likelihood_label(number), row)
            for number, row in reversed(list(enumerate(scoring.matrix_of(criteria), start=1)))
        ],
        "risk_count": criteria.risks.count(),
        "versions": paged_history(request, selectors.history_of(criteria), RiskCriteria),
        "current": services.current_criteria(management_system=criteria.management_system),
        "signoff": signoff_panel(
            request, signoffs.CRITERIA_APPROVAL, criteria, action_url=action_url, form=form, conflict=conflict
        ),
    }


@login_required
@require_http_methods(["POST"])
def criteria_approve(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    criteria = open_record(request, selectors.criteria_queryset(user=request.user), ms_id, pk)
    done_url = reverse("assessments:criteria_detail", args=[criteria.management_system_id, criteria.pk])
    return sign_off_page(
        request,
        signoffs.CRITERIA_APPROVAL,
        criteria,
        done_url=done_url,
        template="assessments/criteria_detail.html",
        context=lambda form, conflict: _criteria_context(request, criteria, form=form, conflict=conflict),
    )


@login_required
@require_http_methods(["GET", "POST"])
def criteria_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    current = services.current_criteria(management_system=ms)
    form = CriteriaForm(request.POST or None, initial=CriteriaForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        criteria, _conflict = save_or_conflict(
            form,
            lambda: services.risk_criteria_create(
                management_system=ms,
                user=request.user,
                reason=form.cleaned_data["change_reason"] or "New criteria version",
                **form.criteria_fields(),
            ),
        )
        if criteria is not None:
            messages.success(
                request, f"{criteria} is now in force. Existing risks keep the version they were scored on."
            )
            return redirect("assessments:criteria_detail", ms_id=ms.pk, pk=criteria.pk)
    return render(request, "assessments/criteria_form.html", {"ms": ms, "form": form, "current": current})


# --- risks -----------------------------------------------------------------------------


def _risk(request: HttpRequest, ms_id: int, pk: int, action: Action, *, links: bool = True) -> Risk:
    return open_record(request, selectors.risk_queryset(user=request.user, links=links), ms_id, pk, action)


@login_required
@require_GET
def risk_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    risks = selectors.risk_list(user=request.user, management_system=ms)
    filterset = RiskFilterSet(request.GET, risks, request=request, management_system=ms)
    applied = filterset.applied()
    context = {
        "ms": ms,
        "filterset": filterset,
        "page_obj": _page(request, filterset.qs, signoffs.ACCEPTANCE),
        "can_create": access.can(request.user, Action.CREATE, ms),
        "filtered": filterset.is_filtered,
        "cell": applied if "likelihood" in applied and "consequence" in applied else None,
        "chosen_system": applied.get("system"),
    }
    return render(request, "assessments/risk_list.html", context)


def signed_as_panel(record: Any, panel: SignOffPanel) -> SignOffPanel:
    """Give the record what ``ledger.annotate_sign_offs`` would (its header's badge) from what its sign-off panel read."""
    record.sign_offs = panel.history
    record.latest_sign_off = panel.status.latest
    record.changed_since_signed = record.latest_sign_off is not None and panel.signed_version != record.version
    return panel


def _risk_context(request: HttpRequest, risk: Risk, *, form=None, conflict: str | None = None, **extra) -> dict:
    criteria = risk.criteria
    action_url = reverse("assessments:risk_accept", args=[risk.management_system_id, risk.pk])
    panel = signed_as_panel(
        risk, signoff_panel(request, signoffs.ACCEPTANCE, risk, action_url=action_url, form=form, conflict=conflict)
    )
    return {
        "ms": risk.management_system,
        "risk": risk,
        "criteria": criteria,
        "current": services.current_criteria(management_system=risk.management_system),
        "can_edit": access.can(request.user, Action.EDIT, risk),
        "can_delete": access.can(request.user, Action.DELETE, risk),
        "remove_verb": removal_verb(risk) if access.can(request.user, Action.DELETE, risk) else "",
        "signoff": panel,
        "likelihood_label": criteria.likelihood_label(risk.likelihood),
        "consequence_label": criteria.consequence_label(risk.consequence),
        "residual_likelihood_label": criteria.likelihood_label(risk.residual_likelihood),
        "residual_consequence_label": criteria.consequence_label(risk.residual_consequence),
        "residual_evaluation_label": Risk.Evaluation(risk.residual_judgement).label if risk.residual_judgement else "",
        "party_ratings": [
            (
                str(Risk._meta.get_field(name).verbose_name).removeprefix("consequence rating for ").capitalize(),
                getattr(risk, name),
            )
            for name in RiskForm.PARTY_RATINGS
        ]
        if criteria.consequence_basis == RiskCriteria.ConsequenceBasis.PER_PARTY
        else [],  # fmt: skip
        "criteria_approved": selectors.criteria_is_approved(criteria),
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def risk_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    risk = _risk(request, ms_id, pk, Action.VIEW)
    return render(request, "assessments/risk_detail.html", _risk_context(request, risk))


@login_required
@require_GET
def risk_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    risk = _risk(request, ms_id, pk, Action.VIEW_HISTORY, links=False)
    versions = paged_history(request, selectors.history_of(risk), Risk)
    actions = paged_rows(request, selectors.action_history(risk), param="action_history_page")
    context = _risk_context(request, risk, tab="history", versions=versions, child_history=actions)
    return render(request, "assessments/risk_detail.html", context)


@login_required
@require_http_methods(["POST"])
def risk_accept(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    risk = _risk(request, ms_id, pk, Action.VIEW)
    done_url = reverse("assessments:risk_detail", args=[risk.management_system_id, risk.pk])
    return sign_off_page(
        request,
        signoffs.ACCEPTANCE,
        risk,
        done_url=done_url,
        template="assessments/risk_detail.html",
        context=lambda form, conflict: _risk_context(request, risk, form=form, conflict=conflict),
    )


@transaction.atomic
def _save_risk(request: HttpRequest, ms: ManagementSystem, form: RiskForm, formset, risk: Risk | None) -> Risk:
    fields = form.register_fields()
    actions = formset_actions(formset)
    if risk is None:
        return services.risk_create(
            management_system=ms, user=request.user, reason=form.reason(), actions=actions, **fields
        )
    return services.risk_update(
        risk,
        user=request.user,
        expected_version=form.cleaned_data["version"],
        reason=form.reason(),
        actions=actions,
        rescore=form.cleaned_data.get("rescore", False),
        **fields,
    )


def _risk_form_page(request: HttpRequest, ms: ManagementSystem, risk: Risk | None) -> HttpResponse:
    current = services.current_criteria(management_system=ms)
    if current is None:
        return render(
            request,
            "assessments/criteria_missing.html",
            {"ms": ms, "can_create": access.can(request.user, Action.CREATE, ms)},
        )
    criteria = risk.criteria if risk else current
    instance = copy.copy(risk) if risk else None
    initial = {"version": risk.version} if risk else {}
    form = RiskForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        management_system=ms,
        criteria=criteria,
        current=current,
    )
    formset = action_formset(request.POST or None, ms, risk)
    conflict = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved, conflict = save_or_conflict(form, lambda: _save_risk(request, ms, form, formset, risk))
        if saved is not None:
            messages.success(
                request, f"{saved.reference} was saved ({saved.get_inherent_level_display()} inherent risk)."
            )
            return redirect("assessments:risk_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "formset": formset, "risk": risk, "criteria": criteria, "conflict": conflict}
    return render(request, "assessments/risk_form.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def risk_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id, Action.CREATE)
    return _risk_form_page(request, ms, None)


@login_required
@require_http_methods(["GET", "POST"])
def risk_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    risk = _risk(request, ms_id, pk, Action.EDIT)
    return _risk_form_page(request, risk.management_system, risk)


@login_required
@require_http_methods(["GET", "POST"])
def risk_delete(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    risk = _risk(request, ms_id, pk, Action.DELETE)
    detail = reverse("assessments:risk_detail", args=[ms_id, risk.pk])
    done = reverse("assessments:risk_list", args=[ms_id])
    return confirm_remove(
        request, risk, delete=services.risk_delete, retire=services.risk_withdraw, cancel_url=detail, done_url=done
    )


# --- heat map --------------------------------------------------------------------------


def cell_url_for(ms: ManagementSystem):
    """A function giving the filtered register's URL for one heat map cell."""
    base = reverse("assessments:risk_list", args=[ms.pk])
    return lambda basis, likelihood, consequence: (
        f"{base}?basis={basis}&likelihood={likelihood}&consequence={consequence}"
    )


@login_required
@require_GET
def heatmap_page(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    form = AsOfForm(request.GET)
    as_of = form.moment()
    data = heatmap(ms, as_of)
    # Cells link to the current register, so a past heat map has no links.
    svg = heatmap_svg(ms, cell_url=None if as_of else cell_url_for(ms), data=data)
    return render(
        request, "assessments/heatmap.html", {"ms": ms, "heatmap": data, "svg": svg, "form": form, "as_of": as_of}
    )
