"""Approving the scope is a sign-off (kind ``scope_approval``, see ``aims.ledger``).

The signature binds the scope's version (its parts and the AI systems written into it) and the
versions of its exclusions. The approval service first writes the inventory's in-scope AI systems
into the scope (``FREEZE_REASON``), then signs: that write is the approval's own step, so it does
not make the signer the last editor of what they sign (the four-eyes rule looks past it).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from aims import ledger
from governance.models import Scope, ScopeExclusion

SCOPE_APPROVAL = "scope_approval"
FREEZE_REASON = "AI systems in scope frozen at approval"


def _exclusion_rows(scope: Scope) -> list[Any]:
    """The latest version of each of the scope's exclusions (one query, whatever their number)."""
    ids = [exclusion.pk for exclusion in scope.exclusions.all()]
    if not ids:
        return []
    rows = ScopeExclusion.history.filter(id__in=ids).latest_of_each()
    return sorted(rows, key=lambda row: row.id)


def scope_versions(scope: Scope) -> list[Any]:
    """The scope's latest version and those of its exclusions."""
    own = scope.history.order_by("-history_id").first()
    return [row for row in [own, *_exclusion_rows(scope)] if row is not None]


def scope_blockers(scope: Scope) -> list[str]:
    """What stops the scope from being approved: units and sites named, an activity, every exclusion justified."""
    missing = []
    if not scope.unit_list:
        missing.append("Name the organisational units inside the scope.")
    if not scope.site_list:
        missing.append("Name the sites inside the scope.")
    if not scope.activity_list:
        missing.append("Name at least one activity inside the scope.")
    unjustified = [e.excluded for e in scope.exclusions.all() if not e.rationale.strip()]
    if unjustified:
        missing.append(f"Give the rationale of every exclusion: {', '.join(unjustified)}.")
    return missing


def scope_last_editor(scope: Scope) -> int | None:
    """Who last changed the scope's content: the approval's own freezing of the AI systems does not count."""
    own = scope.history.exclude(history_change_reason=FREEZE_REASON).order_by("-history_id").first()
    rows = [own, *_exclusion_rows(scope)]
    newest = max((r for r in rows if r is not None), key=lambda r: (r.history_date, r.history_id), default=None)
    return getattr(newest, "history_user_id", None)


def scope_url(ms_id: int, name: str = "scope") -> str:
    return reverse(f"governance:{name}", args=[ms_id])


def register() -> None:
    """Declare the approval of the scope as a kind of sign-off."""
    ledger.register_signable(
        SCOPE_APPROVAL,
        label="Scope approval",
        subject_model=Scope,
        versions=scope_versions,
        blockers=scope_blockers,
        last_editor=scope_last_editor,
        diff_url=lambda scope, signoff: scope_url(scope.management_system_id, "scope_history"),
        subject_url=lambda signoff: scope_url(signoff.management_system_id),
        rule=lambda scope: (
            "Top management (leadership or an owner) approves the scope (4.3). The AI systems in "
            "scope are taken from the inventory and frozen at approval."
        ),
        statement="I approve this scope of the AI management system, with its exclusions and the AI systems in scope.",
    )
