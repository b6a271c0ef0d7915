"""Reads of the gateway policy: versions and rules the user may read, rules in words, the change from the version in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, QuerySet

from aims import access
from gateway.models import EntityAction, Outcome, PolicyRule, PolicyVersion
from registers.models import AISystem

Status = PolicyVersion.Status


def rules_prefetch() -> Prefetch:
    return Prefetch("rules", queryset=PolicyRule.objects.select_related("ai_system").order_by("order", "pk"))


def version_queryset(*, user: AbstractBaseUser) -> QuerySet[PolicyVersion]:
    """Policy versions the user may read, with their approver and rules (in order)."""
    base = PolicyVersion.objects.select_related("management_system", "approved_by").prefetch_related(rules_prefetch())
    return access.scope(user, base)


def rule_queryset(*, user: AbstractBaseUser) -> QuerySet[PolicyRule]:
    """Policy rules the user may read, with their version and AI system."""
    return access.scope(user, PolicyRule.objects.select_related("management_system", "policy", "ai_system"))


def versions_of(management_system: Any) -> list[PolicyVersion]:
    """Every version of the management system's policy, newest first, with its number of rules."""
    return list(
        PolicyVersion.objects.filter(management_system=management_system)
        .select_related("approved_by")
        .annotate(rule_count=Count("rules"))
        .order_by("-number")
    )


def ai_system_choices(management_system: Any) -> QuerySet[AISystem]:
    """The AI systems a rule may name: the management system's, not retired."""
    return AISystem.objects.filter(management_system=management_system, retired_at__isnull=True).order_by("reference")


def history_of(version: PolicyVersion) -> QuerySet:
    return version.history.select_related("history_user").order_by("-history_date", "-history_id")


# --- in words ------------------------------------------------------------------------------------


def rule_conditions(rule: PolicyRule) -> str:
    """When the rule matches, in words: "AI system AIS-001, tool send_patient_message" or "any call or action"."""
    parts = []
    if rule.ai_system_id:
        parts.append(f"AI system {rule.ai_system.reference} {rule.ai_system.name}")
    if rule.model:
        parts.append(f"model {rule.model}")
    if rule.entity_type:
        parts.append(f"{rule.entity_type} found")
    if rule.tool:
        parts.append(f"tool {rule.tool}")
    if rule.connector:
        parts.append(f"connector {rule.connector}")
    return ", ".join(parts) if parts else "any call or action"


def rule_outcome(rule: PolicyRule) -> str:
    """What the rule decides, in words: "require approval by leadership"."""
    if rule.outcome == Outcome.REQUIRE_APPROVAL:
        return f"require approval by {rule.get_approver_role_display().lower()}"
    return str(Outcome(rule.outcome).label).lower() if rule.outcome in Outcome.values else rule.outcome


def rule_in_words(rule: PolicyRule) -> str:
    return f"When {rule_conditions(rule)}: {rule_outcome(rule)}."


def entity_actions_rows(version: PolicyVersion) -> list[tuple[str, str]]:
    """(entity type, action label) sorted by type."""
    labels = dict(EntityAction.choices)
    return [(name, str(labels.get(action, action))) for name, action in sorted((version.entity_actions or {}).items())]


# --- what changes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    what: str  # "setting", "entity", "rule added", "rule removed", "order"
    text: str


def _rule_key(rule: PolicyRule) -> tuple:
    return (
        rule.ai_system_id,
        rule.model,
        rule.entity_type,
        rule.tool,
        rule.connector,
        rule.outcome,
        rule.approver_role,
    )


def changes_from(base: PolicyVersion | None, version: PolicyVersion) -> list[Change]:
    """What ``version`` changes from ``base`` (the version in force): settings, personal data actions, rules."""
    if base is None:
        return [Change("setting", "The first version of the policy: everything in it is new.")]
    changes = []
    for name in ("default_entity_action", "require_impact_assessment", "body_retention_days"):
        old, new = getattr(base, name), getattr(version, name)
        if old != new:
            label = PolicyVersion._meta.get_field(name).verbose_name
            changes.append(Change("setting", f"{str(label).capitalize()}: {_plain(old)} → {_plain(new)}."))
    old_actions, new_actions = base.entity_actions or {}, version.entity_actions or {}
    for name in sorted(set(old_actions) | set(new_actions)):
        old, new = old_actions.get(name), new_actions.get(name)
        if old != new:
            changes.append(Change("entity", f"{name}: {old or 'not named'} → {new or 'not named (the default)'}."))
    old_rules = {_rule_key(r): r for r in base.rules.all()}
    new_rules = {_rule_key(r): r for r in version.rules.all()}
    for key, rule in new_rules.items():
        if key not in old_rules:
            changes.append(Change("rule added", rule_in_words(rule)))
    for key, rule in old_rules.items():
        if key not in new_rules:
            changes.append(Change("rule removed", rule_in_words(rule)))
    kept_old = [k for k in old_rules if k in new_rules]
    kept_new = [k for k in new_rules if k in old_rules]
    if kept_old != kept_new:
        changes.append(Change("order", "The order of the rules changed (the first match wins)."))
    return changes


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
