"""Admin for the AI system register; every write goes through registers.services."""

from __future__ import annotations

from django.contrib import admin

from aims.admin import RegisterAdmin, register_remaining
from registers import services
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier


@admin.register(AISystem)
class AISystemAdmin(RegisterAdmin):
    list_display = (
        "reference",
        "name",
        "management_system",
        "lifecycle_stage",
        "eu_ai_act_risk_class",
        "in_scope",
        "owner",
        "version",
    )
    list_filter = (
        "management_system",
        "lifecycle_stage",
        "eu_ai_act_risk_class",
        "in_scope",
        "roles__role",
        "human_oversight",
    )
    search_fields = ("reference", "name", "purpose", "owner__username")
    list_select_related = ("management_system", "owner")
    filter_horizontal = ("model_records", "dataset_records", "suppliers")
    history_list_display = ("version", "lifecycle_stage")

    def create_record(self, *, management_system, user, reason, m2m, fields):
        return services.ai_system_create(management_system=management_system, user=user, reason=reason, **fields, **m2m)

    def update_record(self, obj, *, user, expected_version, reason, m2m, fields):
        return services.ai_system_update(
            obj, user=user, expected_version=expected_version, reason=reason, **fields, **m2m
        )

    def delete_record(self, obj, *, user, reason):
        services.ai_system_delete(obj, user=user, expected_version=None, reason=reason)

    def retire_record(self, obj, *, user, reason):
        return services.ai_system_retire(obj, user=user, expected_version=None, reason=f"{reason} (in admin)")


@admin.register(ModelRecord)
class ModelRecordAdmin(RegisterAdmin):
    list_display = ("reference", "name", "model_version", "provider", "model_type", "management_system")
    list_filter = ("management_system", "model_type")
    search_fields = ("reference", "name", "provider")


@admin.register(DatasetRecord)
class DatasetRecordAdmin(RegisterAdmin):
    list_display = ("reference", "name", "source", "personal_data_categories", "management_system")
    search_fields = ("reference", "name", "source", "personal_data_categories")


@admin.register(Supplier)
class SupplierAdmin(RegisterAdmin):
    list_display = ("reference", "name", "due_diligence_status", "contract_reference", "management_system")
    list_filter = ("management_system", "due_diligence_status")
    search_fields = ("reference", "name", "contract_reference")


# Registers added later (evidence, nonconformities, ...) appear read-only until they get an admin here.
register_remaining("registers")
