"""The gateway's policy: numbered versions per management system, each an ordered list of rules.

A version is drafted (a copy of the version in force), submitted for approval, then **approved by
a sign-off** (leadership or the AIMS manager, ``gateway.policy.signoffs``), which supersedes the
version in force; only an approved version is ever in force, and an approved or superseded
version never changes (a change is a new version). A draft nobody wants is withdrawn. Each decision the
gateway takes names the version it was taken by, ``policy@<number>``.

A version holds:

* what to do with each type of personal data found (``entity_actions``: mask, hash, block or
  allow per entity type such as EMAIL_ADDRESS, and ``default_entity_action`` for the rest);
* whether a call needs a current approved impact assessment of its AI system;
* how long the redacted bodies are kept;
* ordered **rules**, first match wins, matching on AI system, model, an entity type found, a
  tool or a connector (an empty criterion matches anything), with an outcome: allow, redact,
  block or require approval by a member role.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from aims.models import RegisterModel, Role

__all__ = ["EntityAction", "Outcome", "PolicyRule", "PolicyVersion"]

# An entity type is named as Presidio names it: upper-case letters, digits and underscores.
ENTITY_TYPE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def check_entity_type(name: object) -> str | None:
    """Why ``name`` is not an entity type's name, or None."""
    if not isinstance(name, str) or not ENTITY_TYPE.fullmatch(name):
        return f"{str(name)[:70]!r} is not an entity type: upper-case letters, digits and _ (e.g. EMAIL_ADDRESS)."
    return None


class EntityAction(models.TextChoices):
    MASK = "mask", "Mask (typed placeholder)"
    HASH = "hash", "Hash"
    BLOCK = "block", "Block the call"
    ALLOW = "allow", "Allow"


class Outcome(models.TextChoices):
    ALLOW = "allow", "Allow"
    REDACT = "redact", "Redact personal data, then allow"
    BLOCK = "block", "Block"
    REQUIRE_APPROVAL = "require_approval", "Require approval"


class PolicyVersion(RegisterModel):
    """One numbered version of a management system's gateway policy."""

    reference_prefix = "GWP"
    editable_fields = (
        "change_summary", "entity_actions", "default_entity_action", "require_impact_assessment",
        "body_retention_days",
    )  # fmt: skip
    owned_children = ("rules",)

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "Awaiting approval"
        APPROVED = "approved", "Approved (in force)"
        SUPERSEDED = "superseded", "Superseded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    number = models.PositiveIntegerField(editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    change_summary = models.CharField(max_length=500, blank=True, help_text="What this version changes, and why.")
    entity_actions = models.JSONField(
        "personal data actions",
        default=dict,
        blank=True,
        help_text='Per entity type, what to do when it is found: {"EMAIL_ADDRESS": "mask", ...}.',
    )
    default_entity_action = models.CharField(
        "other personal data",
        max_length=10,
        choices=EntityAction.choices,
        default=EntityAction.MASK,
        help_text="What to do with an entity type the list does not name.",
    )
    require_impact_assessment = models.BooleanField(
        default=True, help_text="Refuse calls of an AI system without a current approved impact assessment."
    )
    body_retention_days = models.PositiveIntegerField(
        "keep bodies (days)",
        default=30,
        help_text="Redacted requests and responses are deleted after this; 0 keeps them.",
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta(RegisterModel.Meta):
        verbose_name = "gateway policy version"
        ordering = ["-number"]
        constraints = [
            *RegisterModel.Meta.constraints,
            models.UniqueConstraint(fields=["management_system", "number"], name="gateway_policy_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.label}"

    @property
    def label(self) -> str:
        """How decisions name this version: ``policy@3``."""
        return f"policy@{self.number}"

    @property
    def is_open(self) -> bool:
        """A draft or a version awaiting approval: not yet in force, not given up."""
        return self.status in (self.Status.DRAFT, self.Status.IN_REVIEW)

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.entity_actions, dict):
            raise ValidationError({"entity_actions": "Give an object of entity type to action."})
        for name, action in self.entity_actions.items():
            problem = check_entity_type(name)
            if problem:
                raise ValidationError({"entity_actions": problem})
            if action not in EntityAction.values:
                raise ValidationError(
                    {"entity_actions": f"{name}: {action!r} is not one of {', '.join(EntityAction.values)}."}
                )


class PolicyRule(RegisterModel):
    """One rule of a policy version: when everything it names matches, its outcome decides (first match wins)."""

    reference_prefix = "GWR"
    editable_fields = (
        "order", "ai_system", "model", "entity_type", "tool", "connector", "outcome", "approver_role", "note",
    )  # fmt: skip

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="rules")
    order = models.PositiveIntegerField(default=10, help_text="Rules are tried in this order; the first match wins.")
    ai_system = models.ForeignKey(
        "registers.AISystem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="AI system",
        help_text="Empty: any AI system.",
    )
    model = models.CharField(max_length=200, blank=True, help_text="The model requested; empty: any.")
    entity_type = models.CharField(
        max_length=64, blank=True, help_text="Matches when this type of personal data is found; empty: any."
    )
    tool = models.CharField(max_length=100, blank=True, help_text="The action's tool; empty: any.")
    connector = models.CharField(max_length=100, blank=True, help_text="The action's connector; empty: any.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    approver_role = models.CharField(
        max_length=20,
        choices=[(r.value, r.label) for r in Role if r not in (Role.AUDITOR, Role.CONTRIBUTOR)],
        blank=True,
        help_text="Who approves, when the outcome is 'require approval'.",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why the rule is there.")

    class Meta(RegisterModel.Meta):
        verbose_name = "gateway policy rule"
        ordering = ["policy", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_outcome_display().lower()})"

    def clean(self) -> None:
        super().clean()
        if self.entity_type:
            problem = check_entity_type(self.entity_type)
            if problem:
                raise ValidationError({"entity_type": problem})
        if (
            self.ai_system_id
            and self.management_system_id
            and self.ai_system.management_system_id != (self.management_system_id)
        ):
            raise ValidationError({"ai_system": "The AI system belongs to another management system."})
        if self.outcome == Outcome.REQUIRE_APPROVAL and not self.approver_role:
            raise ValidationError({"approver_role": "Say which role approves."})
        if self.outcome != Outcome.REQUIRE_APPROVAL and self.approver_role:
            raise ValidationError({"approver_role": "Only a rule that requires approval names an approver."})
