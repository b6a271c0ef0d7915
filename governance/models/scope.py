"""The scope of the AI management system (4.3) as an approved, structured record.

One ``Scope`` per management system (``SCO-001``): its organisational units and sites, activities,
interfaces and dependencies, the context issues and requirements considered, its exclusions with
their rationale (``ScopeExclusion``, rows owned by the scope) and the AI systems in scope. The AI
systems are taken from the inventory and frozen at approval: the approval writes the inventory's
in-scope systems into the scope, then signs that version (``governance.scope.services``).
"""

from __future__ import annotations

from django.db import models

from aims.history import RegisterHistory
from aims.models import RegisterModel
from registers.models import AISystem

__all__ = ["Scope", "ScopeExclusion"]


class Scope(RegisterModel):
    """The boundaries and applicability of the AIMS (4.3), one per management system."""

    reference_prefix = "SCO"
    owned_children = ("exclusions",)
    editable_fields = (
        "statement", "units", "sites", "activities", "interfaces", "context_issues", "requirements",
    )  # fmt: skip

    title = models.CharField(max_length=200, default="Scope of the AI management system")
    statement = models.TextField(
        "scope statement", blank=True, help_text="The scope in a few sentences, as the scope document states it."
    )
    units = models.TextField(
        "organisational units", blank=True, help_text="The parts of the organisation inside the AIMS, one per line."
    )
    sites = models.TextField(blank=True, help_text="The locations inside the AIMS (remote work too), one per line.")
    activities = models.TextField(
        blank=True,
        help_text="What the organisation does with AI inside the AIMS (develop, procure, deploy, operate), "
        "one per line.",
    )
    interfaces = models.TextField(
        "interfaces and dependencies",
        blank=True,
        help_text="Where the AIMS meets activities outside it: suppliers, shared services, other management "
        "systems (4.3 c).",
    )
    ai_systems = models.ManyToManyField(
        AISystem,
        blank=True,
        related_name="+",
        verbose_name="AI systems in scope",
        help_text="Taken from the inventory (in scope, not retired) when the scope is approved.",
    )
    context_issues = models.ManyToManyField(
        "governance.ContextIssue",
        blank=True,
        related_name="+",
        verbose_name="context issues considered",
        help_text="The internal and external issues of 4.1 this scope considers (4.3 a).",
    )
    requirements = models.ManyToManyField(
        "governance.Requirement",
        blank=True,
        related_name="+",
        verbose_name="requirements considered",
        help_text="The requirements of interested parties (4.2) this scope considers (4.3 b).",
    )

    # Versioned links: each version of the scope records its AI systems, issues and requirements.
    _history_m2m_fields = ["ai_systems", "context_issues", "requirements"]

    class Meta(RegisterModel.Meta):
        constraints = [
            *RegisterModel.Meta.constraints,
            models.UniqueConstraint(fields=["management_system"], name="governance_scope_one_per_aims"),
        ]

    @staticmethod
    def lines(text: str) -> list[str]:
        """The non-empty lines of a one-per-line field."""
        return [line.strip() for line in (text or "").splitlines() if line.strip()]

    @property
    def unit_list(self) -> list[str]:
        return self.lines(self.units)

    @property
    def site_list(self) -> list[str]:
        return self.lines(self.sites)

    @property
    def activity_list(self) -> list[str]:
        return self.lines(self.activities)


class ScopeExclusion(models.Model):
    """Something left out of the scope, and why (part of the scope: signed with it)."""

    editable_fields = ("excluded", "rationale")

    scope = models.ForeignKey(Scope, on_delete=models.CASCADE, related_name="exclusions")
    excluded = models.CharField(
        "what is excluded", max_length=300, help_text="A unit, site, activity, AI system or requirement."
    )
    rationale = models.TextField(blank=True, help_text="Why it is excluded: needed before the scope is approved.")
    history = RegisterHistory()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Exclusion: {self.excluded}"
