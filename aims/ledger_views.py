"""The sign-off chain of a management system: the latest background check and the chain, a page at a time."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from aims import ledger, mfa, signing
from aims.models import LedgerCheck, SignOff
from aims.pages import open_management_system

PAGE_SIZE = 50


@login_required
@require_GET
def verify(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    checks = LedgerCheck.objects.filter(management_system=ms).order_by("-requested_at", "-pk")
    check = checks.filter(status=LedgerCheck.Status.DONE).first()  # the last result
    latest = checks.first()  # queued, running or could not run after it?
    pending = latest if latest is not None and (check is None or latest.pk != check.pk) else None
    result = check.result if check else None
    broken_id = result["first_broken"]["id"] if result and result["first_broken"] else None
    chain = SignOff.objects.filter(management_system=ms).select_related("signer", "subject_type").order_by("sequence")
    page_obj = Paginator(chain, PAGE_SIZE).get_page(request.GET.get("page"))
    for signoff in page_obj.object_list:
        signoff.kind_label = ledger.kind_label(signoff.kind)
        signoff.subject_url = ledger.subject_url(signoff)
        signoff.is_broken = signoff.pk == broken_id
        signoff.verification_label = mfa.VERIFICATION_LABELS.get(signoff.verification, signoff.verification)
    anchor = result.get("anchor") if result else None
    if anchor:
        anchor = {**anchor, "when": parse_datetime(str(anchor["signed_at"]))}
    context = {
        "ms": ms,
        "check": check,
        "pending": pending,
        "result": result,
        "page_obj": page_obj,
        "chain": page_obj.object_list,
        "total": page_obj.paginator.count,
        "genesis": ledger.GENESIS_DIGEST,
        "anchor": anchor,
        "fingerprint": signing.fingerprint(),
        "unsigned_note": ledger.UNSIGNED_NOTE,
    }
    return render(request, "ledger/ledger_verify.html", context)


@login_required
@require_POST
def verify_now(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Queue a check of the chain now (or keep the one already queued or running)."""
    ms = open_management_system(request, ms_id)
    _check, queued = ledger.check_request(ms, user=request.user)
    messages.info(
        request,
        "Verification queued: this page shows its result when it has run."
        if queued
        else "A verification is already queued or running: this page shows its result when it has run.",
    )
    return redirect("ledger:verify", ms.pk)
