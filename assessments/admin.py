"""Admin for risk and impact assessments: read-only with history; writes go through the pages and the API.

Risks and impact assessments carry child rows (treatment actions, impact rows) and sign-offs
whose versions must stay consistent, so they are edited through ``assessments.services`` only.
"""

from __future__ import annotations

from django.contrib import admin

from aims.admin import ReadOnlyHistoryAdmin, register_remaining
from assessments.models import ImpactAssessment, Risk, RiskCriteria


@admin.register(RiskCriteria)
class RiskCriteriaAdmin(ReadOnlyHistoryAdmin):
    list_display = ("reference", "title", "number", "method", "acceptable_level", "management_system")
    list_filter = ("management_system",)


@admin.register(Risk)
class RiskAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "reference",
        "title",
        "source",
        "inherent_level",
        "residual_level",
        "owner",
        "next_review",
        "management_system",
    )
    list_filter = ("management_system", "source", "inherent_level", "residual_level", "treatment_option")
    search_fields = ("reference", "title", "description")
    list_select_related = ("management_system", "owner")


@admin.register(ImpactAssessment)
class ImpactAssessmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("reference", "title", "ai_system", "trigger", "decision", "next_review", "management_system")
    list_filter = ("management_system", "decision", "trigger")
    search_fields = ("reference", "title")
    list_select_related = ("management_system", "ai_system")


register_remaining("assessments")
