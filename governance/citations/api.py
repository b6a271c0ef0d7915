"""API of SoA citations.

- ``/api/v1/soa-citations/``: what each SoA row's justification cites (a requirement of the legal
  register, a risk, an impact assessment or a document), with a reason type. Filter with
  ``?applicability=<SoA row id>``. Created with a change reason; removed with ``DELETE`` and
  If-Match (a tracked delete: the history keeps who removed it and why). Never changed in place.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from aims.api_common import RegisterSerializer, RegisterViewSet, ScopedRelatedField, register_fields
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, Risk
from controls.models import Applicability
from governance.citations import selectors, services
from governance.models import Document, Requirement, SoaCitation
from governance.models.citations import CITATION_TARGETS


class SoaCitationFilterSet(django_filters.FilterSet):
    applicability = django_filters.NumberFilter(field_name="applicability_id", help_text="Only this SoA row's.")
    reason_type = django_filters.ChoiceFilter(choices=SoaCitation.ReasonType.choices)

    class Meta:
        model = SoaCitation
        fields = ["applicability", "reason_type"]


class SoaCitationSerializer(RegisterSerializer):
    applicability = ScopedRelatedField(queryset=Applicability.objects.all(), help_text="The SoA row's id.")
    control_key = serializers.CharField(source="applicability.control.key", read_only=True)
    requirement = ScopedRelatedField(
        queryset=Requirement.objects.all(), required=False, allow_null=True, help_text="A legal-register row's id."
    )
    risk = ScopedRelatedField(queryset=Risk.objects.all(), required=False, allow_null=True)
    impact_assessment = ScopedRelatedField(queryset=ImpactAssessment.objects.all(), required=False, allow_null=True)
    document = ScopedRelatedField(queryset=Document.objects.all(), required=False, allow_null=True)
    label = serializers.CharField(read_only=True, help_text='What the SoA shows, e.g. "REQ-003 EU AI Act Art. 26(6)".')

    class Meta:
        model = SoaCitation
        fields = register_fields(*SoaCitation.editable_fields, "control_key", "label")
        validators: list = []  # duplicates are the service's refusal (one message, on the target's field)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        chosen = [name for name in CITATION_TARGETS if attrs.get(name) is not None]
        if len(chosen) != 1:
            raise serializers.ValidationError(
                {"requirement" if not chosen else chosen[1]: ["Cite exactly one record."]}
            )
        return attrs


class SoaCitationViewSet(RegisterViewSet):
    """What SoA rows' justifications cite (6.1.3 d): one requirement, risk, impact assessment or document per
    citation, with a reason type and a note. Added with a change reason; removed with DELETE (If-Match) as a
    tracked delete, so the SoA as of an earlier date still shows it."""

    serializer_class = SoaCitationSerializer
    filterset_class = SoaCitationFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_base_queryset(self) -> QuerySet[SoaCitation]:
        return selectors.citation_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> SoaCitation:
        targets = {name: data.pop(name) for name in CITATION_TARGETS if data.get(name) is not None}
        for name in CITATION_TARGETS:
            data.pop(name, None)
        return services.citation_add(management_system=management_system, user=user, reason=reason, **data, **targets)

    def delete_object(self, obj: SoaCitation, *, user: Any, expected_version: int, reason: str) -> None:
        services.citation_remove(obj, user=user, expected_version=expected_version, reason=reason)


def register(router: BaseRouter) -> None:
    """Register the family's viewset."""
    router.register("soa-citations", SoaCitationViewSet, basename="soa-citation")
