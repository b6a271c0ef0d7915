"""HTML pages of controlled documents: the master list, a document with its versions and History, its form,
and the button that adds the required documents a management system lacks. Versions are in ``version_views``."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import access
from aims.access import Action
from aims.forms import add_service_errors
from aims.models import ManagementSystem
from aims.pages import open_management_system, open_record, save_or_conflict
from governance.documents import selectors, services
from governance.documents.filters import DocumentFilterSet
from governance.documents.forms import DocumentForm, StepForm
from governance.documents.required import REQUIRED
from governance.documents.seeding import seed_required_documents
from governance.models import Document
from improvement.pages import form_status, history_page, list_page


def open_document(request: HttpRequest, ms_id: Any, pk: Any, action: Action = Action.VIEW) -> Document:
    """The document of the page, with its versions and requirements, or 404/403."""
    document = open_record(request, selectors.document_queryset(user=request.user), ms_id, pk, action)
    selectors.with_versions([document])
    return document


def _missing_required(ms: ManagementSystem) -> int:
    have = set(Document.objects.filter(management_system=ms).values_list("key", flat=True))
    return sum(1 for spec in REQUIRED if spec.key not in have)


@login_required
@require_GET
def document_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The master list of documents (7.5.3): what is approved, in progress and overdue for review."""
    ms = open_management_system(request, ms_id)
    filterset = DocumentFilterSet(
        request.GET, selectors.document_list(user=request.user, management_system=ms), request=request,
        management_system=ms,
    )  # fmt: skip
    can_create = access.can(request.user, Action.CREATE, ms)
    return list_page(
        request,
        "governance/documents/document_list.html",
        filterset,
        annotate=selectors.with_versions,
        can_create=can_create,
        missing_required=_missing_required(ms) if can_create else 0,
    )


@login_required
@require_POST
def document_seed(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Add the required documents the management system lacks, each with its starter text."""
    ms = open_management_system(request, ms_id, Action.CREATE)
    added = seed_required_documents(ms, request.user)
    if added:
        messages.success(request, f"{len(added)} required document{'s' if len(added) != 1 else ''} added as drafts.")
    else:
        messages.info(request, "Every required document is already in the register.")
    return redirect("governance:document_list", ms_id=ms.pk)


def document_context(request: HttpRequest, document: Document, **extra: Any) -> dict[str, Any]:
    """What the document page shows: its control data, versions, requirements, evidence."""
    can_edit = access.can(request.user, Action.EDIT, document) and not document.is_retired
    return {
        "ms": document.management_system,
        "document": document,
        "versions": list(document.versions.all()),
        "can_edit": can_edit,
        "can_start_version": can_edit and document.open_version is None,
        "step_form": StepForm(initial={"version": document.version}),
        "tab": "details",
        **extra,
    }


@login_required
@require_GET
def document_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    document = open_document(request, ms_id, pk)
    return render(request, "governance/documents/document_detail.html", document_context(request, document))


@login_required
@require_GET
def document_history(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    document = open_document(request, ms_id, pk, Action.VIEW_HISTORY)
    return history_page(
        request, "governance/documents/document_detail.html", document, selectors.history_of(document), document_context
    )


def _form_page(request: HttpRequest, ms: ManagementSystem, document: Document | None) -> HttpResponse:
    initial = {"version": document.version} if document else {}
    form = DocumentForm(
        request.POST or None, instance=copy.copy(document) if document else None, initial=initial, management_system=ms
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = form.register_fields()
        if document is None:
            call = lambda: services.document_create(  # noqa: E731
                management_system=ms, user=request.user, reason=form.reason(), **fields
            )
        else:
            call = lambda: services.document_update(  # noqa: E731
                document, user=request.user, expected_version=form.cleaned_data["version"], reason=form.reason(),
                **fields,
            )  # fmt: skip
        saved, conflict = save_or_conflict(form, call)
        if saved is not None:
            messages.success(request, f"{saved.identifier} was saved.")
            return redirect("governance:document_detail", ms_id=ms.pk, pk=saved.pk)
    context = {"ms": ms, "form": form, "document": document, "conflict": conflict}
    return render(
        request, "governance/documents/document_form.html", context, status=form_status(conflict, bool(form.errors))
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    return _form_page(request, open_management_system(request, ms_id, Action.CREATE), None)


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    document = open_document(request, ms_id, pk, Action.EDIT)
    if document.is_retired:
        messages.info(request, f"{document.identifier} is withdrawn: it no longer changes.")
        return redirect("governance:document_detail", ms_id=document.management_system_id, pk=document.pk)
    return _form_page(request, document.management_system, document)


@login_required
@require_POST
def version_new(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Start the next version of a document as a draft copied from the latest one."""
    document = open_document(request, ms_id, pk, Action.EDIT)
    form = StepForm(request.POST)
    try:
        version = services.version_new(document, user=request.user)
    except ValidationError as exc:  # shown on the document page
        form.is_valid()
        add_service_errors(form, exc)
        context = document_context(request, document, step_form=form)
        return render(request, "governance/documents/document_detail.html", context, status=400)
    messages.success(request, f"Version {version.number} of {document.identifier} was started as a draft.")
    return redirect("governance:version_edit", ms_id=document.management_system_id, pk=version.pk)
