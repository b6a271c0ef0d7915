"""Audit pack pages: list and request, status for the progress bar, authorised downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims import signing
from aims.access import Action
from aims.files import UnsafeStoredName
from aims.forms import add_service_errors
from aims.models import ManagementSystem
from aims.pages import open_management_system
from packs import selectors, services
from packs.forms import PackRequestForm
from packs.models import AuditPack, PackDownload
from packs.render import VERIFIER_NAME, VERIFIER_PATH

QUEUE_DOWN_MESSAGE = (
    "The job queue is unreachable, so pack #{pk} was not queued. Nothing is lost: the request is saved. "
    "Use Retry on its row in a moment."
)


@login_required
@require_http_methods(["GET", "POST"])
def pack_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    """List the packs and request a new one."""
    ms = open_management_system(request, ms_id, Action.REQUEST_PACK)
    form = PackRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pack = services.pack_request(
                management_system=ms,
                user=request.user,
                kind=form.cleaned_data["kind"],
                as_of_date=form.cleaned_data["as_of"],
                scope=form.scope(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if pack.status == AuditPack.Status.NOT_QUEUED:
                messages.error(request, QUEUE_DOWN_MESSAGE.format(pk=pack.pk))
                return _list_page(request, ms, PackRequestForm(), status=503)
            messages.success(request, f"Pack #{pack.pk} is queued; this page shows its progress.")
            return redirect("packs:list", ms.pk)
    return _list_page(request, ms, form, status=400 if form.errors else 200)


def _list_page(request: HttpRequest, ms: ManagementSystem, form: PackRequestForm, *, status: int) -> HttpResponse:
    packs = list(selectors.pack_list(management_system=ms)[:50])
    return render(
        request,
        "packs/auditpack_list.html",
        {
            "ms": ms,
            "form": form,
            "packs": packs,
            "active": any(p.is_active for p in packs),
            "fingerprint": signing.fingerprint(),
        },
        status=status,
    )


@login_required
@require_POST
def pack_retry(request: HttpRequest, ms_id: int, pack_id: int) -> HttpResponse:
    """Queue a failed, not queued or stuck pack again."""
    ms = open_management_system(request, ms_id, Action.REQUEST_PACK)
    pack = selectors.pack_get(management_system=ms, pack_id=pack_id)
    try:
        pack = services.pack_retry(pack, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if pack.status == AuditPack.Status.NOT_QUEUED:
            messages.error(request, QUEUE_DOWN_MESSAGE.format(pk=pack.pk))
            return _list_page(request, ms, PackRequestForm(), status=503)
        messages.success(request, f"Pack #{pack.pk} is queued again.")
    return redirect("packs:list", ms.pk)


@login_required
@require_GET
def pack_status(request: HttpRequest, ms_id: int, pack_id: int) -> JsonResponse:
    """Status and progress of one pack, for the progress bar."""
    ms = open_management_system(request, ms_id, Action.REQUEST_PACK)
    pack = selectors.pack_get(management_system=ms, pack_id=pack_id)
    data = selectors.pack_status(pack)
    if pack.is_ready:
        data["download_url"] = reverse("packs:download", args=[ms.pk, pack.pk, "pdf"])
        data["bundle_url"] = reverse("packs:download", args=[ms.pk, pack.pk, "bundle"])
    return JsonResponse(data)


def pack_file_response(pack: AuditPack, part: str, *, user, channel: str) -> FileResponse:
    """Stream a ready pack's PDF or bundle from the pack storage as an attachment and record the download.

    The file is read through the storage (a local folder or an object store) by this
    process, after the caller checked the permission: no link to the storage is handed out.
    """
    if not pack.is_ready or part not in PackDownload.Part.values:
        raise Http404("This pack is not ready.")
    try:
        handle = services.open_pack_file(pack, part)
    except (FileNotFoundError, UnsafeStoredName):
        raise Http404("The pack file is missing.") from None
    services.pack_download_record(pack=pack, user=user, part=part, channel=channel)
    content_type = "application/pdf" if part == PackDownload.Part.PDF else "application/zip"
    filename = pack.file_name if part == PackDownload.Part.PDF else pack.bundle_name
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def pack_download(request: HttpRequest, ms_id: int, pack_id: int, part: str) -> FileResponse:
    """Download a ready pack's PDF or evidence bundle."""
    ms = open_management_system(request, ms_id, Action.REQUEST_PACK)
    pack = selectors.pack_get(management_system=ms, pack_id=pack_id)
    return pack_file_response(pack, part, user=request.user, channel="web")


@login_required
@require_GET
def verifier_download(request: HttpRequest) -> FileResponse:
    """The standalone verifier, aims-verify.py (the same file every bundle carries)."""
    response = FileResponse(
        VERIFIER_PATH.open("rb"), as_attachment=True, filename=VERIFIER_NAME, content_type="text/x-python"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
