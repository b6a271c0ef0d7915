"""factory_boy factories for users, management systems and every register row.

Register rows are created through the services, as the application does, so that
references, versions, history and grants are the real ones. Each factory takes the
``management_system`` the row belongs to and the acting ``user`` (recorded in history);
everything else is a field of the row. The ``make_*`` helpers are the short spellings the
tests have always used; they call the factories.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from aims import services
from aims.models import ManagementSystem
from assessments import services as assessment_services
from assessments.models import ImpactAssessment, Risk, RiskCriteria
from controls import services as control_services
from controls.models import Applicability
from evidence import services as evidence_services
from evidence.demo import samples
from evidence.models import Evidence
from registers import services as register_services
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ServiceFactory(factory.Factory):
    """Base of the factories that create through a service (in ``_create``): they cannot merely build."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError(f"{cls.__name__} creates through the services only; call {cls.__name__}(...)")


class ManagementSystemFactory(ServiceFactory):
    """A management system created by its first owner, with its role groups and SoA rows."""

    class Meta:
        model = ManagementSystem

    owner = factory.SubFactory(UserFactory)
    organisation = "Acme Health"
    name = "AIMS"

    @classmethod
    def _create(cls, model_class, *, owner, **fields):
        return services.management_system_create(user=owner, **fields)


class RegisterFactory(ServiceFactory):
    """Base of the register factories: a row of a management system, written by an acting user."""

    class Meta:
        abstract = True

    management_system = factory.SubFactory(ManagementSystemFactory)
    user = None  # the acting user: history records them


class AISystemFactory(RegisterFactory):
    class Meta:
        model = AISystem

    name = "Triage assistant"
    purpose = "Suggests a triage category for incoming patient messages."

    @classmethod
    def _create(cls, model_class, *, management_system, user, **fields):
        return register_services.ai_system_create(management_system=management_system, user=user, **fields)


def _next_name(model) -> factory.LazyFunction:
    """Name a record after its kind and the next number, e.g. "supplier 3"."""
    return factory.LazyFunction(lambda: f"{model._meta.verbose_name} {model.objects.count() + 1}")


class RecordFactory(RegisterFactory):
    """Model records, dataset records and suppliers share one service."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *, management_system, user, **fields):
        return register_services.record_create(model_class, management_system=management_system, user=user, **fields)


class ModelRecordFactory(RecordFactory):
    class Meta:
        model = ModelRecord

    name = _next_name(ModelRecord)


class DatasetRecordFactory(RecordFactory):
    class Meta:
        model = DatasetRecord

    name = _next_name(DatasetRecord)


class SupplierFactory(RecordFactory):
    class Meta:
        model = Supplier

    name = _next_name(Supplier)


RECORD_FACTORIES = {f._meta.model: f for f in (ModelRecordFactory, DatasetRecordFactory, SupplierFactory)}


class EvidenceFactory(RegisterFactory):
    """Evidence through ``evidence_create``: a link by default, a file with ``file=True`` or ``file_name=...``.

    A file's bytes are ``data``, by default a one-page PDF showing the title; ``upload`` gives
    the uploaded file itself.
    """

    class Meta:
        model = Evidence

    class Params:
        file_name = None
        data = None
        file = factory.Trait(file_name="evidence.pdf")

    title = "Bias evaluation report"
    evidence_date = factory.LazyFunction(timezone.localdate)
    upload = factory.Maybe(
        "file_name",
        yes_declaration=factory.LazyAttribute(
            lambda o: SimpleUploadedFile(o.file_name, samples.pdf_bytes(o.title) if o.data is None else o.data)
        ),
        no_declaration=None,
    )
    url = factory.LazyAttribute(lambda o: "" if o.upload is not None else "https://example.org/evidence")
    links = None

    @classmethod
    def _create(cls, model_class, *, management_system, user, **fields):
        return evidence_services.evidence_create(management_system=management_system, user=user, **fields)


class RiskCriteriaFactory(RegisterFactory):
    """A new version of the risk criteria (the model's defaults: 5 x 5, four levels)."""

    class Meta:
        model = RiskCriteria

    @classmethod
    def _create(cls, model_class, *, management_system, user, **fields):
        return assessment_services.risk_criteria_create(management_system=management_system, user=user, **fields)


class RiskFactory(RegisterFactory):
    """A scored risk; the management system gets default criteria first if it has none."""

    class Meta:
        model = Risk

    title = "Triage model under-prioritises elderly patients"
    source = "fairness"
    description = "Training data under-represents patients over 80."
    likelihood = 3
    consequence = 4
    # Every acceptance carries a review date: a risk made ready to be accepted has one.
    acceptance_review_by = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))

    @classmethod
    def _create(cls, model_class, *, management_system, user, **fields):
        criteria = assessment_services.current_criteria(management_system=management_system)
        if criteria is None:
            criteria = RiskCriteriaFactory(management_system=management_system, user=user)
        parties = ("consequence_organisation_rating", "consequence_individuals_rating", "consequence_society_rating")
        if criteria.consequence_basis == "per_party" and not any(name in fields for name in parties):
            # Criteria that rate each party: the single consequence given is the rating for individuals.
            fields["consequence_individuals_rating"] = fields.pop("consequence")
        return assessment_services.risk_create(management_system=management_system, user=user, **fields)


class ImpactAssessmentFactory(RegisterFactory):
    """An AI system impact assessment, of a new AI system unless ``ai_system`` is given."""

    class Meta:
        model = ImpactAssessment

    ai_system = factory.SubFactory(
        AISystemFactory,
        management_system=factory.SelfAttribute("..management_system"),
        user=factory.SelfAttribute("..user"),
    )
    title = factory.LazyAttribute(lambda o: f"Impact assessment of {o.ai_system.name}")
    scope = "The triage assistant in the patient portal."

    @classmethod
    def _create(cls, model_class, *, management_system, user, **fields):
        return assessment_services.impact_assessment_create(management_system=management_system, user=user, **fields)


def decide_soa_row(
    management_system: ManagementSystem, row: Applicability | str, *, user, reason: str = "Decided", **fields
) -> Applicability:
    """Decide one row of the statement of applicability (a row or a control key) through the service.

    Every management system has its rows already; by default the control is included and
    planned with a justification, an exclusion is not applicable with one.
    """
    if isinstance(row, str):
        row = Applicability.objects.select_related("control").get(management_system=management_system, control__key=row)
    key = row.control.key
    applicable = fields.setdefault("applicable", Applicability.Decision.INCLUDED)
    if applicable == Applicability.Decision.EXCLUDED:
        fields.setdefault("implementation_status", Applicability.ImplementationStatus.NOT_APPLICABLE)
        fields.setdefault("justification", f"{key}: we have no customers for AI services.")
    else:
        fields.setdefault("implementation_status", Applicability.ImplementationStatus.PLANNED)
        fields.setdefault("justification", f"{key}: needed to treat the triage assistant's risks.")
    return control_services.applicability_update(row, user=user, expected_version=row.version, reason=reason, **fields)


def make_api_token(user, *, name: str = "tests") -> str:
    """A bearer token of the user's, through the service; returns the raw key (sent as ``Authorization: Bearer``)."""
    _token, raw = services.api_token_create(user=user, name=name)
    return raw


def make_management_system(*, owner, organisation: str = "Acme Health", name: str = "AIMS") -> ManagementSystem:
    return ManagementSystemFactory(owner=owner, organisation=organisation, name=name)


def make_ai_system(management_system: ManagementSystem, *, user=None, **fields) -> AISystem:
    return AISystemFactory(management_system=management_system, user=user, **fields)


def make_record(model, management_system: ManagementSystem, *, user=None, **fields):
    return RECORD_FACTORIES[model](management_system=management_system, user=user, **fields)


__all__ = [
    "PASSWORD",
    "UserFactory",
    "ManagementSystemFactory",
    "AISystemFactory",
    "ModelRecordFactory",
    "DatasetRecordFactory",
    "SupplierFactory",
    "RECORD_FACTORIES",
    "EvidenceFactory",
    "RiskCriteriaFactory",
    "RiskFactory",
    "ImpactAssessmentFactory",
    "decide_soa_row",
    "make_api_token",
    "make_management_system",
    "make_ai_system",
    "make_record",
    "ModelRecord",
    "DatasetRecord",
    "Supplier",
]
