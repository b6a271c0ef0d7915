"""People, AIMS roles and their assignments, competences (5.3, 7.2, A.3.2).

The core of the people family, which other families build on: a document approval asks
whether the signer holds the top-management role (``governance.people.selectors.holds_aims_role``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from aims.models import RegisterModel, RetirableModel
from registers.models import AISystem

__all__ = ["AimsRole", "Competence", "Person", "RoleAssignment"]


class Person(RetirableModel):
    """Someone with a part in the AIMS; a board member need not have an account."""

    reference_prefix = "PER"
    editable_fields = ("name", "job_title", "department", "email", "account")
    retire_verb = "Mark as left"
    retired_label = "Left"

    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The register account of this person, if they log in.",
    )

    class Meta(RetirableModel.Meta):
        verbose_name_plural = "people"


class Competence(RetirableModel):
    """A competence a role requires (for example "AI risk assessment", "EU AI Act literacy")."""

    reference_prefix = "CMP"
    editable_fields = ("name", "description", "validity_months")

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    validity_months = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long a record stays valid when it gives no expiry (empty: no limit)."
    )


class AimsRole(RetirableModel):
    """A role in the AI management system with its responsibilities and authorities (5.3)."""

    reference_prefix = "ROLE"
    editable_fields = (
        "name", "key", "responsibilities", "authorities", "reports_to", "required_competences", "mandatory",
    )  # fmt: skip

    # The roles seeded in every management system; ``key`` is how code refers to them.
    TOP_MANAGEMENT = "top_management"
    AIMS_MANAGER = "aims_manager"
    INTERNAL_AUDITOR = "internal_auditor"
    RISK_OWNER = "risk_owner"
    AI_SYSTEM_OWNER = "ai_system_owner"
    HUMAN_OVERSIGHT_OPERATOR = "human_oversight_operator"

    name = models.CharField(max_length=200)
    key = models.SlugField(max_length=50, blank=True, help_text="A stable key for a seeded role; empty for others.")
    responsibilities = models.TextField(blank=True)
    authorities = models.TextField(blank=True)
    reports_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    required_competences = models.ManyToManyField(Competence, blank=True, related_name="roles")
    mandatory = models.BooleanField(default=False, help_text="The AIMS needs someone in this role.")

    class Meta(RetirableModel.Meta):
        verbose_name = "AIMS role"
        constraints = [
            *RetirableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["management_system", "key"],
                condition=~models.Q(key=""),
                name="governance_aimsrole_unique_key",
            ),
        ]


class RoleAssignment(RegisterModel):
    """A person holding an AIMS role, for some AI systems (or all), from one date to another."""

    reference_prefix = "RA"
    editable_fields = ("person", "role", "ai_systems", "starts_on", "ends_on", "appointed_by", "note")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    role = models.ForeignKey(AimsRole, on_delete=models.PROTECT, related_name="assignments")
    ai_systems = models.ManyToManyField(
        AISystem, blank=True, related_name="+", verbose_name="AI systems", help_text="Empty: all of them."
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    appointed_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The assignment cannot end before it starts."})
