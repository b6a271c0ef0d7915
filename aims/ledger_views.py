"""The sign-off chain of a management system, verified on every visit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from aims import ledger, mfa, signing
from aims.models import SignOff
from aims.pages import open_management_system


@login_required
@require_GET
def verify(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    result = ledger.verify(ms)
    broken_id = result["first_broken"]["id"] if result["first_broken"] else None
    chain = list(
        SignOff.objects.filter(management_system=ms).select_related("signer", "subject_type").order_by("sequence")
    )
    for signoff in chain:
        signoff.kind_label = ledger.kind_label(signoff.kind)
        signoff.subject_url = ledger.subject_url(signoff)
        signoff.is_broken = signoff.pk == broken_id
        signoff.verification_label = mfa.VERIFICATION_LABELS.get(signoff.verification, signoff.verification)
    anchor = result.get("anchor")
    if anchor:
        anchor = {**anchor, "when": parse_datetime(str(anchor["signed_at"]))}
    context = {
        "ms": ms,
        "result": result,
        "chain": chain,
        "genesis": ledger.GENESIS_DIGEST,
        "anchor": anchor,
        "fingerprint": signing.fingerprint(),
        "unsigned_note": ledger.UNSIGNED_NOTE,
    }
    return render(request, "ledger/ledger_verify.html", context)
