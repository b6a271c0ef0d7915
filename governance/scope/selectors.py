"""Reads of the scope: the record with its parts, the inventory's in-scope AI systems, and what changed
since approval (the AI systems frozen in the approved version against the inventory now)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db.models import Prefetch, QuerySet

from aims import ledger
from aims.history import links_as_of
from aims.models import ManagementSystem, SignOff
from governance.models import Document, Scope, ScopeExclusion
from governance.scope.signoffs import SCOPE_APPROVAL
from registers.models import AISystem


def in_scope_systems(management_system: ManagementSystem | int) -> QuerySet[AISystem]:
    """The inventory's AI systems in the AIMS scope now: marked in scope, neither retired nor at end of life."""
    ms_id = management_system if isinstance(management_system, int) else management_system.pk
    return (
        AISystem.objects.filter(management_system_id=ms_id, in_scope=True, retired_at__isnull=True)
        .exclude(lifecycle_stage=AISystem.LifecycleStage.RETIRED)
        .order_by("reference")
    )


def is_in_scope(system: Any) -> bool:
    """Whether an AI system (or its history row) counts as in scope: the rule of ``in_scope_systems``."""
    return bool(
        system.in_scope and system.retired_at is None and system.lifecycle_stage != AISystem.LifecycleStage.RETIRED
    )


def scope_queryset() -> QuerySet[Scope]:
    """Scopes with what their page and the API show, joined or prefetched."""
    return Scope.objects.select_related("management_system").prefetch_related(
        Prefetch("exclusions", queryset=ScopeExclusion.objects.order_by("pk")),
        Prefetch("ai_systems", queryset=AISystem.objects.order_by("reference")),
        "context_issues",
        "requirements",
    )


def scope_of(management_system: ManagementSystem) -> Scope | None:
    """The management system's scope, or None before it is first written."""
    return scope_queryset().filter(management_system=management_system).first()


def scope_document(management_system: ManagementSystem | int) -> Document | None:
    """The seeded scope document (key ``scope``), if the management system has one."""
    ms_id = management_system if isinstance(management_system, int) else management_system.pk
    return Document.objects.filter(management_system_id=ms_id, key="scope").first()


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def exclusion_history(scope: Scope) -> QuerySet:
    """Every change to the scope's exclusions (removed ones too), newest first."""
    return (
        ScopeExclusion.history.filter(scope_id=scope.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def signed_system_ids(signoff: SignOff) -> set[int]:
    """The AI systems in the scope's version that a sign-off signed (one query)."""
    label = Scope._meta.label_lower
    history_id = next((int(h) for lab, h in signoff.versions if lab == label), None)
    if history_id is None:
        return set()
    row = SimpleNamespace(history_id=history_id, id=signoff.subject_id)
    return set(links_as_of(Scope, "ai_systems", [row]).get(signoff.subject_id, []))


@dataclass
class SystemsComparison:
    """The AI systems frozen at the latest approval against the inventory's in-scope systems now."""

    approval: SignOff | None
    frozen: list[Any] = field(default_factory=list)
    current: list[Any] = field(default_factory=list)
    added: list[Any] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.approval is not None

    @property
    def changed_since_approval(self) -> bool:
        return self.approval is not None and bool(self.added or self.removed)


def compare(frozen_ids: set[int] | None, current: list[Any], names: dict[int, Any]) -> tuple[list, list]:
    """(added, removed): systems in the inventory now but not frozen, and frozen but no longer in scope."""
    if frozen_ids is None:
        return [], []
    current_ids = {s.id for s in current}
    added = [s for s in current if s.id not in frozen_ids]
    removed = [names[pk] for pk in sorted(frozen_ids - current_ids) if pk in names]
    return added, removed


def systems_comparison(scope: Scope | None, management_system: ManagementSystem) -> SystemsComparison:
    """What the scope page, the overview and the API show about the AI systems in scope (four queries)."""
    current = list(in_scope_systems(management_system))
    approval = ledger.sign_offs_of(SCOPE_APPROVAL, scope).first() if scope is not None else None
    if approval is None:
        return SystemsComparison(None, current=current)
    frozen_ids = signed_system_ids(approval)
    names = AISystem.objects.in_bulk(frozen_ids) if frozen_ids else {}
    added, removed = compare(frozen_ids, current, names)
    frozen = sorted(names.values(), key=lambda s: s.reference)
    return SystemsComparison(approval, frozen=frozen, current=current, added=added, removed=removed)
