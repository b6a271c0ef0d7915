"""Admin of the control catalog (read-only reference data) and the SoA rows (through the services)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from aims.admin import ReadOnlyAdmin, RegisterAdmin
from controls import services
from controls.models import Applicability, Control, ControlArea, ControlObjective, Framework


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "source")


@admin.register(ControlArea)
class ControlAreaAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "framework", "position")
    list_filter = ("framework",)


@admin.register(ControlObjective)
class ControlObjectiveAdmin(ReadOnlyAdmin):
    list_display = ("key", "summary", "area")
    list_filter = ("area__framework",)


@admin.register(Control)
class ControlAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "area", "objective", "framework")
    list_filter = ("framework", "area")
    list_select_related = ("area", "objective", "framework")
    search_fields = ("key", "title")
    ordering = ("framework", "position")


@admin.register(Applicability)
class ApplicabilityAdmin(RegisterAdmin):
    """SoA rows exist for every control of every management system: changed here, never added or deleted."""

    list_display = (
        "reference",
        "control",
        "applicable",
        "implementation_status",
        "owner",
        "management_system",
        "version",
    )
    list_filter = ("management_system", "applicable", "implementation_status")
    list_select_related = ("management_system", "control", "owner")
    search_fields = ("reference", "control__key", "control__title", "justification")

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "control")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def update_record(self, obj, *, user, expected_version, reason, m2m, fields):
        return services.applicability_update(
            obj, user=user, expected_version=expected_version, reason=reason, **fields, **m2m
        )
