"""The AIMS scope in audit packs (4.3): the scope as it stood on the pack's date, its approval and whether it
holds, the AI systems frozen at approval and, if the inventory on that date differs, what changed since.

Read from the history tables with a fixed number of queries whatever the number of AI systems,
exclusions and linked records.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aims.history import by_id, links_as_of, rows_as_of
from aims.pack_gather import latest_sign_offs_as_of
from aims.pack_sections import ALL_KINDS, PackData, register_pack_section
from aims.signoff_currency import Currency, currencies
from governance.models import ContextIssue, Document, Requirement, Scope, ScopeExclusion
from governance.scope.selectors import compare, is_in_scope
from governance.scope.signoffs import SCOPE_APPROVAL
from registers.pack import inventory_as_of

SECTION = "aims_scope"


def _approval(data: PackData, scope: Any, exclusions: list[Any]) -> Currency:
    """The scope's latest approval on the pack's date and what changed in its parts since."""
    latest = latest_sign_offs_as_of(data, SCOPE_APPROVAL)
    return currencies(SCOPE_APPROVAL, latest, [(scope.id, scope.version, [scope, *exclusions])])[scope.id]


def _frozen_ids(approval: Currency) -> set[int] | None:
    """The AI systems in the approved version (None when the scope was not approved by the date)."""
    signoff = approval.signoff
    if signoff is None:
        return None
    label = Scope._meta.label_lower
    history_id = next((int(h) for lab, h in signoff.versions if lab == label), None)
    if history_id is None:
        return set()
    row = SimpleNamespace(history_id=history_id, id=signoff.subject_id)
    return set(links_as_of(Scope, "ai_systems", [row]).get(signoff.subject_id, []))


def _linked(model: type, data: PackData, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return rows_as_of(model, data.as_of, management_system_id=data.management_system_id, id__in=ids)


def gather_scope(data: PackData) -> None:
    """The scope as of the pack's date, its document control block and the AI systems against the inventory."""
    ms_id, as_of = data.management_system_id, data.as_of
    rows = rows_as_of(Scope, as_of, management_system_id=ms_id)
    scope = rows[0] if rows else None
    documents = rows_as_of(Document, as_of, management_system_id=ms_id, key="scope")
    document = documents[0] if documents else None
    data.parts["aims_scope"] = scope
    data.parts["aims_scope_document"] = document
    if scope is None:
        data.document_control(
            SECTION, identifier=document.identifier if document else "", version="Not written by this date",
            note="No structured scope was recorded by this date.",
        )  # fmt: skip
        return
    exclusions = rows_as_of(ScopeExclusion, as_of, scope_id=scope.id)
    links = {name: links_as_of(Scope, name, [scope]).get(scope.id, []) for name in Scope.link_fields()}
    data.parts["aims_scope_exclusions"] = exclusions
    data.parts["aims_scope_issues"] = _linked(ContextIssue, data, links["context_issues"])
    data.parts["aims_scope_requirements"] = _linked(Requirement, data, links["requirements"])
    approval = data.parts["aims_scope_approval"] = _approval(data, scope, exclusions)
    _systems(data, approval)
    data.document_control(
        SECTION,
        identifier=document.identifier if document else scope.reference,
        version=_version_text(scope, approval),
        approval=approval,
        next_review=getattr(document, "next_review_on", None),
        note="The scope is not approved by this date.",
    )


def _systems(data: PackData, approval: Currency) -> None:
    """The frozen AI systems and, when the inventory on the date differs, which were added or removed since."""
    inventory = inventory_as_of(data)
    systems = by_id(inventory["systems"])
    current = [s for s in inventory["systems"] if is_in_scope(s)]
    frozen_ids = _frozen_ids(approval)
    added, removed = compare(frozen_ids, current, systems)
    data.parts["aims_scope_frozen"] = sorted(
        (systems[pk] for pk in (frozen_ids or ()) if pk in systems), key=lambda s: s.reference
    )
    data.parts["aims_scope_current"] = current
    data.parts["aims_scope_added"] = added
    data.parts["aims_scope_removed"] = removed
    data.parts["aims_scope_changed"] = bool(added or removed)


def _version_text(scope: Any, approval: Currency) -> str:
    if not approval.signed:
        return f"Version {scope.version}: not approved by this date"
    signed = approval.signed_version or scope.version
    if approval.changed_since:
        return f"Version {scope.version}; version {signed} approved in sign-off #{approval.signoff.sequence}"
    return f"Version {signed}, approved in sign-off #{approval.signoff.sequence}"


def register() -> None:
    register_pack_section(
        SECTION,
        title="AIMS scope",
        clause="4.3",
        kinds=ALL_KINDS,
        order=10,
        gather=gather_scope,
        template="governance/scope/pack/section_scope.html",
    )
