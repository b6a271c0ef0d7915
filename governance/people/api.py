"""API of the people family, under /api/v1/.

- ``people``, ``aims-roles``, ``competences``, ``competence-records``, ``communication-plan``,
  ``communications``: registers with history, If-Match and filters (the list pages' filter sets);
  records are retired with a reason (``POST .../<id>/retire/``), never deleted.
- ``role-assignments``: ended with ``POST .../<id>/end/`` ``{"on": date, "reason": ...}`` (If-Match).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims.access import Action
from aims.api_common import IF_MATCH_HEADER, RegisterSerializer, RegisterViewSet, RetireMixin, register_fields
from aims.models import ManagementSystem
from governance.models import (
    AimsRole,
    CommunicationPlanItem,
    CommunicationRecord,
    Competence,
    CompetenceRecord,
    Person,
    RoleAssignment,
)
from governance.people import filters, services
from governance.people.registers import REGISTERS, Register

# --- serializers -------------------------------------------------------------------------------


class PersonSerializer(RegisterSerializer):
    class Meta:
        model = Person
        fields = register_fields(*Person.editable_fields)


class AimsRoleSerializer(RegisterSerializer):
    key = serializers.CharField(read_only=True, help_text="The stable key of a seeded role; empty for others.")

    class Meta:
        model = AimsRole
        fields = register_fields("key", *AimsRole.editable_fields)


class RoleAssignmentSerializer(RegisterSerializer):
    is_current = serializers.SerializerMethodField(help_text="Whether the assignment runs today.")

    class Meta:
        model = RoleAssignment
        fields = register_fields(*RoleAssignment.editable_fields, "is_current")

    def get_is_current(self, obj: RoleAssignment) -> bool:
        return obj.is_current(timezone.localdate())


class CompetenceSerializer(RegisterSerializer):
    class Meta:
        model = Competence
        fields = register_fields(*Competence.editable_fields)


class CompetenceRecordSerializer(RegisterSerializer):
    class Meta:
        model = CompetenceRecord
        fields = register_fields(*CompetenceRecord.editable_fields)
        extra_kwargs = {"expires_on": {"required": False}}


class PlanItemSerializer(RegisterSerializer):
    class Meta:
        model = CommunicationPlanItem
        fields = register_fields(*CommunicationPlanItem.editable_fields)


class CommunicationSerializer(RegisterSerializer):
    class Meta:
        model = CommunicationRecord
        fields = register_fields(*CommunicationRecord.editable_fields)


class EndSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="The last day in the role (today when left out).")
    reason = serializers.CharField(max_length=80, help_text="Why the assignment ends (kept in history).")


# --- viewsets ----------------------------------------------------------------------------------


class PeopleViewSet(RegisterViewSet):
    """A register of the people family, written through the services its ``Register`` names."""

    spec: Register
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet:
        return self.spec.queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Any:
        return self.spec.create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Any, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]) -> Any:
        return self.spec.update(obj, user=user, expected_version=expected_version, reason=reason, **data)


class RetirableViewSet(RetireMixin, PeopleViewSet):
    """A register whose records are retired (withdrawn, marked as left) with a reason: ``POST .../<id>/retire/``."""

    def retire_object(self, obj: Any, *, user: Any, expected_version: int, reason: str) -> Any:
        return self.spec.retire(obj, user=user, expected_version=expected_version, reason=reason)


class PersonViewSet(RetirableViewSet):
    """People with a part in the AIMS (5.3); ``retire`` marks a person as left and ends their assignments."""

    spec = REGISTERS["person"]
    serializer_class = PersonSerializer
    filterset_class = filters.PersonFilterSet


class AimsRoleViewSet(RetirableViewSet):
    """AIMS roles with responsibilities, authorities and required competences (5.3, A.3.2); six are seeded."""

    spec = REGISTERS["role"]
    serializer_class = AimsRoleSerializer
    filterset_class = filters.RoleFilterSet


class RoleAssignmentViewSet(PeopleViewSet):
    """Who holds which AIMS role, for which AI systems, from when to when; ended with ``.../end/``."""

    spec = REGISTERS["assignment"]
    serializer_class = RoleAssignmentSerializer
    filterset_class = filters.AssignmentFilterSet
    access_actions = {"end": Action.EDIT}

    @extend_schema(request=EndSerializer, responses=RoleAssignmentSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        """End the assignment on a day (today by default), with the reason."""
        return self.change_with(request, services.assignment_end, EndSerializer)


class CompetenceViewSet(RetirableViewSet):
    """Competences roles require (7.2)."""

    spec = REGISTERS["competence"]
    serializer_class = CompetenceSerializer
    filterset_class = filters.CompetenceFilterSet


class CompetenceRecordViewSet(RetirableViewSet):
    """Competence records (7.2 d): an expiry left out is derived from the competence's validity."""

    spec = REGISTERS["competence_record"]
    serializer_class = CompetenceRecordSerializer
    filterset_class = filters.CompetenceRecordFilterSet


class PlanItemViewSet(RetirableViewSet):
    """The communication plan (7.4): what, when, with whom, how, who."""

    spec = REGISTERS["plan_item"]
    serializer_class = PlanItemSerializer
    filterset_class = filters.PlanItemFilterSet


class CommunicationViewSet(RetirableViewSet):
    """Communication records (7.3, 7.4); AI literacy training carries ``ai_literacy``."""

    spec = REGISTERS["communication"]
    serializer_class = CommunicationSerializer
    filterset_class = filters.CommunicationFilterSet


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("people", PersonViewSet, basename="person")
    router.register("aims-roles", AimsRoleViewSet, basename="aims-role")
    router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")
    router.register("competences", CompetenceViewSet, basename="competence")
    router.register("competence-records", CompetenceRecordViewSet, basename="competence-record")
    router.register("communication-plan", PlanItemViewSet, basename="communication-plan-item")
    router.register("communications", CommunicationViewSet, basename="communication")
