"""As-of readers for the risk criteria, risks and treatment, the SoA, impact assessments and sign-offs.

They read the history tables of the other areas' models (and call their selectors where
those answer "as of": ``controls.selectors.soa_rows_as_of``, ``assessments.heatmap``), with
a fixed number of queries per section.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aims.packs.gather import PackData, by_id, links_as_of, rows_as_of


def _ensure_risks(data: PackData) -> None:
    """Read criteria, risks (with their systems and controls) and treatment actions once."""
    if "risks" in data.parts:
        return
    from assessments.models import Risk, RiskCriteria, TreatmentAction
    from controls.models import Control

    as_of, ms_id = data.pack.as_of, data.pack.management_system_id
    criteria = sorted(rows_as_of(RiskCriteria, as_of, management_system_id=ms_id), key=lambda c: c.number)
    risks = rows_as_of(Risk, as_of, management_system_id=ms_id)
    criteria_by_id = by_id(criteria)
    system_links = links_as_of(Risk, "ai_systems", risks)
    control_links = links_as_of(Risk, "controls", risks)
    controls = Control.objects.in_bulk({pk for ids in control_links.values() for pk in ids})
    systems = data.parts.get("ai_systems_by_id", {})
    actions = defaultdict(list)
    for action in rows_as_of(TreatmentAction, as_of, risk_id__in=[r.id for r in risks]):
        actions[action.risk_id].append(action)
    for risk in risks:
        risk.criteria_row = criteria_by_id.get(risk.criteria_id)
        risk.linked_systems = [systems[i] for i in sorted(system_links.get(risk.id, [])) if i in systems]
        risk.linked_controls = sorted(
            (controls[i] for i in control_links.get(risk.id, []) if i in controls), key=lambda c: c.position
        )
        risk.treatment_actions = actions.get(risk.id, [])
        risk.pack_evidence = data.parts.get("evidence_by_risk", {}).get(risk.id, [])
    data.parts["criteria_versions"] = criteria
    data.parts["criteria"] = criteria[-1] if criteria else None
    data.parts["risks"] = risks
    data.parts["treatment_actions"] = [a for risk in risks for a in risk.treatment_actions]
    data.parts["risks_by_control"] = _risks_by_control(risks)


def _risks_by_control(risks: list[Any]) -> dict[int, list[Any]]:
    result: dict[int, list[Any]] = defaultdict(list)
    for risk in risks:
        for control in risk.linked_controls:
            result[control.pk].append(risk)
    return result


def gather_risk_criteria(data: PackData) -> None:
    _ensure_risks(data)


def gather_risks(data: PackData) -> None:
    """Risks as of the date, and the heat map drawn by the assessments area for that date."""
    from assessments.heatmap import heatmap_svg

    _ensure_risks(data)
    data.parts["heatmap_svg"] = heatmap_svg(data.pack.management_system, data.pack.as_of)


def gather_treatment(data: PackData) -> None:
    _ensure_risks(data)


def gather_soa(data: PackData) -> None:
    """All SoA rows as they stood at the date, with linked risks and evidence references."""
    from controls.selectors import soa_rows_as_of

    _ensure_risks(data)
    rows = soa_rows_as_of(management_system=data.pack.management_system, when=data.pack.as_of)
    by_control = data.parts["risks_by_control"]
    evidence_by_row = data.parts.get("evidence_by_soa_row", {})
    for row in rows:
        row.linked_risks = by_control.get(row.control_id, [])
        row.pack_evidence = evidence_by_row.get(row.id, [])
    data.parts["soa_rows"] = rows
    data.parts["soa_counts"] = _soa_counts(rows)


def _soa_counts(rows: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.applicable] += 1
        counts[f"status_{row.implementation_status}"] += 1
    return dict(counts)


def gather_impact(data: PackData) -> None:
    """Impact assessments as of the date, with their impact rows."""
    from assessments.models import ImpactAssessment, ImpactRow

    as_of, ms_id = data.pack.as_of, data.pack.management_system_id
    assessments = rows_as_of(ImpactAssessment, as_of, management_system_id=ms_id)
    rows = defaultdict(list)
    for row in rows_as_of(ImpactRow, as_of, assessment_id__in=[a.id for a in assessments]):
        rows[row.assessment_id].append(row)
    systems = data.parts.get("ai_systems_by_id", {})
    for assessment in assessments:
        assessment.impact_rows = rows.get(assessment.id, [])
        assessment.system = systems.get(assessment.ai_system_id)
        assessment.pack_evidence = data.parts.get("evidence_by_impact", {}).get(assessment.id, [])
    data.parts["impact_assessments"] = assessments


def gather_signoffs(data: PackData) -> None:
    """The sign-offs recorded by the date, in chain order, with what each one signed."""
    from aims import ledger
    from aims.models import SignOff

    signoffs = list(
        SignOff.objects.filter(management_system_id=data.pack.management_system_id, signed_at__lte=data.pack.as_of)
        .select_related("subject_type")
        .order_by("sequence")
    )
    references = _subject_references(data)
    latest: dict[tuple[str, int], Any] = {}
    for signoff in signoffs:
        signoff.kind_label = ledger.kind_label(signoff.kind)
        key = (signoff.subject_type.model, signoff.subject_id)
        signoff.subject_label = references.get(key, f"{signoff.subject_type.name} #{signoff.subject_id}")
        latest[(signoff.kind, signoff.subject_id)] = signoff
    data.parts["signoffs"] = signoffs
    data.parts["latest_signoff"] = latest
    for risk in data.parts.get("risks", []):
        risk.acceptance = latest.get(("risk_acceptance", risk.id))
    for assessment in data.parts.get("impact_assessments", []):
        assessment.approval = latest.get(("impact_assessment_approval", assessment.id))


def _subject_references(data: PackData) -> dict[tuple[str, int], str]:
    refs = {("managementsystem", data.pack.management_system_id): "The management system (Statement of Applicability)"}
    for risk in data.parts.get("risks", []):
        refs[("risk", risk.id)] = f"{risk.reference} {risk.title}"
    for assessment in data.parts.get("impact_assessments", []):
        refs[("impactassessment", assessment.id)] = f"{assessment.reference} {assessment.title}"
    return refs


GATHERERS = {
    "risk_criteria": gather_risk_criteria,
    "risks": gather_risks,
    "treatment": gather_treatment,
    "soa": gather_soa,
    "impact": gather_impact,
    "signoffs": gather_signoffs,
}
