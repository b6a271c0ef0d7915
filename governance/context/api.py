"""API of the context family.

- ``/api/v1/context-issues/``: the organisation's internal and external issues (4.1).
- ``/api/v1/interested-parties/``: interested parties (4.2), each with its current requirements.
- ``/api/v1/requirements/``: the legal and regulatory register (4.2), filtered as on its page.

Each with history (``.../history/``), If-Match on writes, and ``.../retire/`` with a reason: these
records are retired, never deleted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from aims.api_common import RegisterSerializer, RegisterViewSet, RetireMixin, ScopedRelatedField, register_fields
from aims.models import ManagementSystem
from governance.context import selectors, services
from governance.context.filters import ContextIssueFilterSet, InterestedPartyFilterSet, RequirementFilterSet
from governance.context.forms import control_choices
from governance.models import ContextIssue, InterestedParty, Requirement

# --- serializers -------------------------------------------------------------------------


class ContextIssueSerializer(RegisterSerializer):
    review_overdue = serializers.BooleanField(read_only=True, help_text="Current, and its review date has passed.")

    class Meta:
        model = ContextIssue
        fields = register_fields(*ContextIssue.editable_fields, "review_overdue")


class RequirementSummarySerializer(serializers.ModelSerializer):
    """A requirement as its interested party lists it."""

    class Meta:
        model = Requirement
        fields = ["id", "reference", "title", "requirement_type", "source_reference", "addressed"]
        read_only_fields = fields


class InterestedPartySerializer(RegisterSerializer):
    requirements = RequirementSummarySerializer(
        source="current_requirements", many=True, read_only=True, help_text="Its current requirements."
    )

    class Meta:
        model = InterestedParty
        fields = register_fields(*InterestedParty.editable_fields, "requirements")


class RequirementSerializer(RegisterSerializer):
    party = ScopedRelatedField(queryset=InterestedParty.objects.all(), help_text="The interested party's id.")
    party_name = serializers.CharField(source="party.name", read_only=True)
    controls = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=control_choices(), help_text="Clause or Annex A control ids."
    )
    control_keys = serializers.SlugRelatedField(source="controls", many=True, read_only=True, slug_field="key")

    class Meta:
        model = Requirement
        fields = register_fields(*Requirement.editable_fields, "party_name", "control_keys")


# --- viewsets ----------------------------------------------------------------------------


class ContextIssueViewSet(RetireMixin, RegisterViewSet):
    """Context issues of the organisation (4.1): internal or external, by category, with their effect, risks and
    review date. Retired with a reason (``.../retire/``), never deleted."""

    serializer_class = ContextIssueSerializer
    filterset_class = ContextIssueFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[ContextIssue]:
        return selectors.issue_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> ContextIssue:
        return services.context_issue_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: ContextIssue, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> ContextIssue:
        return services.context_issue_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: ContextIssue, *, user: Any, expected_version: int, reason: str) -> ContextIssue:
        return services.context_issue_retire(obj, user=user, expected_version=expected_version, reason=reason)


class InterestedPartyViewSet(RetireMixin, RegisterViewSet):
    """Interested parties (4.2) with their current requirements; retired with a reason once their requirements are."""

    serializer_class = InterestedPartySerializer
    filterset_class = InterestedPartyFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[InterestedParty]:
        return selectors.party_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> InterestedParty:
        return services.interested_party_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: InterestedParty, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> InterestedParty:
        return services.interested_party_update(
            obj, user=user, expected_version=expected_version, reason=reason, **data
        )

    def retire_object(self, obj: InterestedParty, *, user: Any, expected_version: int, reason: str) -> InterestedParty:
        return services.interested_party_retire(obj, user=user, expected_version=expected_version, reason=reason)


class RequirementViewSet(RetireMixin, RegisterViewSet):
    """The legal and regulatory register (4.2): each requirement with its party, type, source reference,
    jurisdiction, the AI systems it applies to (none: all), and whether and how it is addressed (controls,
    documents, risks). Filters as on the register's page; retired with a reason, never deleted."""

    serializer_class = RequirementSerializer
    filterset_class = RequirementFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[Requirement]:
        return selectors.requirement_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Requirement:
        return services.requirement_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: Requirement, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> Requirement:
        return services.requirement_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: Requirement, *, user: Any, expected_version: int, reason: str) -> Requirement:
        return services.requirement_retire(obj, user=user, expected_version=expected_version, reason=reason)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("context-issues", ContextIssueViewSet, basename="context-issue")
    router.register("interested-parties", InterestedPartyViewSet, basename="interested-party")
    router.register("requirements", RequirementViewSet, basename="requirement")
