"""The citations page of one SoA row: the control, its decision and justification, what the justification
cites, a form to cite one more record, remove buttons and the citations' history.

Owners and officers add and remove; every member reads; outsiders get 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from aims import access
from aims.access import Action
from aims.models import ManagementSystem
from aims.pages import open_management_system, open_record, save_or_conflict
from controls.models import Applicability
from governance.citations import selectors, services
from governance.citations.forms import CitationForm, RemoveCitationForm


def page_url(row: Any) -> str:
    return reverse("governance:soa_citations", args=[row.management_system_id, row.pk])


def _open_row(request: HttpRequest, ms_id: Any, row_id: Any) -> Applicability:
    return open_record(request, Applicability.objects.select_related("control", "management_system"), ms_id, row_id)


def _render(
    request: HttpRequest,
    row: Applicability,
    *,
    form: CitationForm | None = None,
    remove_errors: dict[int, Any] | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> HttpResponse:
    ms: ManagementSystem = row.management_system
    can_cite = access.can(request.user, Action.CREATE, ms)
    citations = selectors.citations_of(row)
    for citation in citations:
        citation.remove_form = RemoveCitationForm(initial={"version": citation.version}) if can_cite else None
        citation.remove_errors = (remove_errors or {}).get(citation.pk)
    if can_cite and form is None:
        form = CitationForm(choices=selectors.target_choices(ms))
    context = {
        "ms": ms,
        "row": row,
        "citations": citations,
        "form": form if can_cite else None,
        "can_cite": can_cite,
        "conflict": conflict,
        "history": selectors.row_history_entries(row),
    }
    return render(request, "governance/citations/soa_row.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def soa_citations(request: HttpRequest, ms_id: int, row_id: int) -> HttpResponse:
    row = _open_row(request, ms_id, row_id)
    if request.method == "GET":
        return _render(request, row)
    ms = open_management_system(request, row.management_system_id, Action.CREATE)
    form = CitationForm(request.POST, choices=selectors.target_choices(ms))
    if form.is_valid():
        data = form.cleaned_data
        saved, _conflict = save_or_conflict(
            form,
            lambda: services.citation_add(
                applicability=row,
                user=request.user,
                reason_type=data["reason_type"],
                note=data["note"],
                reason=form.reason(),
                **form.targets(),
            ),
        )
        if saved is not None:
            messages.success(request, f"{row.control.key} now cites {saved.label} ({saved.reference}).")
            return redirect(page_url(row))
    return _render(request, row, form=form, status=400)


@login_required
@require_POST
def soa_citation_remove(request: HttpRequest, ms_id: int, row_id: int, pk: int) -> HttpResponse:
    row = _open_row(request, ms_id, row_id)
    citation = open_record(request, selectors.citation_queryset().filter(applicability=row), ms_id, pk, Action.DELETE)
    form = RemoveCitationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _done, conflict = save_or_conflict(
            form,
            lambda: services.citation_remove(
                citation, user=request.user, expected_version=data["version"], reason=form.reason()
            ),
        )
        if conflict is None and not form.errors:
            messages.success(request, f"{citation.reference} ({citation.label}) was removed. Its history is kept.")
            return redirect(page_url(row))
        if conflict is not None:
            return _render(request, row, conflict=conflict, status=409)
    return _render(request, row, remove_errors={citation.pk: form.errors}, status=400)
