"""Readiness checks on AI objectives: set and planned (6.2), their resources (7.1), measured (9.1).

Objectives are read once with their metrics and measurements (three queries) and judged as the
objectives pages judge them (``governance.objectives.results.standing``).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import reverse

from aims.readiness import ADVICE, BLOCKER, STAGE2_RISK, Finding, ReadinessContext, register_readiness_check
from governance.models import Measurement, Objective
from governance.objectives.results import standing

OPEN = (Objective.Status.PLANNED, Objective.Status.ON_TRACK, Objective.Status.AT_RISK)


def objectives(ctx: ReadinessContext) -> list[Objective]:
    """Objectives in force (not withdrawn), each with its ``standing`` on the day, read once per evaluation."""

    def load(c: ReadinessContext) -> list[Objective]:
        rows = list(
            Objective.objects.filter(management_system_id=c.ms_id, retired_at__isnull=True)
            .exclude(status=Objective.Status.WITHDRAWN)
            .select_related("metric")
            .prefetch_related(Prefetch("metric__measurements", queryset=Measurement.objects.order_by("period", "pk")))
            .order_by("reference")
        )
        for objective in rows:
            objective.standing = standing(objective.metric, objective.metric.measurements.all(), c.today)
        return rows

    return ctx.once("governance.objectives", load)


def objective_url(objective: Objective) -> str:
    return reverse("governance:objective_detail", args=[objective.management_system_id, objective.pk])


def objectives_url(ms_id: int) -> str:
    return reverse("governance:objective_list", args=[ms_id])


def check_set(ctx: ReadinessContext) -> list[Finding]:
    if not objectives(ctx):
        return [Finding("No AI objective is set.")]
    return []


def check_planned(ctx: ReadinessContext) -> list[Finding]:
    findings = []
    for objective in objectives(ctx):
        if objective.status not in OPEN:
            continue
        missing = [what for what, value in (("plan", objective.plan.strip()), ("responsible person", objective.responsible_id),
                                            ("due date", objective.due_on), ("evaluation", objective.evaluation.strip()))
                   if not value]  # fmt: skip
        if missing:
            findings.append(Finding(f"{objective.reference} {objective.title} has no {', no '.join(missing)}.",
                                    objective_url(objective)))  # fmt: skip
    return findings


def check_resources(ctx: ReadinessContext) -> list[Finding]:
    return [
        Finding(f"{o.reference} {o.title} does not state the resources it needs.", objective_url(o))
        for o in objectives(ctx)
        if o.status in OPEN and not o.resources.strip()
    ]


def check_measured(ctx: ReadinessContext) -> list[Finding]:
    rows = objectives(ctx)
    if any(not o.standing.missing for o in rows):
        return []
    if not rows:
        return [Finding("No AI objective is set, so none is measured.")]
    return [Finding("No AI objective was measured for its last completed period "
                    f"({', '.join(f'{o.reference}: {o.standing.due_label}' for o in rows[:5])}).",
                    objective_url(rows[0]))]  # fmt: skip


def check_all_measured(ctx: ReadinessContext) -> list[Finding]:
    return [
        Finding(f"{o.reference} {o.title} has no measurement for {o.standing.due_label}.", objective_url(o))
        for o in objectives(ctx)
        if o.status in OPEN and o.standing.missing
    ]


def register() -> None:
    """Declare the checks on objectives."""
    checks = [
        ("objectives-set", "6.2", "AI objectives are set", BLOCKER, check_set, 620),
        ("objectives-planned", "6.2", "Every open AI objective has a plan, a responsible person, a due date and an "
         "evaluation", STAGE2_RISK, check_planned, 621),
        ("objectives-resourced", "7.1", "Every open AI objective states the resources it needs", ADVICE,
         check_resources, 710),
        ("objectives-measured", "9.1", "At least one AI objective is measured for its last completed period",
         BLOCKER, check_measured, 910),
        ("measurements-current", "9.1", "Every open AI objective is measured for its last completed period",
         STAGE2_RISK, check_all_measured, 911),
    ]  # fmt: skip
    for key, clause, title, severity, check, order in checks:
        register_readiness_check(
            key, clause=clause, title=title, severity=severity, check=check, fix_url=objectives_url, order=order
        )
