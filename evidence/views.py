"""Evidence pages: list, record (file or link), detail with versions, correct, download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from aims import access
from aims.access import Action
from aims.files import UnsafeStoredName
from aims.forms import add_service_errors
from aims.pages import open_management_system
from evidence import selectors, services
from evidence.filters import EvidenceFilterSet
from evidence.forms import EvidenceForm
from evidence.models import Evidence
from evidence.upload import refused_upload, with_upload_limit

PAGE_SIZE = 50


@login_required
@require_GET
def evidence_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    """List current evidence with its age; stale evidence is flagged."""
    ms = open_management_system(request, ms_id)
    rows = selectors.evidence_list(user=request.user, management_system=ms)
    filterset = EvidenceFilterSet(request.GET, rows, request=request, management_system=ms)
    applied = filterset.applied()
    page_obj = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page_obj.object_list = selectors.attach_links(selectors.with_age(page_obj.object_list))
    return render(
        request,
        "evidence/evidence_list.html",
        {
            "ms": ms,
            "filterset": filterset,
            "filtered": filterset.is_filtered,
            "rows": page_obj.object_list,
            "page_obj": page_obj,
            "show_all": applied.get("all", False),
            "can_create": access.can(request.user, Action.CREATE, ms),
            "stale_days": settings.EVIDENCE_STALE_DAYS,
        },
    )


def _save(request: HttpRequest, ms, form: EvidenceForm, previous: Evidence | None) -> Evidence | None:
    """Call the service; put its validation errors next to the fields."""
    data = form.cleaned_data
    try:
        if previous is None:
            return services.evidence_create(
                management_system=ms,
                user=request.user,
                title=data["title"],
                description=data["description"],
                evidence_date=data["evidence_date"],
                upload=data.get("file"),
                url=data.get("url") or "",
                links=form.links(),
            )
        return services.evidence_supersede(
            previous,
            user=request.user,
            title=data["title"],
            description=data["description"],
            evidence_date=data["evidence_date"],
            upload=data.get("file"),
            url=data.get("url") or "",
            links=form.links(),
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@login_required
@require_http_methods(["GET", "POST"])
@with_upload_limit
def evidence_create(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Record new evidence: upload a file or give a link."""
    ms = open_management_system(request, ms_id, Action.CREATE)
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = EvidenceForm(data, files, management_system=ms, upload_refused=refused_upload(request))
    if request.method == "POST" and form.is_valid():
        evidence = _save(request, ms, form, None)
        if evidence is not None:
            messages.success(request, f"{evidence.reference} recorded.")
            return redirect("evidence:detail", ms.pk, evidence.pk)
    return render(request, "evidence/evidence_form.html", {"ms": ms, "form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
@with_upload_limit
def evidence_supersede(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Record a corrected version; the earlier one stays as it was."""
    ms = open_management_system(request, ms_id, Action.CREATE)
    previous = selectors.evidence_in(user=request.user, management_system=ms, pk=pk)
    initial = {"title": previous.title, "description": previous.description, **selectors.current_links(previous)}
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = EvidenceForm(data, files, management_system=ms, initial=initial, upload_refused=refused_upload(request))
    if request.method == "POST" and form.is_valid():
        evidence = _save(request, ms, form, previous)
        if evidence is not None:
            messages.success(request, f"{evidence.reference} recorded; it supersedes {previous.reference}.")
            return redirect("evidence:detail", ms.pk, evidence.pk)
    context = {"ms": ms, "form": form, "previous": previous}
    return render(request, "evidence/evidence_form.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def evidence_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """Show one evidence item, its versions and who downloaded it."""
    ms = open_management_system(request, ms_id)
    evidence = selectors.evidence_in(user=request.user, management_system=ms, pk=pk)
    selectors.with_age([evidence])
    context = {
        "ms": ms,
        "evidence": evidence,
        "versions": selectors.evidence_versions(evidence),
        "downloads": selectors.evidence_downloads(evidence),
        "can_create": access.can(request.user, Action.CREATE, ms),
    }
    return render(request, "evidence/evidence_detail.html", context)


def evidence_file_response(evidence: Evidence, *, user, channel: str) -> FileResponse:
    """Serve an evidence file as an attachment (never inline) and record the download."""
    if evidence.kind != Evidence.Kind.FILE or not evidence.file:
        raise Http404("This evidence is a link, not a file.")
    try:
        handle = selectors.open_evidence_file(evidence)
    except (FileNotFoundError, UnsafeStoredName):
        raise Http404("The evidence file is missing.") from None
    services.evidence_download_record(evidence=evidence, user=user, channel=channel)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=services.content_disposition_name(evidence),
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def evidence_download(request: HttpRequest, ms_id: int, pk: int) -> FileResponse:
    """Download an evidence file (recorded)."""
    ms = open_management_system(request, ms_id)
    evidence = selectors.evidence_in(user=request.user, management_system=ms, pk=pk)
    return evidence_file_response(evidence, user=request.user, channel="web")
