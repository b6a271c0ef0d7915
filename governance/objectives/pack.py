"""The pack's "AI objectives and results" section (6.2, 9.1), as of the pack's date.

Each objective as it stood on the date, with its metric, target, plan, the measurements recorded up
to that moment (corrections recorded later do not count), its flags (missing measurement for the
last period completed by then, target missed) and its chart. A fixed number of queries whatever the
number of objectives and measurements.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from aims.history import by_id, rows_as_of
from aims.pack_sections import FULL, STAGE1, PackData, register_pack_section
from governance.documents.selectors import approved_version_as_of
from governance.models import Document, Measurement, Metric, Objective, ObjectiveNonconformity, Person
from governance.models.objectives import format_value
from governance.objectives.chart import chart
from governance.objectives.results import standing

KEY = "objectives"
PLAN_KEY = "ai_objectives"  # the seeded required document of clause 6.2


def gather_objectives(data: PackData) -> None:
    """Objectives, metrics and measurements as of the pack's date (six queries)."""
    as_of, ms_id = data.as_of, data.management_system_id
    day = timezone.localdate(as_of)
    objectives = [row.instance for row in rows_as_of(Objective, as_of, management_system_id=ms_id)]
    metrics = {row.id: row.instance for row in rows_as_of(Metric, as_of, management_system_id=ms_id)}
    people = by_id(rows_as_of(Person, as_of, management_system_id=ms_id))
    documents = by_id(rows_as_of(Document, as_of, management_system_id=ms_id))
    measurements: dict[int, list[Measurement]] = {}
    for row in Measurement.objects.filter(management_system_id=ms_id, recorded_at__lte=as_of).order_by(
        "period", "recorded_at", "pk"
    ):
        measurements.setdefault(row.metric_id, []).append(row)
    links: dict[int, list[Any]] = {}
    for link in ObjectiveNonconformity.objects.filter(
        objective__management_system_id=ms_id, raised_at__lte=as_of
    ).select_related("nonconformity"):
        links.setdefault(link.objective_id, []).append(link)
    shown = []
    for objective in objectives:
        metric = metrics.get(objective.metric_id)
        if metric is None:
            continue
        objective.metric_row = metric
        objective.standing = standing(metric, measurements.get(metric.pk, []), day, links.get(objective.pk, []))
        objective.recent = list(reversed(objective.standing.results[-6:]))
        for result in objective.recent:
            result.nonconformity = objective.standing.nonconformity_of(result)
        objective.chart = chart(
            metric, objective.standing.results, threshold=objective.threshold, ident=f"pack-obj-{objective.pk}"
        )
        objective.responsible_row = people.get(objective.responsible_id)
        objective.policy_row = documents.get(objective.policy_id)
        objective.threshold_text = format_value(objective.threshold)
        shown.append(objective)
    data.parts["objectives"] = [o for o in shown if o.retired_at is None]
    data.parts["objectives_withdrawn"] = [o for o in shown if o.retired_at is not None]
    # The objectives and their plans are a controlled document (the seeded "AI objectives" plan);
    # the results below are records kept in the register.
    plan = next((d for d in documents.values() if d.key == PLAN_KEY and d.retired_at is None), None)
    approved = approved_version_as_of(plan, as_of) if plan else None
    data.document_control(
        KEY,
        identifier=plan.identifier if plan else f"AIMS{ms_id}-OBJ",
        version=(f"Plan version {approved.number} approved; " if approved else "Plan not approved; ")
        + f"results as of {day:%d %b %Y}",
        note="The objectives' plan is a controlled document; their results (9.1) are records, kept, not approved.",
    )


def register() -> None:
    register_pack_section(
        KEY,
        title="AI objectives and results",
        clause="6.2, 9.1",
        kinds={STAGE1, FULL},
        order=16,
        gather=gather_objectives,
        template="governance/objectives/pack/section_objectives.html",
    )
