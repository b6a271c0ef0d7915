"""What the registers app contributes to the readiness checks (``aims.readiness``).

The AI system inventory (4.1, A.4, A.6), its dataset records (A.7) and suppliers (A.10). The
inventory is read once for every check that needs it (``ai_systems``), with the organisation's
roles, models, datasets and suppliers of each system prefetched.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from aims.readiness import ADVICE, BLOCKER, STAGE2_RISK, Finding, ReadinessContext, register_readiness_check
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier

LIVE_STAGES = (AISystem.LifecycleStage.DEPLOYMENT, AISystem.LifecycleStage.OPERATION)


def _load_systems(ctx: ReadinessContext) -> list[AISystem]:
    return list(
        AISystem.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True)
        .exclude(lifecycle_stage=AISystem.LifecycleStage.RETIRED)
        .prefetch_related(
            "roles",
            Prefetch("model_records", queryset=ModelRecord.objects.only("pk", "management_system_id")),
            Prefetch("dataset_records", queryset=DatasetRecord.objects.order_by("reference")),
            Prefetch("suppliers", queryset=Supplier.objects.order_by("reference")),
        )
        .order_by("reference")
    )


def ai_systems(ctx: ReadinessContext) -> list[AISystem]:
    """The inventory's AI systems in use (neither retired nor at end of life), read once per evaluation."""
    return ctx.once("registers.ai_systems", _load_systems)


def in_scope(ctx: ReadinessContext) -> list[AISystem]:
    return [s for s in ai_systems(ctx) if s.in_scope]


def live_systems(ctx: ReadinessContext) -> list[AISystem]:
    """AI systems in deployment or operation (in scope or not: the organisation runs them)."""
    return [s for s in ai_systems(ctx) if s.lifecycle_stage in LIVE_STAGES]


def system_url(system: Any) -> str:
    return reverse("registers:ai_system_detail", args=[system.management_system_id, system.pk])


def inventory_url(ms_id: int) -> str:
    return reverse("registers:ai_system_list", args=[ms_id])


def record_url(kind: str, record: Any) -> str:
    return reverse("registers:record_detail", args=[record.management_system_id, kind, record.pk])


def records_url(kind: str) -> Any:
    return lambda ms_id: reverse("registers:record_list", args=[ms_id, kind])


# --- the checks ---------------------------------------------------------------------------------


def check_inventory(ctx: ReadinessContext) -> list[Finding]:
    if not in_scope(ctx):
        return [Finding("The AI system inventory has no AI system in scope of the AIMS: record the AI systems first.")]
    return []


def check_roles(ctx: ReadinessContext) -> list[Finding]:
    missing = [s for s in in_scope(ctx) if not s.role_codes]
    return [
        Finding(f"{s.reference} {s.name}: the organisation's role for it (provider, deployer ...) is not recorded.",
                system_url(s))
        for s in missing
    ]  # fmt: skip


def check_owners(ctx: ReadinessContext) -> list[Finding]:
    return [
        Finding(f"{s.reference} {s.name} has no owner.", system_url(s)) for s in in_scope(ctx) if s.owner_id is None
    ]


def check_resources(ctx: ReadinessContext) -> list[Finding]:
    findings = []
    for system in in_scope(ctx):
        if system.lifecycle_stage not in LIVE_STAGES:
            continue
        missing = [name for name, rows in (("models", system.model_records.all()),
                                           ("datasets", system.dataset_records.all())) if not rows]  # fmt: skip
        if missing:
            findings.append(
                Finding(f"{system.reference} {system.name} is live but lists no {' and no '.join(missing)}.",
                        system_url(system))
            )  # fmt: skip
    return findings


def check_oversight(ctx: ReadinessContext) -> list[Finding]:
    return [
        Finding(f"{s.reference} {s.name} is in {s.get_lifecycle_stage_display().lower()} with no human oversight.",
                system_url(s))
        for s in in_scope(ctx)
        if s.lifecycle_stage in LIVE_STAGES and s.human_oversight == AISystem.HumanOversight.NONE
    ]  # fmt: skip


def check_datasets(ctx: ReadinessContext) -> list[Finding]:
    used: dict[int, DatasetRecord] = {}
    for system in in_scope(ctx):
        for dataset in system.dataset_records.all():
            if dataset.retired_at is None:
                used[dataset.pk] = dataset
    findings = []
    for dataset in sorted(used.values(), key=lambda d: d.reference):
        missing = [what for what, text in (("provenance", dataset.provenance), ("quality", dataset.quality))
                   if not text.strip()]  # fmt: skip
        if missing:
            findings.append(
                Finding(f"{dataset.reference} {dataset.name}: its {' and '.join(missing)} "
                        f"{'are' if len(missing) > 1 else 'is'} not recorded.", record_url("dataset-records", dataset))
            )  # fmt: skip
    return findings


def check_suppliers(ctx: ReadinessContext) -> list[Finding]:
    used: dict[int, Supplier] = {}
    for system in in_scope(ctx):
        for supplier in system.suppliers.all():
            if supplier.retired_at is None:
                used[supplier.pk] = supplier
    approved = Supplier.DueDiligence.APPROVED
    return [
        Finding(f"{s.reference} {s.name} supplies an AI system in scope; its due diligence is "
                f"{s.get_due_diligence_status_display().lower()}.", record_url("suppliers", s))
        for s in sorted(used.values(), key=lambda s: s.reference)
        if s.due_diligence_status != approved
    ]  # fmt: skip


def register() -> None:
    """Declare this app's readiness contributions (called from its AppConfig.ready())."""
    checks = [
        ("ai-inventory", "4.1", "The AI system inventory lists the AI systems in scope", BLOCKER, check_inventory, 410),
        ("ai-system-roles", "4.1", "The organisation's role is recorded for every AI system in scope", STAGE2_RISK,
         check_roles, 411),
        ("ai-system-owners", "A.4.2", "Every AI system in scope has an owner", STAGE2_RISK, check_owners, 9042),
        ("ai-system-resources", "A.4.3", "Every live AI system lists its models and datasets", ADVICE,
         check_resources, 9043),
        ("ai-system-oversight", "A.9.4", "Every live AI system has human oversight", STAGE2_RISK, check_oversight, 9094),
    ]  # fmt: skip
    for key, clause, title, severity, check, order in checks:
        register_readiness_check(
            key, clause=clause, title=title, severity=severity, check=check, fix_url=inventory_url, order=order
        )
    register_readiness_check(
        "dataset-provenance",
        clause="A.7.5",
        title="Datasets of the AI systems in scope record their provenance and quality",
        severity=STAGE2_RISK,
        check=check_datasets,
        fix_url=records_url("dataset-records"),
        order=9075,
    )
    register_readiness_check(
        "supplier-due-diligence",
        clause="A.10.3",
        title="Suppliers of the AI systems in scope passed due diligence",
        severity=STAGE2_RISK,
        check=check_suppliers,
        fix_url=records_url("suppliers"),
        order=9103,
    )
