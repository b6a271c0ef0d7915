"""People, AIMS roles and their assignments, competences (5.3, 7.2, A.3.2).

The core of the people family, which other families build on: a document approval asks
whether the signer holds the top-management role (``governance.people.selectors.holds_aims_role``).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from aims.models import RegisterModel, RetirableModel
from registers.models import AISystem

__all__ = [
    "AimsRole",
    "CommunicationPlanItem",
    "CommunicationRecord",
    "Competence",
    "CompetenceRecord",
    "Person",
    "RoleAssignment",
]


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
        constraints = [
            *RetirableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["management_system", "account"],
                condition=models.Q(account__isnull=False),
                name="governance_person_one_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


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
        "name", "responsibilities", "authorities", "reports_to", "required_competences", "mandatory",
    )  # fmt: skip

    # The roles seeded in every management system; ``key`` is how code refers to them.
    TOP_MANAGEMENT = "top_management"
    AIMS_MANAGER = "aims_manager"
    INTERNAL_AUDITOR = "internal_auditor"
    RISK_OWNER = "risk_owner"
    AI_SYSTEM_OWNER = "ai_system_owner"
    HUMAN_OVERSIGHT_OPERATOR = "human_oversight_operator"

    name = models.CharField(max_length=200)
    key = models.SlugField(
        max_length=50, blank=True, editable=False, help_text="A stable key for a seeded role; empty for others."
    )
    responsibilities = models.TextField(blank=True)
    authorities = models.TextField(blank=True)
    reports_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    required_competences = models.ManyToManyField(Competence, blank=True, related_name="roles")
    mandatory = models.BooleanField(default=False, help_text="The AIMS needs someone in this role.")

    _history_m2m_fields = ["required_competences"]

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

    _history_m2m_fields = ["ai_systems"]

    class Meta(RegisterModel.Meta):
        verbose_name = "role assignment"

    def __str__(self) -> str:
        return f"{self.reference} {self.person.name} as {self.role.name}"

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The assignment cannot end before it starts."})

    def is_current(self, day: date) -> bool:
        """Whether the assignment runs on the day."""
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


class CompetenceRecord(RetirableModel):
    """Evidence that a person has a competence (7.2 d): on what basis, since and until when, how it was checked."""

    reference_prefix = "CR"
    editable_fields = ("person", "competence", "basis", "achieved_on", "expires_on", "effectiveness", "note")
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"

    class Basis(models.TextChoices):
        EDUCATION = "education", "Education"
        TRAINING = "training", "Training"
        EXPERIENCE = "experience", "Experience"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="competence_records")
    competence = models.ForeignKey(Competence, on_delete=models.PROTECT, related_name="records")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    achieved_on = models.DateField()
    expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="Empty: derived from the competence's validity (no expiry if it has none).",
    )
    effectiveness = models.TextField(
        "how effectiveness was evaluated",
        blank=True,
        help_text="For training or other actions taken (7.2 c): how you checked the person is now competent.",
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta(RetirableModel.Meta):
        verbose_name = "competence record"

    def __str__(self) -> str:
        return f"{self.reference} {self.person.name}: {self.competence.name}"

    def clean(self) -> None:
        if self.expires_on and self.achieved_on and self.expires_on < self.achieved_on:
            raise ValidationError({"expires_on": "A competence cannot expire before it was achieved."})

    def is_valid_on(self, day: date) -> bool:
        """Achieved by the day and not expired (a withdrawn record is never valid)."""
        return (
            self.retired_at is None and self.achieved_on <= day and (self.expires_on is None or self.expires_on >= day)
        )


class CommunicationPlanItem(RetirableModel):
    """What the AIMS communicates, when, with whom, how and who communicates it (7.4)."""

    reference_prefix = "CP"
    editable_fields = ("subject", "timing", "audience", "channel", "communicator", "ai_literacy", "note")

    subject = models.CharField("what", max_length=200, help_text="What is communicated.")
    timing = models.CharField("when", max_length=200, help_text="When or how often, e.g. at induction, yearly.")
    audience = models.CharField("with whom", max_length=200)
    channel = models.CharField("how", max_length=200, help_text="The channel, e.g. e-learning, briefing, intranet.")
    communicator = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="who communicates"
    )
    ai_literacy = models.BooleanField(
        "AI literacy", default=False, help_text="Part of the AI literacy programme (EU AI Act Art. 4, A.4.6)."
    )
    note = models.TextField(blank=True)

    class Meta(RetirableModel.Meta):
        verbose_name = "communication plan item"

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"


class CommunicationRecord(RetirableModel):
    """A communication delivered (7.3, 7.4): when, to whom, what, who acknowledged it.

    AI literacy training is recorded here, with the AI literacy flag set.
    """

    reference_prefix = "COM"
    editable_fields = (
        "plan_item", "delivered_on", "audience", "summary", "communicator", "ai_literacy",
        "acknowledgement_count", "acknowledged_by",
    )  # fmt: skip
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"

    plan_item = models.ForeignKey(
        CommunicationPlanItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
        verbose_name="plan item",
    )
    delivered_on = models.DateField()
    audience = models.CharField(max_length=200)
    summary = models.TextField()
    communicator = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="who communicated"
    )
    ai_literacy = models.BooleanField(
        "AI literacy training", default=False, help_text="AI literacy training (EU AI Act Art. 4, A.4.6)."
    )
    acknowledgement_count = models.PositiveIntegerField(
        "acknowledgements", null=True, blank=True, help_text="How many people acknowledged it, when not named."
    )
    acknowledged_by = models.ManyToManyField(Person, blank=True, related_name="+")

    _history_m2m_fields = ["acknowledged_by"]

    class Meta(RetirableModel.Meta):
        verbose_name = "communication record"

    def __str__(self) -> str:
        return f"{self.reference} {self.audience} ({self.delivered_on:%d %b %Y})"

    @property
    def acknowledgements(self) -> int:
        """Named acknowledgements, else the count given."""
        named = len(self.acknowledged_by.all())
        return named or (self.acknowledgement_count or 0)
