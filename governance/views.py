"""The management system's index page (its own records, clause by clause) and the way to its AI policy."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aims.pages import open_management_system
from governance import menu
from governance.models import Document, DocumentVersion

AI_POLICY = "ai_policy"


def home(request: HttpRequest, ms_id: int) -> HttpResponse:
    """List the management system's registers in the order of clauses 4 to 7."""
    ms = open_management_system(request, ms_id)
    return render(request, "governance/home.html", {"ms": ms, "entries": menu.entries(ms.pk)})


def ai_policy(request: HttpRequest, ms_id: int) -> HttpResponse:
    """Go to the AI policy's approved version (or, before its first approval, its newest version)."""
    ms = open_management_system(request, ms_id)
    policy = Document.objects.filter(management_system=ms, key=AI_POLICY, retired_at__isnull=True).first()
    if policy is None:
        messages.info(request, "This management system has no AI policy yet: add the required documents first.")
        return redirect("governance:document_list", ms.pk)
    versions = DocumentVersion.objects.filter(document=policy)
    version = versions.filter(status=DocumentVersion.Status.APPROVED).first() or versions.order_by("-number").first()
    if version is None:
        return redirect("governance:document_detail", ms.pk, policy.pk)
    return redirect("governance:version_detail", ms.pk, version.pk)
