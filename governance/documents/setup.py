"""Wiring of the documents family into the kit: the approval sign-off, seeding, evidence links, pack sections."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def document_url(document: Any) -> str:
    return reverse("governance:document_detail", args=[document.management_system_id, document.pk])


def register() -> None:
    """Called from GovernanceConfig.ready()."""
    import evidence
    from aims import hooks
    from governance.documents import pack, signoffs
    from governance.documents.seeding import seed_required_documents
    from governance.models import Document

    signoffs.register()
    hooks.on_management_system_created(seed_required_documents)
    evidence.register_linkable(
        Document,
        key="documents",
        label="Documents",
        order=15,
        url=document_url,
        describe=lambda document: f"{document.identifier} {document.title}",
        compact=True,
    )
    pack.register()
