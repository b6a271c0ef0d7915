"""Reads for the AI system register; selectors own select_related and prefetch_related."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from aims import access
from aims.models import ManagementSystem
from aims.selectors import link_count
from registers.models import AISystem, AISystemRole, DatasetRecord, ModelRecord, Supplier


def ai_system_list(*, user: AbstractBaseUser, management_system: ManagementSystem | None = None) -> QuerySet[AISystem]:
    """AI systems the user may read, with owner and management system joined (``AISystemFilterSet`` filters them)."""
    qs = access.scope(user, AISystem.objects.select_related("owner", "management_system"))
    if management_system is not None:
        qs = qs.filter(management_system=management_system)
    return qs.order_by("reference")


def ai_system_detail_queryset(*, user: AbstractBaseUser) -> QuerySet[AISystem]:
    """AI systems with everything their detail page and API show."""
    return access.scope(user, AISystem.objects.select_related("owner", "management_system")).prefetch_related(
        "model_records", "dataset_records", "suppliers", "roles"
    )


AI_SYSTEM_TAB_ROWS = {
    "details": ("model_records", "roles"),  # the impact box compares the models with the assessed ones
    "models": ("model_records",),
    "datasets": ("dataset_records",),
    "suppliers": ("suppliers",),
    "history": (),
}
"""What each tab of an AI system's page lists of its linked rows (the others it only counts)."""


def ai_system_page_queryset(*, user: AbstractBaseUser, tab: str) -> QuerySet[AISystem]:
    """AI systems the user may read with what one tab of their page shows: the linked models,
    datasets and suppliers counted by the database (``model_count`` ...), the tab's rows read."""
    return (
        access.scope(user, AISystem.objects.select_related("owner", "management_system"))
        .annotate(
            model_count=link_count(AISystem, "model_records"),
            dataset_count=link_count(AISystem, "dataset_records"),
            supplier_count=link_count(AISystem, "suppliers"),
        )
        .prefetch_related(*AI_SYSTEM_TAB_ROWS[tab])
    )


def record_list(model: type, *, user: AbstractBaseUser, management_system: ManagementSystem | None = None) -> QuerySet:
    """Model records, dataset records or suppliers the user may read (``RecordFilterSet`` filters them)."""
    qs = access.scope(user, model.objects.select_related("management_system"))
    if management_system is not None:
        qs = qs.filter(management_system=management_system)
    return qs.order_by("reference")


def role_history(system: AISystem) -> QuerySet:
    """Every change to an AI system's roles, newest first."""
    return (
        AISystemRole.history.filter(ai_system_id=system.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def history_of(obj) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


REGISTER_MODELS = {"model-records": ModelRecord, "dataset-records": DatasetRecord, "suppliers": Supplier}


@dataclass(frozen=True)
class InventorySummary:
    total: int
    in_scope: int
    stages: list[tuple[str, str, int]]  # (value, label, count) in lifecycle order


def inventory_summary(*, user: AbstractBaseUser, management_system: ManagementSystem) -> InventorySummary:
    """Count a management system's AI systems by lifecycle stage and scope, in one query."""
    counts = (
        ai_system_list(user=user, management_system=management_system)
        .order_by()
        .values("lifecycle_stage", "in_scope")
        .annotate(n=Count("pk"))
    )
    by_stage = dict.fromkeys(AISystem.LifecycleStage.values, 0)
    in_scope = total = 0
    for row in counts:
        by_stage[row["lifecycle_stage"]] += row["n"]
        in_scope += row["n"] if row["in_scope"] else 0
        total += row["n"]
    stages = [(value, label, by_stage[value]) for value, label in AISystem.LifecycleStage.choices]
    return InventorySummary(total=total, in_scope=in_scope, stages=stages)
