"""The event log of a management system's gateway: the list with its filters, one event, and "Verify".

Every member reads, auditors included; outsiders get 404 (``aims.pages``). Verifying changes
nothing, so any member may ask for it (a POST, because it is work, not a page to link to).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from aims.pages import open_management_system, open_record
from gateway.events import selectors
from gateway.events.filters import GatewayEventFilterSet

PAGE_SIZE = 50


@login_required
@require_GET
def event_list(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The management system's gateway events, newest first, filtered."""
    ms = open_management_system(request, ms_id)
    filterset = GatewayEventFilterSet(
        request.GET, selectors.event_log(management_system=ms), request=request, management_system=ms
    )
    page_obj = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page_obj.object_list = selectors.with_keys(list(page_obj.object_list))
    context = {
        "ms": ms,
        "filterset": filterset,
        "filtered": filterset.is_filtered,
        "clear_url": reverse("gateway:events", args=[ms.pk]),
        "page_obj": page_obj,
        "events": page_obj.object_list,
    }
    return render(request, "gateway/event_list.html", context)


@login_required
@require_GET
def event_detail(request: HttpRequest, ms_id: int, pk: int) -> HttpResponse:
    """One event with every field, the digest before it, its bodies (while kept) and the events it links to."""
    event = open_record(request, selectors.event_queryset(user=request.user), ms_id, pk)
    detail = selectors.event_detail(event)
    bodies = [
        (label, digest, body, selectors.body_gone_reason(event))
        for label, digest, body in (
            ("Redacted request", event.request_sha256, detail.request_body),
            ("Response", event.response_sha256, detail.response_body),
        )
        if digest
    ]
    context = {"ms": event.management_system, "event": event, "detail": detail, "bodies": bodies}
    return render(request, "gateway/event_detail.html", context)


@login_required
@require_POST
def events_verify(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Recompute every digest and link of the management system's event chains and show the result."""
    ms = open_management_system(request, ms_id)
    result = selectors.verification(ms)
    return render(request, "gateway/event_verify.html", {"ms": ms, "result": result}, status=200)
