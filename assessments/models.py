"""Risk assessment and AI impact assessment (clauses 6.1.2-6.1.4, 8.2-8.4; ISO/IEC 42005 shaped).

``RiskCriteria`` fix the method: scales, how likelihood and consequence combine into a
level, and the acceptance threshold. A new version is a new row; a risk keeps the
version it was scored with. ``Risk`` rows carry their treatment actions and links to
Annex A controls; ``ImpactAssessment`` rows carry their impact rows, and an impact row
can raise a linked risk.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from aims.history import RegisterHistory
from aims.models import RegisterModel, RetirableModel
from registers.models import AISystem

MIN_SCALE, MAX_SCALE = 3, 7


class Level(models.TextChoices):
    """Risk levels, lowest first; the criteria map every scale cell to one of them."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


LEVEL_RANK = {level.value: rank for rank, level in enumerate(Level, start=1)}


class Authority(models.TextChoices):
    """Who may accept a risk of a level (each may also accept what a lower authority may)."""

    RISK_OWNER = "risk_owner", "The risk owner"
    OFFICER = "officer", "A compliance officer"
    LEADERSHIP = "leadership", "Leadership (top management)"


AUTHORITY_RANK = {authority.value: rank for rank, authority in enumerate(Authority, start=1)}


def default_authority() -> dict[str, str]:
    """Low and medium residual risks accepted by their owner; high by an officer; critical by leadership."""
    return {
        Level.LOW.value: Authority.RISK_OWNER.value,
        Level.MEDIUM.value: Authority.RISK_OWNER.value,
        Level.HIGH.value: Authority.OFFICER.value,
        Level.CRITICAL.value: Authority.LEADERSHIP.value,
    }


def default_likelihood_scale() -> list[dict[str, str]]:
    return [
        {"label": "Rare", "description": "May happen only in exceptional circumstances (less than once in 10 years)."},
        {"label": "Unlikely", "description": "Could happen at some time (once in 3-10 years)."},
        {"label": "Possible", "description": "Might happen (once in 1-3 years)."},
        {"label": "Likely", "description": "Will probably happen (several times a year)."},
        {"label": "Almost certain", "description": "Expected in most circumstances (monthly or more often)."},
    ]


def default_consequence_scale() -> list[dict[str, str]]:
    return [
        {"label": "Negligible", "description": "No noticeable effect on people, the organisation or society."},
        {"label": "Minor", "description": "Short-lived inconvenience; easily reversed; no lasting harm."},
        {"label": "Moderate", "description": "Noticeable harm to some people or a reportable incident; reversible."},
        {"label": "Major", "description": "Serious harm to individuals or groups, regulatory action, hard to reverse."},
        {
            "label": "Severe",
            "description": "Irreversible harm, fundamental rights breached, or threat to the business.",
        },
    ]


def default_bands() -> list[dict[str, object]]:
    """Likelihood x consequence score bands of the default 5 x 5 criteria."""
    return [
        {"level": Level.LOW.value, "max_score": 4},
        {"level": Level.MEDIUM.value, "max_score": 9},
        {"level": Level.HIGH.value, "max_score": 16},
        {"level": Level.CRITICAL.value, "max_score": 25},
    ]


class RiskCriteria(RegisterModel):
    """One version of a management system's risk criteria (6.1.2 b, d); never edited once used."""

    reference_prefix = "CRIT"

    class Method(models.TextChoices):
        PRODUCT = "product", "Likelihood × consequence, banded into levels"
        MATRIX = "matrix", "Explicit matrix of levels"

    number = models.PositiveIntegerField("criteria version", editable=False)
    title = models.CharField(max_length=200, default="Risk criteria")
    likelihood_scale = models.JSONField(
        default=default_likelihood_scale, help_text="Lowest first: label and description."
    )
    consequence_scale = models.JSONField(
        default=default_consequence_scale, help_text="Lowest first: label and description."
    )
    method = models.CharField("combination method", max_length=20, choices=Method.choices, default=Method.PRODUCT)
    bands = models.JSONField(
        default=default_bands, blank=True, help_text="Product method: highest score of each level."
    )
    matrix = models.JSONField(
        default=list, blank=True, help_text="Matrix method: a level per likelihood row and consequence column."
    )

    class ConsequenceBasis(models.TextChoices):
        PER_PARTY = "per_party", "Rated for the organisation, for individuals and for society; the highest counts"
        WORST = "worst", "One rating: the worst of the consequences for the organisation, individuals and society"

    acceptable_level = models.CharField(
        max_length=20,
        choices=Level.choices,
        default=Level.MEDIUM,
        help_text="The highest level that needs no further treatment (6.1.2 d): above it a risk is treated further, "
        "or accepted with a rationale by the authority its level requires.",
    )
    authority = models.JSONField(
        "acceptance authority",
        default=default_authority,
        help_text="Who may accept a residual risk of each level: the risk owner, a compliance officer or leadership.",
    )
    intolerable_level = models.CharField(
        max_length=20,
        choices=Level.choices,
        blank=True,
        help_text="Optional: residual risks at or above this level cannot be accepted at all.",
    )
    consequence_basis = models.CharField(
        max_length=20,
        choices=ConsequenceBasis.choices,
        default=ConsequenceBasis.WORST,
        help_text="Rate the consequence for each party (the highest counts), or once as the worst of the three.",
    )
    rationale = models.TextField(blank=True, help_text="Why these criteria, or what changed from the previous version.")

    class Meta(RegisterModel.Meta):
        verbose_name = "risk criteria"
        verbose_name_plural = "risk criteria"
        ordering = ["-number"]
        constraints = RegisterModel.Meta.constraints + [
            models.UniqueConstraint(fields=["management_system", "number"], name="one_criteria_number_per_aims")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    @property
    def likelihood_size(self) -> int:
        return len(self.likelihood_scale or [])

    @property
    def consequence_size(self) -> int:
        return len(self.consequence_scale or [])

    def likelihood_label(self, value: int | None) -> str:
        return _label(self.likelihood_scale, value)

    def authority_for(self, level: str) -> str:
        """Who may accept a residual risk of this level (leadership when the criteria do not say)."""
        return (self.authority or {}).get(level, Authority.LEADERSHIP.value)

    def is_intolerable(self, level: str) -> bool:
        return bool(self.intolerable_level) and LEVEL_RANK[level] >= LEVEL_RANK[self.intolerable_level]

    def is_acceptable(self, level: str) -> bool:
        """At or below the acceptable level: no further treatment needed."""
        return LEVEL_RANK[level] <= LEVEL_RANK[self.acceptable_level]

    @property
    def acceptance_table(self) -> list[tuple[str, str, str, str]]:
        """(level, label, how it is judged, who accepts it) for every level, lowest first."""
        judged = {"within": "Acceptable: no further treatment needed", "above": "Above the acceptable level",
                  "intolerable": "Intolerable: cannot be accepted"}  # fmt: skip
        return [
            (level, label, judged[self.evaluate(level)],
             "Nobody" if self.is_intolerable(level) else Authority(self.authority_for(level)).label)
            for level, label in Level.choices
        ]  # fmt: skip

    def evaluate(self, level: str) -> str:
        """A level judged against the criteria: within the acceptable level, above it, or intolerable."""
        if self.is_intolerable(level):
            return "intolerable"
        return "within" if self.is_acceptable(level) else "above"

    def consequence_label(self, value: int | None) -> str:
        return _label(self.consequence_scale, value)

    def clean(self) -> None:
        from assessments.scoring import criteria_errors

        errors = criteria_errors(self)
        if errors:
            raise ValidationError(errors)


def _label(scale: list[dict[str, str]], value: int | None) -> str:
    if value is None or not 1 <= value <= len(scale or []):
        return ""
    return scale[value - 1].get("label", str(value))


class RiskSource(models.TextChoices):
    """Risk sources shaped by ISO/IEC 42001 Annex C and ISO/IEC 23894 Annex B."""

    FAIRNESS = "fairness", "Fairness and bias"
    PRIVACY = "privacy", "Privacy and data protection"
    SECURITY = "security", "Security"
    SAFETY = "safety", "Safety"
    TRANSPARENCY = "transparency", "Transparency and explainability"
    ROBUSTNESS = "robustness", "Robustness and reliability"
    ACCOUNTABILITY = "accountability", "Accountability"
    AUTOMATION = "automation", "Level of automation"
    ML_SPECIFIC = "ml_specific", "Machine learning specific (data, drift, training)"
    THIRD_PARTY = "third_party", "Third party and supply chain"
    ENVIRONMENT = "environment", "Complexity of the environment"
    TECHNOLOGY = "technology", "Technology readiness"
    HARDWARE = "hardware", "System hardware"
    SOCIETAL = "societal", "Societal and environmental impact"
    OTHER = "other", "Other"


class Risk(RetirableModel):
    """An AI risk: assessed against its criteria version, treated, and accepted (6.1.2, 6.1.3, 8.2, 8.3)."""

    reference_prefix = "RISK"
    owned_children = ("actions",)
    editable_fields = (
        "title", "ai_systems", "lifecycle_stage", "source", "affected_objective", "description",
        "consequence_organisation", "consequence_individuals", "consequence_society", "likelihood", "consequence",
        "treatment_option", "treatment_plan", "opportunity", "controls", "additional_controls",
        "residual_likelihood", "residual_consequence", "owner", "next_review", "effectiveness_check",
        "consequence_organisation_rating", "consequence_individuals_rating", "consequence_society_rating",
        "acceptance_rationale", "acceptance_review_by",
    )  # fmt: skip
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"

    class Treatment(models.TextChoices):
        AVOID = "avoid", "Avoid"
        MODIFY = "modify", "Modify (reduce likelihood or consequence)"
        SHARE = "share", "Share"
        RETAIN = "retain", "Retain"

    class Evaluation(models.TextChoices):
        WITHIN = "within", "Within the acceptable level"
        ABOVE = "above", "Above the acceptable level: treat it further, or accept it with a rationale"
        INTOLERABLE = "intolerable", "Intolerable: cannot be accepted"

    title = models.CharField(max_length=200)
    ai_systems = models.ManyToManyField(AISystem, blank=True, related_name="risks", verbose_name="AI systems")
    lifecycle_stage = models.CharField(
        "life-cycle stage",
        max_length=20,
        choices=AISystem.LifecycleStage.choices,
        default=AISystem.LifecycleStage.OPERATION,
    )
    source = models.CharField("risk source", max_length=20, choices=RiskSource.choices)
    affected_objective = models.CharField(max_length=200, blank=True)
    description = models.TextField()
    consequence_organisation = models.TextField("consequences for the organisation", blank=True)
    consequence_individuals = models.TextField("consequences for individuals", blank=True)
    consequence_society = models.TextField("consequences for society", blank=True)
    criteria = models.ForeignKey(
        RiskCriteria, on_delete=models.PROTECT, related_name="risks", verbose_name="criteria version"
    )
    likelihood = models.PositiveSmallIntegerField()
    consequence_organisation_rating = models.PositiveSmallIntegerField(
        "consequence rating for the organisation", null=True, blank=True
    )
    consequence_individuals_rating = models.PositiveSmallIntegerField(
        "consequence rating for individuals", null=True, blank=True
    )
    consequence_society_rating = models.PositiveSmallIntegerField(
        "consequence rating for society", null=True, blank=True
    )
    consequence = models.PositiveSmallIntegerField(
        help_text="On criteria rating each party, the highest of the three ratings (computed)."
    )
    inherent_level = models.CharField(max_length=20, choices=Level.choices, editable=False)
    evaluation = models.CharField("inherent evaluation", max_length=20, choices=Evaluation.choices, editable=False)
    treatment_option = models.CharField(max_length=20, choices=Treatment.choices, default=Treatment.MODIFY)
    treatment_plan = models.TextField(blank=True)
    opportunity = models.TextField(blank=True, help_text="Any opportunity the risk represents.")
    controls = models.ManyToManyField(
        "controls.Control", blank=True, related_name="risks", verbose_name="Annex A controls"
    )
    additional_controls = models.TextField(blank=True, help_text="Controls beyond Annex A.")
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_consequence = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_level = models.CharField(max_length=20, choices=Level.choices, blank=True, editable=False)
    residual_evaluation = models.CharField(max_length=20, choices=Evaluation.choices, blank=True, editable=False)
    acceptance_rationale = models.TextField(
        blank=True,
        help_text="Why a residual risk above the acceptable level is accepted rather than treated further "
        "(required for its acceptance).",
    )
    acceptance_review_by = models.DateField(
        "acceptance review by", null=True, blank=True, help_text="When an acceptance must be reviewed again."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_risks",
        verbose_name="risk owner",
    )
    next_review = models.DateField("next review", null=True, blank=True)
    effectiveness_check = models.TextField(blank=True, help_text="8.3: how and when the treatment was checked to work.")
    impact_row = models.ForeignKey(
        "ImpactRow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risks",
        verbose_name="raised from impact row",
    )

    _history_m2m_fields = ["ai_systems", "controls"]

    class Meta(RegisterModel.Meta):
        verbose_name = "risk"
        # One per filter of the register (``RiskFilterSet``), each led by the management system and
        # ending with ``retired_at`` (every list filters on it), so a filtered count reads the index
        # only; the ordering (reference) is the unique (management system, reference) index.
        indexes = [
            models.Index(fields=["management_system", "retired_at", "reference"], name="risk_ms_status_ref"),
            models.Index(fields=["management_system", "source", "retired_at"], name="risk_ms_source"),
            models.Index(
                fields=["management_system", "residual_level", "inherent_level", "retired_at"], name="risk_ms_level"
            ),
            models.Index(fields=["management_system", "treatment_option", "retired_at"], name="risk_ms_treatment"),
            models.Index(fields=["management_system", "owner", "retired_at"], name="risk_ms_owner"),
            models.Index(fields=["management_system", "next_review", "retired_at"], name="risk_ms_review"),
            models.Index(fields=["management_system", "likelihood", "consequence", "retired_at"], name="risk_ms_cell"),
            models.Index(
                fields=["management_system", "residual_likelihood", "residual_consequence", "retired_at"],
                name="risk_ms_residual_cell",
            ),
            # The SoA page counts each control's risks by joining the links to the management system's
            # risks on their ids: read from this index alone instead of every risk row.
            models.Index(fields=["management_system", "id"], name="risk_ms_id"),
        ]

    def clean(self) -> None:
        if (self.residual_likelihood is None) != (self.residual_consequence is None):
            missing = "residual_consequence" if self.residual_consequence is None else "residual_likelihood"
            raise ValidationError({missing: "Give both residual likelihood and residual consequence, or neither."})

    @property
    def is_overdue(self) -> bool:
        return self.next_review is not None and self.next_review < timezone.localdate()

    @property
    def acceptance_level(self) -> str:
        """The level an acceptance is judged on: residual if assessed, else inherent."""
        return self.residual_level or self.inherent_level

    @property
    def residual_judgement(self) -> str:
        """The residual evaluation (stored when scored; computed for risks scored before it was stored)."""
        if self.residual_evaluation or not self.residual_level:
            return self.residual_evaluation
        return self.criteria.evaluate(self.residual_level)

    @property
    def acceptance_authority(self) -> str:
        """Who may accept this risk at its residual (else inherent) level, under its criteria."""
        return self.criteria.authority_for(self.acceptance_level)


class TreatmentAction(models.Model):
    """One action of a risk's treatment plan, with its owner, due date and status."""

    editable_fields = ("description", "owner", "due_date", "status")

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    history = RegisterHistory()

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        open_ = self.status in (self.Status.PLANNED, self.Status.IN_PROGRESS)
        return open_ and self.due_date is not None and self.due_date < timezone.localdate()


class RiskUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Risk, on_delete=models.CASCADE)


class RiskGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Risk, on_delete=models.CASCADE)


def default_impact_severity() -> list[dict[str, str]]:
    return [
        {"label": "Very low", "description": "Inconvenience; no effect on health, rights, money or opportunities."},
        {"label": "Low", "description": "Minor, short-lived harm that people recover from without help."},
        {"label": "Medium", "description": "Noticeable harm to health, finances or access to a service; recoverable."},
        {"label": "High", "description": "Serious harm to health, safety or fundamental rights; hard to recover from."},
        {"label": "Very high", "description": "Death, lasting injury, or a severe and lasting loss of rights."},
    ]


def default_impact_likelihood() -> list[dict[str, str]]:
    return [
        {"label": "Very low", "description": "Not expected in the system's lifetime."},
        {"label": "Low", "description": "Could happen in rare circumstances."},
        {"label": "Medium", "description": "Might happen a few times a year."},
        {"label": "High", "description": "Will probably happen several times a month."},
        {"label": "Very high", "description": "Expected whenever the system is used."},
    ]


def default_impact_reversibility() -> list[dict[str, str]]:
    return [
        {"value": "reversible", "label": "Reversible", "description": "The effect can be fully undone quickly."},
        {"value": "partly", "label": "Partly reversible", "description": "Only partly undone, or with effort."},
        {"value": "irreversible", "label": "Irreversible", "description": "The effect cannot be undone."},
    ]


def default_impact_scale() -> list[dict[str, str]]:
    return [
        {"label": "A few people", "description": "Up to 10 people."},
        {"label": "A group", "description": "11 to 100 people."},
        {"label": "Many people", "description": "101 to 1,000 people."},
        {"label": "A large population", "description": "1,001 to 100,000 people."},
        {"label": "Society at large", "description": "More than 100,000 people."},
    ]


class ImpactCriteria(RegisterModel):
    """One version of the impact criteria (ISO/IEC 42005 5.7): what each rating of an impact means."""

    reference_prefix = "ICRIT"
    editable_fields = (
        "title",
        "severity_scale",
        "likelihood_scale",
        "reversibility_scale",
        "people_scale",
        "rationale",
    )
    SIZES = {"severity_scale": 5, "likelihood_scale": 5, "reversibility_scale": 3, "people_scale": 5}

    number = models.PositiveIntegerField("criteria version", editable=False)
    title = models.CharField(max_length=200, default="Impact criteria")
    severity_scale = models.JSONField(default=default_impact_severity, help_text="Five points, lowest first.")
    likelihood_scale = models.JSONField(default=default_impact_likelihood, help_text="Five points, lowest first.")
    reversibility_scale = models.JSONField(
        default=default_impact_reversibility, help_text="Reversible, partly reversible, irreversible."
    )
    people_scale = models.JSONField(
        "scale (number of people)", default=default_impact_scale, help_text="Five points, fewest people first."
    )
    rationale = models.TextField(blank=True, help_text="Why these definitions, or what changed.")

    class Meta(RegisterModel.Meta):
        verbose_name = "impact criteria"
        verbose_name_plural = "impact criteria"
        ordering = ["-number"]
        constraints = RegisterModel.Meta.constraints + [
            models.UniqueConstraint(fields=["management_system", "number"], name="one_impact_criteria_number_per_aims")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    def clean(self) -> None:
        errors = {}
        for field, size in self.SIZES.items():
            scale = getattr(self, field) or []
            valid = isinstance(scale, list) and len(scale) == size
            if not valid or any(not isinstance(p, dict) or not str(p.get("label", "")).strip() for p in scale):
                errors[field] = f"Give {size} points, each with a label (and a definition)."
        if errors:
            raise ValidationError(errors)

    @property
    def scales_for_display(self) -> list[tuple[str, list[dict[str, str]]]]:
        return [
            ("Severity", self.severity_scale),
            ("Likelihood", self.likelihood_scale),
            ("Reversibility", self.reversibility_scale),
            ("Scale (number of people)", self.people_scale),
        ]

    def definition(self, field: str, value: Any) -> str:
        """The label and definition of one value of a scale (a rating from 1, or a reversibility value)."""
        scale = getattr(self, field) or []
        if field == "reversibility_scale":
            point = next((p for p in scale if p.get("value") == value), None)
        else:
            point = scale[value - 1] if isinstance(value, int) and 1 <= value <= len(scale) else None
        return f"{point.get('label', '')}: {point.get('description', '')}".rstrip(": ") if point else ""


class ImpactAssessment(RetirableModel):
    """An AI system impact assessment for one system and version (6.1.4, 8.4; ISO/IEC 42005 clause 6)."""

    reference_prefix = "AIIA"
    owned_children = ("rows",)
    editable_fields = (
        "ai_system", "system_version", "title", "trigger", "lifecycle_stage", "assessors", "responsible_role",
        "scope",
        "system_description", "functions", "intended_uses", "foreseeable_misuse",
        "data_sources", "data_categories", "data_quality",
        "model_type", "model_origin", "training_approach", "known_limitations",
        "geography_languages", "operating_environment", "human_oversight",
        "interested_parties", "vulnerable_groups_affected", "vulnerable_groups", "consultation",
        "sensitive_use", "decision", "conditions", "results_recipients", "shared_externally", "next_review",
        "retention_period",
    )  # fmt: skip
    retire_verb = "Withdraw"
    retired_label = "Withdrawn"

    class Trigger(models.TextChoices):
        INITIAL = "initial", "Initial"
        PERIODIC = "periodic", "Periodic review"
        CHANGE = "significant_change", "Significant change"

    class Decision(models.TextChoices):
        PENDING = "pending", "Not decided yet"
        PROCEED = "proceed", "Proceed"
        CONDITIONS = "proceed_with_conditions", "Proceed with conditions"
        STOP = "stop", "Stop"

    class ModelOrigin(models.TextChoices):
        IN_HOUSE = "in_house", "Built in-house"
        THIRD_PARTY = "third_party", "Third party"
        MIXED = "mixed", "Both"

    ai_system = models.ForeignKey(
        AISystem, on_delete=models.PROTECT, related_name="impact_assessments", verbose_name="AI system"
    )
    impact_criteria = models.ForeignKey(
        ImpactCriteria,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name="impact criteria version",
        help_text="The definitions the ratings were given on.",
    )
    predecessor = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reassessment",
        help_text="The earlier assessment of the same system this one re-assesses.",
    )
    system_version = models.CharField("AI system version", max_length=50, blank=True)
    title = models.CharField(max_length=200)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.INITIAL)
    lifecycle_stage = models.CharField(
        "life-cycle stage",
        max_length=20,
        choices=AISystem.LifecycleStage.choices,
        default=AISystem.LifecycleStage.DESIGN,
    )
    assessors = models.CharField(max_length=300, blank=True)
    responsible_role = models.CharField(max_length=200, blank=True)
    # Scope (42005 6.2)
    scope = models.TextField(help_text="What is in and out of this assessment, and the system boundaries.")
    # AI system information (6.3)
    system_description = models.TextField("description", blank=True)
    functions = models.TextField("functions and capabilities", blank=True)
    intended_uses = models.TextField("purpose and intended uses", blank=True)
    foreseeable_misuse = models.TextField("unintended uses and reasonably foreseeable misuse", blank=True)
    # Data (6.4)
    data_sources = models.TextField(blank=True)
    data_categories = models.TextField("data categories (personal or sensitive)", blank=True)
    data_quality = models.TextField("collection, quality and representativeness", blank=True)
    # Algorithm and model (6.5)
    model_type = models.CharField(max_length=200, blank=True)
    model_origin = models.CharField(max_length=20, choices=ModelOrigin.choices, default=ModelOrigin.THIRD_PARTY)
    training_approach = models.TextField(blank=True)
    known_limitations = models.TextField(blank=True)
    # Deployment environment (6.6)
    geography_languages = models.CharField("geographic area and languages", max_length=300, blank=True)
    operating_environment = models.TextField("complexity and constraints of the environment", blank=True)
    human_oversight = models.TextField("human oversight setting", blank=True)
    # Interested parties (6.7)
    interested_parties = models.TextField("parties directly and indirectly affected", blank=True)
    vulnerable_groups_affected = models.BooleanField("vulnerable groups affected", default=False)
    vulnerable_groups = models.TextField(blank=True)
    consultation = models.TextField("consultation done", blank=True)
    # Thresholds (5.7) and outcome
    sensitive_use = models.BooleanField("sensitive or restricted use", default=False)
    decision = models.CharField(max_length=30, choices=Decision.choices, default=Decision.PENDING)
    conditions = models.TextField("conditions or rationale", blank=True)
    results_recipients = models.CharField("results shared with", max_length=300, blank=True)
    shared_externally = models.BooleanField("results shared externally", default=False)
    next_review = models.DateField("next review", null=True, blank=True)
    retention_period = models.CharField(max_length=100, blank=True, default="10 years after retirement")

    class Meta(RegisterModel.Meta):
        verbose_name = "AI impact assessment"
        # As for risks: one per filter of the list (``ImpactFilterSet``); the AI system has its foreign key
        # index, the ordering the unique (management system, reference) index.
        indexes = [
            models.Index(fields=["management_system", "retired_at", "reference"], name="impact_ms_status_ref"),
            models.Index(fields=["management_system", "decision", "retired_at"], name="impact_ms_decision"),
            models.Index(fields=["management_system", "trigger", "retired_at"], name="impact_ms_trigger"),
            models.Index(fields=["management_system", "next_review", "retired_at"], name="impact_ms_review"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        if self.vulnerable_groups_affected and not self.vulnerable_groups.strip():
            raise ValidationError({"vulnerable_groups": "Name the vulnerable groups affected."})
        if self.decision == self.Decision.CONDITIONS and not self.conditions.strip():
            raise ValidationError({"conditions": "State the conditions for proceeding."})
        if (
            self.ai_system_id
            and self.management_system_id
            and self.ai_system.management_system_id != self.management_system_id
        ):
            raise ValidationError({"ai_system": "This AI system belongs to another management system."})

    @property
    def is_overdue(self) -> bool:
        return self.next_review is not None and self.next_review < timezone.localdate()


class ImpactRow(models.Model):
    """One actual or reasonably foreseeable impact (42005 6.8) and its measures (6.9)."""

    editable_fields = (
        "area", "effect", "scenario", "affected_group", "people_scale", "description", "severity", "likelihood",
        "reversibility", "measures", "residual_impact",
    )  # fmt: skip

    class Effect(models.TextChoices):
        HARM = "harm", "Harm"
        BENEFIT = "benefit", "Benefit"

    class Scenario(models.TextChoices):
        INTENDED = "intended_use", "Intended use"
        FAILURE = "failure", "Failure"
        MISUSE = "misuse", "Reasonably foreseeable misuse"

    class Area(models.TextChoices):
        FAIRNESS = "fairness", "Fairness"
        PRIVACY = "privacy", "Privacy"
        SAFETY = "safety", "Safety"
        HUMAN_RIGHTS = "human_rights", "Human rights"
        ACCESSIBILITY = "accessibility", "Accessibility"
        ECONOMIC = "economic", "Economic"
        ENVIRONMENTAL = "environmental", "Environmental"
        SOCIETAL = "societal", "Societal"

    class Rating(models.IntegerChoices):
        VERY_LOW = 1, "1 Very low"
        LOW = 2, "2 Low"
        MEDIUM = 3, "3 Medium"
        HIGH = 4, "4 High"
        VERY_HIGH = 5, "5 Very high"

    class Reversibility(models.TextChoices):
        REVERSIBLE = "reversible", "Reversible"
        PARTLY = "partly", "Partly reversible"
        IRREVERSIBLE = "irreversible", "Irreversible"

    assessment = models.ForeignKey(ImpactAssessment, on_delete=models.CASCADE, related_name="rows")
    area = models.CharField(max_length=20, choices=Area.choices)
    effect = models.CharField("benefit or harm", max_length=10, choices=Effect.choices, default=Effect.HARM)
    scenario = models.CharField(max_length=20, choices=Scenario.choices, default=Scenario.INTENDED)
    affected_group = models.CharField(max_length=200)
    people_scale = models.PositiveSmallIntegerField(
        "scale (how many people)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (a few people) to 5 (society at large), as the impact criteria define them.",
    )
    description = models.TextField()
    severity = models.PositiveSmallIntegerField(choices=Rating.choices)
    likelihood = models.PositiveSmallIntegerField(choices=Rating.choices)
    reversibility = models.CharField(max_length=20, choices=Reversibility.choices, default=Reversibility.REVERSIBLE)
    measures = models.TextField(blank=True)
    residual_impact = models.PositiveSmallIntegerField(choices=Rating.choices, null=True, blank=True)
    history = RegisterHistory()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.affected_group}"


# The impact area each risk is filed under when raised from an impact row.
AREA_SOURCE = {
    ImpactRow.Area.FAIRNESS: RiskSource.FAIRNESS,
    ImpactRow.Area.PRIVACY: RiskSource.PRIVACY,
    ImpactRow.Area.SAFETY: RiskSource.SAFETY,
    ImpactRow.Area.HUMAN_RIGHTS: RiskSource.ACCOUNTABILITY,
    ImpactRow.Area.ACCESSIBILITY: RiskSource.FAIRNESS,
    ImpactRow.Area.ECONOMIC: RiskSource.SOCIETAL,
    ImpactRow.Area.ENVIRONMENTAL: RiskSource.SOCIETAL,
    ImpactRow.Area.SOCIETAL: RiskSource.SOCIETAL,
}
