"""AI system inventory (clause 4.1, 4.3, Annex A.4): systems, models, datasets, suppliers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from aims.history import RegisterHistory
from aims.models import RegisterModel, RetirableModel


class ModelRecord(RetirableModel):
    """Model card facts for a model used by AI systems (A.4.3, A.6.2.3)."""

    reference_prefix = "MOD"
    editable_fields = (
        "name", "model_version", "provider", "model_type", "intended_use", "limitations", "evaluation_summary",
    )  # fmt: skip

    class ModelType(models.TextChoices):
        LLM = "llm", "Large language model"
        CLASSIFIER = "classifier", "Classifier"
        REGRESSION = "regression", "Regression"
        VISION = "vision", "Computer vision"
        SPEECH = "speech", "Speech"
        RECOMMENDER = "recommender", "Recommender"
        RULES = "rules", "Rules / expert system"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    model_version = models.CharField("version", max_length=100, blank=True)
    provider = models.CharField(max_length=200, blank=True)
    model_type = models.CharField("type", max_length=20, choices=ModelType.choices, default=ModelType.OTHER)
    intended_use = models.TextField(blank=True)
    limitations = models.TextField(blank=True)
    evaluation_summary = models.TextField(blank=True)

    class Meta(RegisterModel.Meta):
        verbose_name = "model record"


class DatasetRecord(RetirableModel):
    """Provenance and quality facts for a dataset (A.7)."""

    reference_prefix = "DAT"
    editable_fields = ("name", "source", "provenance", "quality", "personal_data_categories", "retention")

    name = models.CharField(max_length=200)
    source = models.CharField(max_length=300, blank=True)
    provenance = models.TextField(blank=True, help_text="A.7.5: where the data came from and how.")
    quality = models.TextField(blank=True, help_text="A.7.4: quality and representativeness.")
    personal_data_categories = models.CharField(
        max_length=300, blank=True, help_text="For example: health data, contact details. Empty if none."
    )
    retention = models.CharField(max_length=200, blank=True)

    class Meta(RegisterModel.Meta):
        verbose_name = "dataset record"


class Supplier(RetirableModel):
    """A supplier of AI components or services (A.10)."""

    reference_prefix = "SUP"
    editable_fields = ("name", "services", "due_diligence_status", "contract_reference")

    class DueDiligence(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    name = models.CharField(max_length=200)
    services = models.TextField(blank=True)
    due_diligence_status = models.CharField(
        max_length=20, choices=DueDiligence.choices, default=DueDiligence.NOT_STARTED
    )
    contract_reference = models.CharField(max_length=100, blank=True)

    class Meta(RegisterModel.Meta):
        verbose_name = "supplier"


class AISystem(RetirableModel):
    """An AI system in the inventory, with the organisation's role for it (4.1, A.4)."""

    reference_prefix = "AIS"
    editable_fields = (
        "name", "purpose", "intended_use", "owner", "lifecycle_stage", "in_scope", "eu_ai_act_risk_class",
        "eu_ai_act_basis", "human_oversight", "notes", "model_records", "dataset_records", "suppliers",
    )  # fmt: skip
    # The organisation's roles for the system are child rows (``AISystemRole``), written with it.
    owned_children = ("roles",)

    class LifecycleStage(models.TextChoices):
        CONCEPT = "concept", "Concept"
        DESIGN = "design", "Design and development"
        VERIFICATION = "verification", "Verification and validation"
        DEPLOYMENT = "deployment", "Deployment"
        OPERATION = "operation", "Operation and monitoring"
        RETIRED = "retired", "Retired"

    class RiskClass(models.TextChoices):
        """The classes of Regulation (EU) 2024/1689 (the EU AI Act)."""

        UNASSESSED = "unassessed", "Not assessed"
        PROHIBITED = "prohibited", "Prohibited practice (Art. 5)"
        HIGH = "high", "High-risk (Art. 6(2) and Annex III)"
        HIGH_PRODUCT = "high_product", "High-risk as safety component of a product (Art. 6(1), Annex I)"
        LIMITED = "limited", "Transparency obligations (Art. 50)"
        MINIMAL = "minimal", "Minimal risk"
        GPAI = "gpai", "General-purpose AI model"
        GPAI_SYSTEMIC = "gpai_systemic", "General-purpose AI model with systemic risk"

    class HumanOversight(models.TextChoices):
        IN_THE_LOOP = "in_the_loop", "Human in the loop"
        ON_THE_LOOP = "on_the_loop", "Human on the loop"
        IN_COMMAND = "in_command", "Human in command"
        NONE = "none", "No human oversight"

    name = models.CharField(max_length=200)
    purpose = models.TextField()
    intended_use = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_ai_systems",
    )
    lifecycle_stage = models.CharField(max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.CONCEPT)
    in_scope = models.BooleanField("in scope of the AIMS", default=True)
    eu_ai_act_risk_class = models.CharField(
        "EU AI Act risk class", max_length=20, choices=RiskClass.choices, default=RiskClass.UNASSESSED
    )
    eu_ai_act_basis = models.TextField(
        "basis of the EU AI Act class",
        blank=True,
        help_text="Why the system is in this class: the article or Annex III point, or why none applies.",
    )
    human_oversight = models.CharField(
        max_length=20, choices=HumanOversight.choices, default=HumanOversight.IN_THE_LOOP
    )
    notes = models.TextField(blank=True)
    model_records = models.ManyToManyField(ModelRecord, blank=True, related_name="ai_systems", verbose_name="models")
    dataset_records = models.ManyToManyField(
        DatasetRecord, blank=True, related_name="ai_systems", verbose_name="datasets"
    )
    suppliers = models.ManyToManyField(Supplier, blank=True, related_name="ai_systems")

    _history_m2m_fields = ["model_records", "dataset_records", "suppliers"]

    class Meta(RegisterModel.Meta):
        verbose_name = "AI system"

    @property
    def role_codes(self) -> frozenset[str]:
        """The organisation's roles for the system (from ``roles``, prefetched where a list shows them)."""
        return frozenset(role.role for role in self.roles.all())

    @property
    def ai_role(self) -> str | None:
        """The one role of the earlier single-choice field this set of roles implies, if any (read-only)."""
        codes = self.role_codes
        for role, legacy in AISystemRole.LEGACY:
            if role in codes:
                return legacy
        return None


class AISystemRole(models.Model):
    """One role the organisation holds for an AI system, in ISO/IEC 22989 or EU AI Act terms, with its basis."""

    class Scheme(models.TextChoices):
        ISO_22989 = "iso_22989", "ISO/IEC 22989"
        EU_AI_ACT = "eu_ai_act", "EU AI Act"

    class Role(models.TextChoices):
        # ISO/IEC 22989:2022, 5.17 (AI stakeholder roles)
        AI_PROVIDER = "ai_provider", "AI provider"
        AI_PRODUCER = "ai_producer", "AI producer"
        AI_CUSTOMER = "ai_customer", "AI customer"
        AI_PARTNER = "ai_partner", "AI partner"
        AI_SUBJECT = "ai_subject", "AI subject"
        RELEVANT_AUTHORITY = "relevant_authority", "Relevant authority"
        # Regulation (EU) 2024/1689, Art. 3(3) to 3(8)
        PROVIDER = "provider", "Provider"
        DEPLOYER = "deployer", "Deployer"
        IMPORTER = "importer", "Importer"
        DISTRIBUTOR = "distributor", "Distributor"
        AUTHORISED_REPRESENTATIVE = "authorised_representative", "Authorised representative"
        PRODUCT_MANUFACTURER = "product_manufacturer", "Product manufacturer"

    ISO_ROLES = ("ai_provider", "ai_producer", "ai_customer", "ai_partner", "ai_subject", "relevant_authority")
    EU_ROLES = ("provider", "deployer", "importer", "distributor", "authorised_representative", "product_manufacturer")
    # The earlier single choice (provider, developer, deployer, user, importer, distributor) each role maps back to.
    LEGACY = (
        ("provider", "provider"),
        ("deployer", "deployer"),
        ("importer", "importer"),
        ("distributor", "distributor"),
        ("ai_producer", "developer"),
        ("ai_customer", "user"),
    )

    ai_system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="roles")
    scheme = models.CharField(max_length=20, choices=Scheme.choices)
    role = models.CharField(max_length=30, choices=Role.choices)
    basis = models.TextField(blank=True, help_text="Why the organisation holds this role for the system.")
    history = RegisterHistory()

    class Meta:
        ordering = ["ai_system", "scheme", "role"]
        verbose_name = "AI system role"
        constraints = [models.UniqueConstraint(fields=["ai_system", "role"], name="registers_aisystemrole_unique_role")]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.get_role_display()}"

    @classmethod
    def scheme_of(cls, role: str) -> str:
        """The scheme a role code belongs to."""
        return cls.Scheme.ISO_22989 if role in cls.ISO_ROLES else cls.Scheme.EU_AI_ACT


class AISystemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AISystem, on_delete=models.CASCADE)


class AISystemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AISystem, on_delete=models.CASCADE)
