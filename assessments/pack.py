"""Risk criteria, risks and treatment, and impact assessments in audit packs, as of the pack's date."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aims.history import by_id, links_as_of, rows_as_of, split_closed
from aims.pack_gather import latest_sign_offs_as_of
from aims.pack_sections import ALL_KINDS, FULL, STAGE1, PackData, register_pack_section
from aims.signoff_currency import currencies
from assessments.heatmap import heatmap, heatmap_svg
from assessments.models import ImpactAssessment, ImpactCriteria, ImpactRow, Risk, RiskCriteria, TreatmentAction
from assessments.signoffs import ACCEPTANCE, APPROVAL, CRITERIA_APPROVAL, IMPACT_CRITERIA_APPROVAL
from controls.models import Control
from evidence.pack import attach_pack_evidence
from registers.models import AISystem
from registers.pack import inventory_as_of


def _read_risks(data: PackData) -> dict[str, Any]:
    """Criteria, risks (with their systems, controls, actions and acceptance) as they stood at the date."""
    as_of, ms_id = data.as_of, data.management_system_id
    # As model instances (the versions as they stood), so templates can ask them who accepts a level.
    criteria_rows = sorted(rows_as_of(RiskCriteria, as_of, management_system_id=ms_id), key=lambda c: c.number)
    criteria = [row.instance for row in criteria_rows]
    risks = rows_as_of(Risk, as_of, management_system_id=ms_id)
    criteria_by_id = by_id(criteria)
    system_links = links_as_of(Risk, "ai_systems", risks)
    risks = data.only_concerning(Risk, risks, lambda r: system_links.get(r.id, ()))
    if data.left_out.get(Risk):  # their actions are left out of the change log too
        data.leave_out(
            TreatmentAction,
            TreatmentAction.objects.filter(risk_id__in=data.left_out[Risk]).values_list("pk", flat=True),
        )
    control_links = links_as_of(Risk, "controls", risks)
    controls = Control.objects.in_bulk({pk for ids in control_links.values() for pk in ids})
    systems = inventory_as_of(data)["by_id"]
    actions = defaultdict(list)
    for action in rows_as_of(TreatmentAction, as_of, risk_id__in=[r.id for r in risks]):
        actions[action.risk_id].append(action)
    accepted = latest_sign_offs_as_of(data, ACCEPTANCE)
    approved_criteria = latest_sign_offs_as_of(data, CRITERIA_APPROVAL)
    for risk in risks:
        risk.criteria_row = criteria_by_id.get(risk.criteria_id)
        risk.linked_systems = [systems[i] for i in sorted(system_links.get(risk.id, [])) if i in systems]
        risk.linked_controls = sorted(
            (controls[i] for i in control_links.get(risk.id, []) if i in controls), key=lambda c: c.position
        )
        risk.treatment_actions = actions.get(risk.id, [])
        risk.acceptance = accepted.get(risk.id)
    acceptance = currencies(
        ACCEPTANCE, accepted, ((risk.id, risk.version, [risk, *risk.treatment_actions]) for risk in risks)
    )
    reviews = _rating_history(risks, as_of)
    for risk in risks:
        risk.currency = acceptance[risk.id]
        risk.rating_history = reviews.get(risk.id, [])
        risk.assessed_on = risk.rating_history[-1].history_date if risk.rating_history else risk.created_at
    attach_pack_evidence(data, Risk, risks)
    by_control: dict[int, list[Any]] = defaultdict(list)
    for risk in risks:
        for control in risk.linked_controls:
            by_control[control.pk].append(risk)
    open_risks, closed_risks = split_closed(risks)
    # The parts the risk sections show; ``risks_by_control`` is read by the SoA section.
    data.parts.update(
        criteria_versions=criteria,
        criteria=criteria[-1] if criteria else None,
        criteria_approval=approved_criteria.get(criteria[-1].id) if criteria else None,
        criteria_currency=(
            currencies(CRITERIA_APPROVAL, approved_criteria, [(criteria_rows[-1].id, None, [criteria_rows[-1]])])[
                criteria_rows[-1].id
            ]
            if criteria_rows
            else None
        ),
        risks=open_risks,
        closed_risks=closed_risks,
        treatment_actions=[a for risk in open_risks for a in risk.treatment_actions],
        risks_by_control=dict(by_control),
        # Listed here so that the pack names who made each assessment (``history_user_name``).
        risk_assessment_rows=[row for risk in risks for row in risk.rating_history],
    )
    current = data.parts["criteria_currency"]
    if criteria:
        data.document_control(
            "risk_criteria",
            identifier=criteria[-1].reference,
            version=f"Version {criteria[-1].number}",
            approval=current,
        )
    return {"risks": risks}


_RATINGS = (
    "likelihood",
    "consequence",
    "residual_likelihood",
    "residual_consequence",
    "inherent_level",
    "residual_level",
    "criteria_id",
)


def _rating_history(risks: list[Any], as_of: Any) -> dict[int, list[Any]]:
    """Each risk's assessments up to the date: the versions that set or changed its ratings (one query)."""
    history: dict[int, list[Any]] = defaultdict(list)
    last: dict[int, tuple] = {}
    rows = Risk.history.filter(id__in=[r.id for r in risks], history_date__lte=as_of).order_by(
        "history_date", "history_id"
    )
    for row in rows:
        ratings = tuple(getattr(row, name) for name in _RATINGS)
        if last.get(row.id) != ratings:
            history[row.id].append(row)
        last[row.id] = ratings
    return history


def _ensure_risks(data: PackData) -> None:
    data.once("risk_register", _read_risks)


def gather_risks(data: PackData) -> None:
    """Risks as of the date, and the heat map drawn for that date."""
    risks = data.once("risk_register", _read_risks)["risks"]
    ms = data.pack.management_system
    if data.pack_scope.by_systems:  # the map of the chosen systems' risks
        chosen = heatmap(ms, data.as_of, risk_ids=[risk.id for risk in risks])
        data.parts["heatmap_svg"] = heatmap_svg(ms, data.as_of, data=chosen)
    else:
        data.parts["heatmap_svg"] = heatmap_svg(ms, data.as_of)


def gather_impact(data: PackData) -> None:
    """Impact assessments as of the date, with their impact rows and approval."""
    as_of, ms_id = data.as_of, data.management_system_id
    assessments = rows_as_of(ImpactAssessment, as_of, management_system_id=ms_id)
    assessments = data.only_concerning(ImpactAssessment, assessments, lambda a: [a.ai_system_id])
    if data.left_out.get(ImpactAssessment):  # their impact rows are left out of the change log too
        left = data.left_out[ImpactAssessment]
        data.leave_out(ImpactRow, ImpactRow.objects.filter(assessment_id__in=left).values_list("pk", flat=True))
    rows = defaultdict(list)
    for row in rows_as_of(ImpactRow, as_of, assessment_id__in=[a.id for a in assessments]):
        rows[row.assessment_id].append(row)
    systems = inventory_as_of(data)["by_id"]
    approved = latest_sign_offs_as_of(data, APPROVAL)
    criteria = by_id(rows_as_of(ImpactCriteria, as_of, management_system_id=ms_id))
    references = {a.id: a.reference for a in assessments}
    approvals = currencies(APPROVAL, approved, ((a.id, a.version, [a, *rows.get(a.id, [])]) for a in assessments))
    criteria_approvals = currencies(
        IMPACT_CRITERIA_APPROVAL,
        latest_sign_offs_as_of(data, IMPACT_CRITERIA_APPROVAL),
        ((c.id, None, [c]) for c in criteria.values()),
    )
    for assessment in assessments:
        assessment.criteria_row = criteria.get(assessment.impact_criteria_id)
        assessment.predecessor_reference = references.get(assessment.predecessor_id, "")
        assessment.impact_rows = rows.get(assessment.id, [])
        assessment.system = systems.get(assessment.ai_system_id)
        assessment.approval = approved.get(assessment.id)
        assessment.currency = approvals[assessment.id]
        assessment.criteria_currency = criteria_approvals.get(assessment.impact_criteria_id)
    attach_pack_evidence(data, ImpactAssessment, assessments)
    data.parts["impact_assessments"], data.parts["closed_impact_assessments"] = split_closed(assessments)
    chosen = [system for system in systems.values() if data.pack_scope.concerns([system.id])]
    data.parts["impact_gaps"] = _impact_gaps(chosen, data.parts["impact_assessments"])


LIVE_STAGES = {AISystem.LifecycleStage.DEPLOYMENT, AISystem.LifecycleStage.OPERATION}


def _impact_gaps(systems: Any, assessments: list[Any]) -> list[Any]:
    """Systems in deployment or operation on the date with no approved impact assessment then (6.1.4, 8.4)."""
    approved = {a.ai_system_id for a in assessments if a.currency.signed}
    pending = {a.ai_system_id: a for a in assessments if not a.currency.signed}
    gaps = []
    for system in sorted(systems, key=lambda s: s.reference):
        if system.lifecycle_stage in LIVE_STAGES and not system.retired_at and system.id not in approved:
            system.pending_assessment = pending.get(system.id)
            gaps.append(system)
    return gaps


def register() -> None:
    sections = [
        ("risk_criteria", "Risk criteria", "6.1.2", {STAGE1, FULL}, 40, _ensure_risks),
        ("risks", "Risk heat map and register", "6.1.2, 8.2", ALL_KINDS, 50, gather_risks),
        ("treatment", "Risk treatment", "6.1.3, 8.3", ALL_KINDS, 60, _ensure_risks),
        ("impact", "AI system impact assessments", "6.1.4, 8.4", ALL_KINDS, 80, gather_impact),
    ]
    for key, title, clause, kinds, order, gather in sections:
        register_pack_section(
            key,
            title=title,
            clause=clause,
            kinds=kinds,
            order=order,
            gather=gather,
            template=f"assessments/pack/section_{key}.html",
        )
