"""The policy in force and its decisions: the one interface the gateway's calls and actions use.

``policy_in_force(ms_id)`` loads the approved version of a management system's policy (two
queries, then cached in memory until another version is approved: the cache is keyed by the
version's id, ``version`` and approval time and checked with one query). ``Policy.decide`` is pure: first rule
that matches wins; with none, a call is redacted (the entity actions apply) and an action is
denied, so nothing the policy did not foresee leaves unasked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aims.prepared import Prepared
from gateway.models import EntityAction, Outcome, PolicyRule, PolicyVersion

__all__ = ["Decision", "NoPolicy", "Policy", "Rule", "policy_in_force"]


class NoPolicy(Exception):
    """The management system has no approved gateway policy: the gateway refuses everything."""


@dataclass(frozen=True)
class Rule:
    order: int
    outcome: str
    ai_system_id: int | None = None
    model: str = ""
    entity_type: str = ""
    tool: str = ""
    connector: str = ""
    approver_role: str = ""
    note: str = ""
    reference: str = ""

    def matches(self, *, ai_system_id: int, model: str, entity_types: Iterable[str], tool: str, connector: str) -> bool:
        return (
            (self.ai_system_id is None or self.ai_system_id == ai_system_id)
            and (not self.model or self.model == model)
            and (not self.entity_type or self.entity_type in set(entity_types))
            and (not self.tool or self.tool == tool)
            and (not self.connector or self.connector == connector)
        )

    def describe(self) -> str:
        return f"rule {self.reference or self.order}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Decision:
    outcome: str  # one of Outcome's values
    policy: str  # "policy@3"
    rule: str  # "rule GWR-002 (why)" or "default"
    approver_role: str = ""


@dataclass(frozen=True)
class Policy:
    """An approved policy version, detached from the database."""

    id: int
    number: int
    management_system_id: int
    entity_actions: Mapping[str, str] = field(default_factory=dict)
    default_entity_action: str = EntityAction.MASK
    require_impact_assessment: bool = True
    body_retention_days: int = 30
    rules: tuple[Rule, ...] = ()

    @property
    def label(self) -> str:
        return f"policy@{self.number}"

    def entity_action(self, entity_type: str) -> str:
        return self.entity_actions.get(entity_type, self.default_entity_action)

    def decide(
        self,
        *,
        ai_system_id: int,
        model: str = "",
        entity_types: Iterable[str] = (),
        tool: str = "",
        connector: str = "",
    ) -> Decision:
        """First matching rule's outcome; else redact for a call, deny (block) for an action."""
        found = set(entity_types)
        for rule in self.rules:
            if rule.matches(ai_system_id=ai_system_id, model=model, entity_types=found, tool=tool, connector=connector):
                return Decision(rule.outcome, self.label, rule.describe(), rule.approver_role)
        is_action = bool(tool or connector)
        return Decision(Outcome.BLOCK if is_action else Outcome.REDACT, self.label, "default")

    @classmethod
    def from_version(cls, version: PolicyVersion, rules: Iterable[PolicyRule]) -> Policy:
        return cls(
            id=version.pk,
            number=version.number,
            management_system_id=version.management_system_id,
            entity_actions=dict(version.entity_actions or {}),
            default_entity_action=version.default_entity_action,
            require_impact_assessment=version.require_impact_assessment,
            body_retention_days=version.body_retention_days,
            rules=tuple(
                Rule(
                    order=r.order,
                    outcome=r.outcome,
                    ai_system_id=r.ai_system_id,
                    model=r.model,
                    entity_type=r.entity_type,
                    tool=r.tool,
                    connector=r.connector,
                    approver_role=r.approver_role,
                    note=r.note,
                    reference=r.reference,
                )  # fmt: skip
                for r in rules
            ),
        )


# Keyed by the version's id, edit counter and approval time: ids alone can come back (a database
# restored or rolled back), an approval time to the microsecond does not.
_cache: dict[int, tuple[tuple, Policy]] = {}
# The approved version's id, edit counter and approval time: read on every call, so compiled once.
_HEAD = Prepared(
    lambda ms_id: (
        PolicyVersion.objects.filter(management_system_id=ms_id, status=PolicyVersion.Status.APPROVED)
        .order_by("-number")
        .values_list("pk", "version", "approved_at")[:1]
    ),
    -918_273_645,
)
_lock = threading.Lock()


def policy_in_force(management_system_id: int) -> Policy:
    """The approved version of the management system's policy, or ``NoPolicy``."""
    head = _HEAD.first(management_system_id)
    if head is None:
        raise NoPolicy("No gateway policy is approved for this management system: the gateway refuses every call.")
    cached = _cache.get(management_system_id)
    if cached is not None and cached[0] == head:
        return cached[1]
    version = PolicyVersion.objects.get(pk=head[0])
    policy = Policy.from_version(version, PolicyRule.objects.filter(policy=version).order_by("order", "pk"))
    with _lock:
        _cache[management_system_id] = (head, policy)
    return policy
