"""API of the AI system register: AI systems, model records, dataset records, suppliers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from aims.api_common import RegisterSerializer, RegisterViewSet, RetireMixin, register_fields
from aims.limits import TEXT_MAX
from aims.models import ManagementSystem
from registers import selectors, services
from registers.filters import AISystemFilterSet, RecordFilterSet
from registers.models import AISystem, AISystemRole, DatasetRecord, ModelRecord, Supplier

# --- serializers -------------------------------------------------------------------------


class AISystemRoleSerializer(serializers.ModelSerializer):
    """A role the organisation holds for the system; ``scheme`` follows from the role when left out."""

    scheme = serializers.ChoiceField(choices=AISystemRole.Scheme.choices, required=False)
    basis = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")

    class Meta:
        model = AISystemRole
        fields = ["scheme", "role", "basis"]


class AISystemSerializer(RegisterSerializer):
    owner_username = serializers.CharField(source="owner.username", read_only=True, default=None)
    roles = AISystemRoleSerializer(
        many=True,
        required=False,
        help_text="Every role the organisation holds for the system (ISO/IEC 22989 and EU AI Act), each with its "
        "basis. Given on a write, it replaces the roles.",
    )
    ai_role = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Deprecated, read-only: the earlier single role (provider, developer, deployer, user, importer, "
        "distributor) the roles imply, if any. Write ``roles`` instead.",
    )

    class Meta:
        model = AISystem
        fields = register_fields(*AISystem.editable_fields, "roles", "ai_role", "owner_username")


class ModelRecordSerializer(RegisterSerializer):
    class Meta:
        model = ModelRecord
        fields = register_fields(*ModelRecord.editable_fields)


class DatasetRecordSerializer(RegisterSerializer):
    class Meta:
        model = DatasetRecord
        fields = register_fields(*DatasetRecord.editable_fields)


class SupplierSerializer(RegisterSerializer):
    class Meta:
        model = Supplier
        fields = register_fields(*Supplier.editable_fields)


# --- viewsets ----------------------------------------------------------------------------


class AISystemViewSet(RetireMixin, RegisterViewSet):
    """The AI system inventory. Creating needs only ``management_system``, ``name`` and ``purpose``;
    linked models, datasets and suppliers must belong to the same management system and the
    owner must be a member. Contributors may change only the systems they own."""

    serializer_class = AISystemSerializer
    filterset_class = AISystemFilterSet

    def get_base_queryset(self) -> QuerySet[AISystem]:
        return selectors.ai_system_detail_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> AISystem:
        return services.ai_system_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: AISystem, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> AISystem:
        return services.ai_system_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def delete_object(self, obj: AISystem, *, user: Any, expected_version: int, reason: str) -> None:
        services.ai_system_delete(obj, user=user, expected_version=expected_version, reason=reason)

    def retire_object(self, obj: AISystem, *, user: Any, expected_version: int, reason: str) -> AISystem:
        return services.ai_system_retire(obj, user=user, expected_version=expected_version, reason=reason)


class RecordViewSet(RetireMixin, RegisterViewSet):
    """Model records, dataset records and suppliers: written through ``registers.services.record_*``."""

    filterset_class = RecordFilterSet

    def get_base_queryset(self) -> QuerySet:
        return selectors.record_list(self.model, user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Any:
        return services.record_create(self.model, management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Any, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]) -> Any:
        return services.record_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def delete_object(self, obj: Any, *, user: Any, expected_version: int, reason: str) -> None:
        services.record_delete(obj, user=user, expected_version=expected_version, reason=reason)

    def retire_object(self, obj: Any, *, user: Any, expected_version: int, reason: str) -> Any:
        return services.record_retire(obj, user=user, expected_version=expected_version, reason=reason)


class ModelRecordViewSet(RecordViewSet):
    """Model card facts of the models used by AI systems."""

    serializer_class = ModelRecordSerializer


class DatasetRecordViewSet(RecordViewSet):
    """Provenance and quality of datasets."""

    serializer_class = DatasetRecordSerializer


class SupplierViewSet(RecordViewSet):
    """Suppliers of AI components and services (A.10)."""

    serializer_class = SupplierSerializer


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the shared /api/v1/ router."""
    router.register("ai-systems", AISystemViewSet, basename="ai-system")
    router.register("model-records", ModelRecordViewSet, basename="model-record")
    router.register("dataset-records", DatasetRecordViewSet, basename="dataset-record")
    router.register("suppliers", SupplierViewSet, basename="supplier")
