"""Filters of the risk register and the impact assessments, shared by the pages and the API list endpoints."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from aims.filters import (
    ANY,
    IntegerFilter,
    MemberFilter,
    RecordChoiceFilter,
    RegisterFilterSet,
    SearchFilter,
    StatusFilter,
    YesNoFilter,
)
from aims.models import SignOff
from assessments.models import ImpactAssessment, Level, Risk, RiskSource
from assessments.signoffs import ACCEPTANCE
from registers.filters import SystemFilter, SystemSearchFilter
from registers.models import AISystem


def review_overdue() -> Q:
    """Rows whose next review date has passed."""
    return Q(next_review__lt=timezone.localdate())


def risk_accepted() -> Exists:
    """Risks with a risk acceptance sign-off (of any version): a lookup on the sign-off subject index."""
    return Exists(
        SignOff.objects.filter(
            kind=ACCEPTANCE,
            subject_type=ContentType.objects.get_for_model(Risk),  # cached: no query after the first
            subject_id=OuterRef("pk"),
            management_system=OuterRef("management_system"),
        )
    )


class RiskFilterSet(RegisterFilterSet):
    """The risk register: search, AI system, source, level, treatment, owner, overdue, accepted,
    the heat map cell (``basis``, ``likelihood``, ``consequence``) and the Annex A ``control``."""

    q = SearchFilter("title", "reference", "description")
    system_search = SystemSearchFilter("ai_systems")
    # An AI system by id (links from an AI system, and the API); the page shows it as a notice, not a list.
    system = SystemFilter("ai_systems")
    source = django_filters.ChoiceFilter(label="Source", choices=RiskSource.choices, empty_label=ANY)
    level = django_filters.ChoiceFilter(
        label="Level (residual, else inherent)", choices=Level.choices, empty_label=ANY, method="filter_level"
    )
    treatment = django_filters.ChoiceFilter(
        field_name="treatment_option", label="Treatment", choices=Risk.Treatment.choices, empty_label=ANY
    )
    owner = MemberFilter(label="Owner")
    overdue = YesNoFilter(review_overdue, label="Review overdue")
    status = StatusFilter()
    accepted = YesNoFilter(risk_accepted, label="Accepted")
    # Set by heat map links (and control by URL); hidden fields, so that the filters above combine with them.
    basis = django_filters.ChoiceFilter(
        label="Heat map basis",
        choices=[("inherent", "Inherent"), ("residual", "Residual")],
        widget=forms.HiddenInput,
        method="filter_basis",
        help_text="Which ratings likelihood and consequence match: inherent (the default) or residual.",
    )
    likelihood = IntegerFilter(
        label="Likelihood",
        min_value=1,
        max_value=10,
        widget=forms.HiddenInput,
        method="filter_cell",
        help_text="Heat map cell: the likelihood rating (see basis).",
    )
    consequence = IntegerFilter(
        label="Consequence",
        min_value=1,
        max_value=10,
        widget=forms.HiddenInput,
        method="filter_cell",
        help_text="Heat map cell: the consequence rating (see basis).",
    )
    control = IntegerFilter(
        label="Annex A control",
        min_value=1,
        widget=forms.HiddenInput,
        method="filter_control",
        help_text="The id of an Annex A control the risks are linked to.",
    )

    def filter_level(self, queryset: QuerySet[Risk], name: str, value: str) -> QuerySet[Risk]:
        return queryset.filter(Q(residual_level=value) | Q(residual_level="", inherent_level=value))

    def filter_basis(self, queryset: QuerySet[Risk], name: str, value: str) -> QuerySet[Risk]:
        return queryset  # filter_cell reads it

    def filter_cell(self, queryset: QuerySet[Risk], name: str, value: int) -> QuerySet[Risk]:
        """Risks rated ``value`` for likelihood or consequence: inherent, or residual with ``basis=residual``."""
        prefix = "residual_" if self.form.cleaned_data.get("basis") == "residual" else ""
        return queryset.filter(**{f"{prefix}{name}": value})

    def filter_control(self, queryset: QuerySet[Risk], name: str, value: int) -> QuerySet[Risk]:
        links = Risk.controls.through.objects.filter(risk=OuterRef("pk"), control_id=value)
        return queryset.filter(Exists(links))


class ImpactFilterSet(RegisterFilterSet):
    """The impact assessments: search, AI system, decision, trigger and overdue review."""

    q = SearchFilter("title", "reference")
    system_search = SystemSearchFilter("ai_system")
    system = RecordChoiceFilter(AISystem, field_name="ai_system", label="AI system", widget=forms.HiddenInput)
    decision = django_filters.ChoiceFilter(label="Decision", choices=ImpactAssessment.Decision.choices, empty_label=ANY)
    trigger = django_filters.ChoiceFilter(label="Trigger", choices=ImpactAssessment.Trigger.choices, empty_label=ANY)
    overdue = YesNoFilter(review_overdue, label="Review overdue")
    status = StatusFilter()
