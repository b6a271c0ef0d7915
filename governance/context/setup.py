"""Wiring of the context family into the kit: evidence links and the pack section."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

import evidence
from governance.context import pack
from governance.models import ContextIssue, InterestedParty, Requirement


def _url(name: str) -> Any:
    return lambda obj: reverse(f"governance:{name}_detail", args=[obj.management_system_id, obj.pk])


def register() -> None:
    """Called from GovernanceConfig.ready()."""
    evidence.register_linkable(
        ContextIssue, key="context_issues", label="Context issues", order=14, url=_url("context_issue"), compact=True
    )
    evidence.register_linkable(
        InterestedParty,
        key="interested_parties",
        label="Interested parties",
        order=15,
        url=_url("interested_party"),
        describe=lambda party: f"{party.reference} {party.name}",
        compact=True,
    )
    evidence.register_linkable(
        Requirement,
        key="legal_requirements",
        label="Legal and regulatory requirements",
        order=16,
        url=_url("requirement"),
        describe=lambda req: f"{req.reference} {req.source_reference or req.title[:80]}",
        compact=True,
    )
    pack.register()
