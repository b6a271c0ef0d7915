"""AI system inventory (clause 4.1, 4.3, Annex A.4): systems, models, datasets, suppliers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

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
        "name", "purpose", "intended_use", "owner", "lifecycle_stage", "in_scope", "ai_role", "eu_ai_act_risk_class",
        "human_oversight", "notes", "model_records", "dataset_records", "suppliers",
    )  # fmt: skip

    class LifecycleStage(models.TextChoices):
        CONCEPT = "concept", "Concept"
        DESIGN = "design", "Design and development"
        VERIFICATION = "verification", "Verification and validation"
        DEPLOYMENT = "deployment", "Deployment"
        OPERATION = "operation", "Operation and monitoring"
        RETIRED = "retired", "Retired"

    class AIRole(models.TextChoices):
        PROVIDER = "provider", "Provider"
        DEVELOPER = "developer", "Developer"
        DEPLOYER = "deployer", "Deployer"
        USER = "user", "User"
        IMPORTER = "importer", "Importer"
        DISTRIBUTOR = "distributor", "Distributor"

    class RiskClass(models.TextChoices):
        UNASSESSED = "unassessed", "Not yet assessed"
        PROHIBITED = "prohibited", "Prohibited practice"
        HIGH = "high", "High risk"
        LIMITED = "limited", "Limited risk (transparency)"
        MINIMAL = "minimal", "Minimal risk"
        GPAI = "gpai", "General-purpose AI model"

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
    ai_role = models.CharField("organisation's AI role", max_length=20, choices=AIRole.choices, default=AIRole.DEPLOYER)
    eu_ai_act_risk_class = models.CharField(
        "EU AI Act risk class", max_length=20, choices=RiskClass.choices, default=RiskClass.UNASSESSED
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


class AISystemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AISystem, on_delete=models.CASCADE)


class AISystemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AISystem, on_delete=models.CASCADE)
