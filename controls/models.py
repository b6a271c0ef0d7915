"""Control catalogs (ISO/IEC 42001 Annex A, later others) and the Statement of Applicability.

The catalog is reference data the project owns (``controls/data/*.yaml``), loaded by a
data migration and read-only everywhere else. A framework has areas, an area has
objectives, and each control sits in one area under one objective, so another framework
(EU AI Act articles, NIST AI RMF) is new rows, not a new schema.

``Applicability`` is one SoA row per management system and control (clause 6.1.3 d).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from aims.models import RegisterModel


class Framework(models.Model):
    """A control catalog, such as ISO/IEC 42001:2023 Annex A."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=200, blank=True, help_text="The data file the catalog is loaded from.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ControlArea(models.Model):
    """A group of controls in a framework (for Annex A: A.2 to A.10)."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="areas")
    key = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [models.UniqueConstraint(fields=["framework", "key"], name="controls_unique_area_key")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class ControlObjective(models.Model):
    """The objective the controls of an area (or sub-area, as A.6.1 and A.6.2) serve."""

    area = models.ForeignKey(ControlArea, on_delete=models.PROTECT, related_name="objectives")
    key = models.CharField(max_length=20)
    summary = models.TextField()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["area", "position"]
        constraints = [models.UniqueConstraint(fields=["area", "key"], name="controls_unique_objective_key")]

    def __str__(self) -> str:
        return f"{self.key} {self.summary}"


class Control(models.Model):
    """One requirement of a catalog: an Annex A control such as A.6.2.8 (event logging), or a clause such as 9.2.2.

    Findings, nonconformities and audit scopes refer to clauses and controls alike, through this one model.
    """

    class DocumentedInformation(models.TextChoices):
        NOT_STATED = "", "Not stated"
        NONE = "none", "None required by the clause itself"
        MAINTAIN = "maintain", "Maintained (kept current as a document)"
        RETAIN = "retain", "Retained (kept as a record)"

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="controls")
    area = models.ForeignKey(ControlArea, on_delete=models.PROTECT, related_name="controls")
    objective = models.ForeignKey(
        ControlObjective, on_delete=models.PROTECT, related_name="controls", null=True, blank=True
    )
    key = models.CharField("control id", max_length=20)
    title = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)
    summary = models.TextField(
        blank=True, help_text="A short paraphrase written for this register, not the standard's text."
    )
    documented_information = models.CharField(
        max_length=10, choices=DocumentedInformation.choices, blank=True, default=""
    )
    documented_information_what = models.CharField("documented information required", max_length=300, blank=True)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [models.UniqueConstraint(fields=["framework", "key"], name="controls_unique_control_key")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class Applicability(RegisterModel):
    """One row of the Statement of Applicability: a control, whether it applies and why."""

    reference_prefix = "SOA"

    class Decision(models.TextChoices):
        UNDECIDED = "undecided", "Undecided"
        INCLUDED = "included", "Included"
        EXCLUDED = "excluded", "Excluded"

    class ImplementationStatus(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        PLANNED = "planned", "Planned"
        PARTIAL = "partial", "Partially implemented"
        IMPLEMENTED = "implemented", "Implemented"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="applicability_rows")
    applicable = models.CharField(max_length=20, choices=Decision.choices, default=Decision.UNDECIDED)
    justification = models.TextField(
        blank=True, help_text="Why the control is included or excluded (clause 6.1.3 d): risks, obligations, policy."
    )
    implementation_status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, default=ImplementationStatus.NOT_STARTED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_soa_rows",
        verbose_name="control owner",
    )
    implementation_notes = models.TextField(blank=True)
    ai_systems = models.ManyToManyField(
        "registers.AISystem", blank=True, related_name="soa_rows", verbose_name="linked AI systems"
    )
    last_reviewed = models.DateField(null=True, blank=True)

    _history_m2m_fields = ["ai_systems"]

    class Meta(RegisterModel.Meta):
        verbose_name = "SoA row"
        verbose_name_plural = "SoA rows"
        constraints = [
            *RegisterModel.Meta.constraints,
            models.UniqueConstraint(fields=["management_system", "control"], name="controls_one_soa_row_per_control"),
        ]

    @property
    def is_decided(self) -> bool:
        return self.applicable != self.Decision.UNDECIDED

    @property
    def is_justified(self) -> bool:
        return bool(self.justification.strip())

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.is_decided and not self.is_justified:
            errors["justification"] = (
                f"Give a justification: clause 6.1.3 requires one for every {self.get_applicable_display().lower()} "
                "control (the risks, obligations or policy it rests on)."
            )
        status = self.ImplementationStatus
        if self.applicable == self.Decision.EXCLUDED and self.implementation_status != status.NOT_APPLICABLE:
            errors["implementation_status"] = (
                "An excluded control is “Not applicable”: it cannot be started, planned or implemented."
            )
        elif self.applicable != self.Decision.EXCLUDED and self.implementation_status == status.NOT_APPLICABLE:
            errors["implementation_status"] = (
                "Only an excluded control is “Not applicable”; choose not started, planned, partial or implemented."
            )
        if errors:
            raise ValidationError(errors)
