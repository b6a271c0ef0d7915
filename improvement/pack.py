"""The improvement loop in audit packs: internal audits (9.2), nonconformities (10.2) and incidents (A.3.3, A.8.4).

Everything is read from the history tables as it stood at the pack's as-of moment, with a
fixed number of queries whatever the size of the registers: a nonconformity closed today
shows open in a pack dated last month. Stage 1 packs show the approved audit programme with
its coverage matrix, the latest audit reports' conclusions and a summary of the
nonconformity register; Stage 2 and full packs show every report, nonconformity and
incident in full. Each signed record says, as of the pack's date, who signed which version
and whether it changed since (``aims.signoff_currency``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model

from aims import ledger
from aims.history import by_id, links_as_of, rows_as_of
from aims.pack_gather import latest_sign_offs_as_of
from aims.pack_sections import FULL, STAGE1, STAGE2, PackData, register_pack_section
from aims.signoff_currency import Currency, currencies
from assessments.models import ImpactAssessment, Risk
from controls.models import Applicability, Control
from evidence.pack import attach_pack_evidence
from improvement.coverage import Coverage, coverage_matrix
from improvement.models import (
    AuditCheck,
    AuditProgramme,
    CorrectiveAction,
    EffectivenessReview,
    Finding,
    Incident,
    InternalAudit,
    Nonconformity,
    ProgrammeItem,
    ReportingObligation,
    TimelineEntry,
)
from registers.pack import inventory_as_of

# The kinds of sign-off of the improvement loop (registered by its register families).
PROGRAMME_APPROVAL = "audit_programme_approval"
REPORT_SIGNATURE = "audit_report"
REPORT_ACKNOWLEDGEMENT = "audit_report_acknowledgement"
NC_CLOSURE = "nonconformity_closure"
REPORTING_DECISION = "incident_reporting_decision"

CLAUSES = "iso42001-2023-clauses"
LATEST_REPORTS = 5  # reports whose conclusions a Stage 1 pack shows; Stage 2 and full packs show all
AGEING = ((30, "Under 30 days"), (90, "30 to 90 days"), (None, "Over 90 days"))


# --- shared reads ----------------------------------------------------------------------------------


def _controls(data: PackData) -> dict[int, Control]:
    """The requirement catalogues (clauses and Annex A), read once: they are reference data, not history."""
    return data.once(
        "improvement_controls", lambda d: {c.pk: c for c in Control.objects.select_related("framework", "area")}
    )


def _person(user: Any) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()


def _people(ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the people a section shows, in one query."""
    wanted = {pk for pk in ids if pk}
    return {pk: _person(user) for pk, user in get_user_model().objects.in_bulk(wanted).items()} if wanted else {}


def _references(model: type, ids: Iterable[int | None]) -> dict[int, str]:
    """References of linked records (a reference never changes), in one query."""
    wanted = {pk for pk in ids if pk}
    return dict(model.objects.filter(pk__in=wanted).values_list("pk", "reference")) if wanted else {}


def _label(row: Any) -> str:
    return type(row).instance_type._meta.label_lower


def sign_off_currency(
    data: PackData, kind: str, subjects: Iterable[tuple[Any, list[Any]]]
) -> dict[int, Currency | None]:
    """Each subject's latest sign-off of ``kind`` on the pack's date and what changed since, by subject id.

    ``subjects`` yields (history row of the subject, history rows of its children then). Only
    the children of the models the sign-off signed are compared, so the comparison follows
    whatever the kind signs. A kind that is not registered has no sign-offs: None for each.
    """
    subjects = list(subjects)
    try:
        ledger.signable(kind)
    except LookupError:
        return {row.id: None for row, _children in subjects}
    latest = latest_sign_offs_as_of(data, kind)

    def signed_rows(row: Any, children: list[Any]) -> list[Any]:
        signoff = latest.get(row.id)
        labels = {label for label, _history_id in signoff.versions} if signoff else set()
        return [row, *(child for child in children if _label(child) in labels)]

    return currencies(kind, latest, ((row.id, row.version, signed_rows(row, kids)) for row, kids in subjects))


def _requirements(controls: dict[int, Control], ids: Iterable[int]) -> list[Control]:
    return sorted(
        (controls[pk] for pk in ids if pk in controls), key=lambda c: (c.framework.key != CLAUSES, c.position)
    )


# --- internal audits (9.2) -------------------------------------------------------------------------


@dataclass
class AuditRegister:
    """Programmes, audits and findings as they stood on the pack's date."""

    programmes: list[Any]
    audits: list[Any]
    findings: list[Any]
    current: Any = None  # the programme an auditor is shown: the latest approved one
    coverage: Coverage | None = None
    finding_of_nc: dict[int, Any] = field(default_factory=dict)


def _read_audits(data: PackData) -> AuditRegister:
    as_of, ms_id = data.as_of, data.management_system_id
    programmes = rows_as_of(AuditProgramme, as_of, management_system_id=ms_id)
    audits = rows_as_of(InternalAudit, as_of, management_system_id=ms_id)
    findings = rows_as_of(Finding, as_of, management_system_id=ms_id)
    items = rows_as_of(ProgrammeItem, as_of, programme_id__in=[p.id for p in programmes])
    checks = rows_as_of(AuditCheck, as_of, audit_id__in=[a.id for a in audits])
    register = AuditRegister(programmes=programmes, audits=audits, findings=findings)
    _link_findings(data, register)
    _link_audits(data, register, checks)
    _link_programmes(data, register, items)
    people = _people(
        [p.owner_id for p in programmes]
        + [a.lead_auditor_id for a in audits]
        + [pk for a in audits for pk in a.team_ids]
    )
    for programme in programmes:
        programme.owner_label = people.get(programme.owner_id, "")
    for audit in audits:
        audit.lead_label = _lead_auditor(audit, people)
        audit.team_labels = sorted(people[pk] for pk in audit.team_ids if pk in people)
    register.current = _current_programme(programmes, as_of.date())
    if register.current is not None:
        register.coverage = _coverage(data, register.current)
    return register


def _link_findings(data: PackData, register: AuditRegister) -> None:
    controls, systems = _controls(data), inventory_as_of(data)["by_id"]
    requirement_links = links_as_of(Finding, "requirements", register.findings)
    system_links = links_as_of(Finding, "ai_systems", register.findings)
    ncs = _references(Nonconformity, (f.nonconformity_id for f in register.findings))
    for finding in register.findings:
        finding.requirement_list = _requirements(controls, requirement_links.get(finding.id, []))
        finding.system_list = [systems[pk] for pk in sorted(system_links.get(finding.id, [])) if pk in systems]
        finding.nc_reference = ncs.get(finding.nonconformity_id, "")
        finding.is_nc = finding.finding_type in Finding.NONCONFORMING
        if finding.nonconformity_id:
            register.finding_of_nc[finding.nonconformity_id] = finding
    attach_pack_evidence(data, Finding, register.findings)


def _link_audits(data: PackData, register: AuditRegister, checks: list[Any]) -> None:
    controls, systems = _controls(data), inventory_as_of(data)["by_id"]
    audits = register.audits
    scope = links_as_of(InternalAudit, "scope_requirements", audits)
    scope_systems = links_as_of(InternalAudit, "scope_ai_systems", audits)
    team = links_as_of(InternalAudit, "team", audits)
    checks_of, findings_of = defaultdict(list), defaultdict(list)
    for check in checks:
        check.requirement_row = controls.get(check.requirement_id)
        checks_of[check.audit_id].append(check)
    references = {a.id: a.reference for a in audits}
    for finding in register.findings:
        finding.audit_reference = references.get(finding.audit_id, "")
        findings_of[finding.audit_id].append(finding)
    programmes = {p.id: p.reference for p in register.programmes}
    for audit in audits:
        audit.programme_reference = programmes.get(audit.programme_id, "")
        audit.scope_list = _requirements(controls, scope.get(audit.id, []))
        audit.scope_requirement_ids = set(scope.get(audit.id, []))
        audit.system_list = [systems[pk] for pk in sorted(scope_systems.get(audit.id, [])) if pk in systems]
        audit.team_ids = team.get(audit.id, [])
        audit.check_list = sorted(
            checks_of.get(audit.id, []),
            key=lambda c: (c.requirement_row is None, c.requirement_row and c.requirement_row.position, c.id),
        )
        audit.finding_list = findings_of.get(audit.id, [])
        audit.finding_counts = Counter(f.finding_type for f in audit.finding_list if not f.retired_at)
        audit.pending_checks = sum(1 for c in audit.check_list if not c.result)
    subjects = [(a, [*a.check_list, *a.finding_list]) for a in audits]
    signatures = sign_off_currency(data, REPORT_SIGNATURE, subjects)
    acknowledgements = sign_off_currency(data, REPORT_ACKNOWLEDGEMENT, subjects)
    for audit in audits:
        audit.signature = signatures[audit.id]
        audit.acknowledgement = acknowledgements[audit.id]
    attach_pack_evidence(data, InternalAudit, audits)
    attach_pack_evidence(data, AuditCheck, checks)


def _lead_auditor(audit: Any, people: dict[int, str]) -> str:
    if audit.lead_auditor_id:
        return people.get(audit.lead_auditor_id, "(unknown)")
    if audit.external_lead_name:
        firm = f", {audit.external_lead_firm}" if audit.external_lead_firm else ""
        return f"{audit.external_lead_name}{firm} (external)"
    return ""


def _link_programmes(data: PackData, register: AuditRegister, items: list[Any]) -> None:
    controls, systems = _controls(data), inventory_as_of(data)["by_id"]
    items_of = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.planned_quarter, i.id)):
        item.requirement_row = controls.get(item.requirement_id)
        item.system_row = systems.get(item.ai_system_id)
        items_of[item.programme_id].append(item)
    audits_of = defaultdict(list)
    for audit in register.audits:
        audits_of[audit.programme_id].append(audit)
    for programme in register.programmes:
        programme.item_list = items_of.get(programme.id, [])
        programme.audit_list = audits_of.get(programme.id, [])
    approvals = sign_off_currency(data, PROGRAMME_APPROVAL, ((p, p.item_list) for p in register.programmes))
    for programme in register.programmes:
        programme.approval = approvals[programme.id]
        programme.is_approved = programme.status != AuditProgramme.Status.DRAFT or bool(
            programme.approval and programme.approval.signed
        )
    attach_pack_evidence(data, AuditProgramme, register.programmes)


def _current_programme(programmes: list[Any], day: date) -> Any:
    """The approved programme whose cycle holds the date, else the latest approved one, else None."""
    approved = sorted(
        (p for p in programmes if p.is_approved and not p.retired_at), key=lambda p: (p.period_start, p.id)
    )
    running = [p for p in approved if p.period_start <= day <= p.period_end]
    return (running or approved or [None])[-1]


def _coverage(data: PackData, programme: Any) -> Coverage:
    """The programme's coverage matrix as of the date: its planned items then, and the audits reported by then."""
    controls = _controls(data)
    clauses = sorted((c for c in controls.values() if c.framework.key == CLAUSES), key=lambda c: c.position)
    done = (InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED)
    audited = {
        pk for a in programme.audit_list if a.status in done and not a.retired_at for pk in a.scope_requirement_ids
    }
    items = [_Item(i.requirement_row, i.system_row, i.process, i.planned_quarter) for i in programme.item_list]
    return coverage_matrix(
        clauses=clauses,
        items=items,
        period_start=programme.period_start,
        period_end=programme.period_end,
        audited_requirement_ids=audited,
    )


@dataclass(frozen=True)
class _Item:
    """A planned item as ``coverage_matrix`` reads it, from a history row and the records it names."""

    requirement: Any
    ai_system: Any
    process: str
    planned_quarter: str


def audit_register(data: PackData) -> AuditRegister:
    """The internal audit register as of the pack's date, read once for every section that shows it."""
    return data.once("improvement_audits", _read_audits)


def _sort_key_reported(audit: Any) -> tuple:
    day = audit.actual_end or audit.planned_end or audit.created_at.date()
    return (day, audit.id)


def gather_audit_programme(data: PackData) -> None:
    """The approved audit programme with its coverage matrix, gaps and audits (Stage 1 and full packs)."""
    register = audit_register(data)
    programme = register.current
    data.parts["audit_programme"] = programme
    coverage = data.parts["audit_coverage"] = register.coverage
    data.parts["audit_coverage_rows"] = (
        [(row, [row.cells.get(q, 0) for q in coverage.quarters]) for row in coverage.rows] if coverage else []
    )
    data.parts["audit_coverage_gaps"] = [row.key.split(":", 1)[1] for row in coverage.gaps] if coverage else []
    data.parts["other_audit_programmes"] = [p for p in register.programmes if p is not programme]
    if programme is not None:
        data.document_control(
            "audit_programme",
            identifier=programme.reference,
            version=f"Version {programme.version} ({programme.get_status_display().lower()})",
            owner=programme.owner_label,
            approval=programme.approval,
            next_review=programme.period_end,
            note="No sign-off of the programme's approval is recorded.",
        )
        cycle = f"{_day(programme.period_start)} to {_day(programme.period_end)}"
        data.scope_fact("Internal audit programme", f"{programme.reference} {programme.title}, {cycle}")


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def gather_audit_conclusions(data: PackData) -> None:
    """The conclusions of the latest reported internal audits (Stage 1)."""
    register = audit_register(data)
    done = (InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED)
    reported = sorted(
        (a for a in register.audits if a.status in done and not a.retired_at), key=_sort_key_reported, reverse=True
    )
    data.parts["audit_reports_latest"] = reported[:LATEST_REPORTS]
    data.parts["audit_reports_earlier"] = len(reported) - LATEST_REPORTS if len(reported) > LATEST_REPORTS else 0
    data.parts["audits_not_reported"] = [a for a in register.audits if a.status not in done and not a.retired_at]
    data.scope_fact("Internal audits", f"{len(reported)} reported, {len(data.parts['audits_not_reported'])} planned "
                    "or in progress")  # fmt: skip


def gather_audit_reports(data: PackData) -> None:
    """Every internal audit in full, and the findings raised outside an internal audit (Stage 2 and full)."""
    register = audit_register(data)
    data.parts["internal_audits"] = [a for a in register.audits if not a.retired_at]
    data.parts["withdrawn_internal_audits"] = [a for a in register.audits if a.retired_at]
    data.parts["other_findings"] = [f for f in register.findings if f.audit_id is None]


# --- nonconformities and corrective actions (10.2) ----------------------------------------------------


@dataclass
class NonconformityRegister:
    """Nonconformities with their actions and reviews as they stood on the pack's date."""

    ncs: list[Any]
    actions: list[Any]
    reviews: list[Any]


def _read_ncs(data: PackData) -> NonconformityRegister:
    as_of, ms_id = data.as_of, data.management_system_id
    ncs = rows_as_of(Nonconformity, as_of, management_system_id=ms_id)
    actions = rows_as_of(CorrectiveAction, as_of, management_system_id=ms_id)
    reviews = rows_as_of(EffectivenessReview, as_of, nonconformity_id__in=[nc.id for nc in ncs])
    today = as_of.date()
    actions_of, reviews_of = defaultdict(list), defaultdict(list)
    for action in actions:
        action.overdue_as_of = action.status in CorrectiveAction.OPEN and bool(
            action.due_date and action.due_date < today
        )
        actions_of[action.nonconformity_id].append(action)
    for review in sorted(reviews, key=lambda r: (r.iteration, r.id)):
        review.overdue_as_of = not review.result and bool(review.planned_on and review.planned_on < today)
        reviews_of[review.nonconformity_id].append(review)
    people = _people([nc.owner_id for nc in ncs] + [a.owner_id for a in actions] + [r.reviewer_id for r in reviews])
    for action in actions:
        action.owner_label = people.get(action.owner_id, "")
    for review in reviews:
        review.reviewer_label = people.get(review.reviewer_id, "")
    for nc in ncs:
        nc.owner_label = people.get(nc.owner_id, "")
        nc.action_list = actions_of.get(nc.id, [])
        nc.review_list = reviews_of.get(nc.id, [])
        nc.is_closed = nc.state == Nonconformity.State.CLOSED
        nc.is_open = not nc.is_closed and not nc.retired_at
        nc.opened_on = nc.created_at
        nc.age_days = (as_of - nc.created_at).days
    closures = sign_off_currency(data, NC_CLOSURE, ((nc, [*nc.action_list, *nc.review_list]) for nc in ncs))
    for nc in ncs:
        nc.closure = closures[nc.id]
        nc.overdue_actions = [a for a in nc.action_list if a.overdue_as_of]
        nc.actions_settled = sum(1 for a in nc.action_list if a.status not in CorrectiveAction.OPEN)
    return NonconformityRegister(ncs=ncs, actions=actions, reviews=reviews)


def nonconformity_register(data: PackData) -> NonconformityRegister:
    """The nonconformity register as of the pack's date, read once for every section that shows it."""
    return data.once("improvement_ncs", _read_ncs)


def _link_ncs(data: PackData, register: NonconformityRegister) -> None:
    """What the full record shows beyond the summary: requirements, systems, changes made, sources, evidence."""
    ncs = register.ncs
    controls, systems = _controls(data), inventory_as_of(data)["by_id"]
    links = {name: links_as_of(Nonconformity, name, ncs) for name in Nonconformity._history_m2m_fields}
    risks = _references(Risk, (pk for ids in links["risks_reassessed"].values() for pk in ids))
    assessments = _references(ImpactAssessment, (pk for ids in links["impact_assessments"].values() for pk in ids))
    soa_ids = {pk for ids in links["soa_changes"].values() for pk in ids}
    soa = dict(Applicability.objects.filter(pk__in=soa_ids).values_list("pk", "control__key")) if soa_ids else {}
    incidents = _references(Incident, (nc.source_incident_id for nc in ncs))
    findings = audit_register(data).finding_of_nc
    for nc in ncs:
        nc.requirement_list = _requirements(controls, links["requirements"].get(nc.id, []))
        nc.system_list = [systems[pk] for pk in sorted(links["ai_systems"].get(nc.id, [])) if pk in systems]
        nc.risk_references = sorted(risks[pk] for pk in links["risks_reassessed"].get(nc.id, []) if pk in risks)
        nc.assessment_references = sorted(
            assessments[pk] for pk in links["impact_assessments"].get(nc.id, []) if pk in assessments
        )
        nc.soa_keys = sorted(soa[pk] for pk in links["soa_changes"].get(nc.id, []) if pk in soa)
        nc.source_finding = findings.get(nc.id)
        nc.source_incident_reference = incidents.get(nc.source_incident_id, "")
    attach_pack_evidence(data, Nonconformity, ncs)
    attach_pack_evidence(data, CorrectiveAction, register.actions)


@dataclass
class Tally:
    """Open, closed and withdrawn nonconformities of one grade or source."""

    label: str
    open: int = 0
    closed: int = 0
    withdrawn: int = 0

    @property
    def total(self) -> int:
        return self.open + self.closed + self.withdrawn

    def add(self, nc: Any) -> None:
        if nc.retired_at:
            self.withdrawn += 1
        elif nc.is_closed:
            self.closed += 1
        else:
            self.open += 1


def nc_summary(ncs: list[Any]) -> dict[str, Any]:
    """Counts by grade and by source, the ageing of open nonconformities, and the overdue actions and reviews."""
    grades = {value: Tally(label) for value, label in Nonconformity.Grade.choices}
    sources = {value: Tally(label) for value, label in Nonconformity.Source.choices}
    total = Tally("All nonconformities")
    for nc in ncs:
        grades.setdefault(nc.grade, Tally(nc.grade)).add(nc)
        sources.setdefault(nc.source, Tally(nc.source)).add(nc)
        total.add(nc)
    open_ncs = sorted((nc for nc in ncs if nc.is_open), key=lambda nc: -nc.age_days)
    return {
        "by_grade": [*grades.values(), total],
        "by_source": [t for t in sources.values() if t.total],
        "total": total,
        "ageing": _ageing(open_ncs),
        "open": open_ncs,
        "overdue_actions": [(nc, a) for nc in ncs if not nc.retired_at for a in nc.overdue_actions],
        "overdue_reviews": [(nc, r) for nc in ncs if nc.is_open for r in nc.review_list if r.overdue_as_of],
    }


@dataclass
class AgeBucket:
    label: str
    major: int = 0
    minor: int = 0

    @property
    def total(self) -> int:
        return self.major + self.minor


def _ageing(open_ncs: list[Any]) -> list[AgeBucket]:
    """Open nonconformities by how long they have been open on the pack's date."""
    buckets = [AgeBucket(label) for _limit, label in AGEING]
    for nc in open_ncs:
        index = next(i for i, (limit, _label) in enumerate(AGEING) if limit is None or nc.age_days < limit)
        bucket = buckets[index]
        if nc.grade == Nonconformity.Grade.MAJOR:
            bucket.major += 1
        else:
            bucket.minor += 1
    return buckets


def gather_nc_summary(data: PackData) -> None:
    """The nonconformity register in numbers, as of the date (Stage 1 and full packs)."""
    register = nonconformity_register(data)
    ncs = register.ncs
    if data.pack_scope.by_systems:  # the summary of the chosen systems' nonconformities
        ncs = _ncs_concerning(data, register)
    summary = data.parts["nc_summary"] = nc_summary(ncs)
    data.scope_fact("Nonconformities", f"{summary['total'].open} open, {summary['total'].closed} closed")


def gather_nonconformities(data: PackData) -> None:
    """Every nonconformity in full, with its actions, effectiveness reviews and closure (Stage 2 and full)."""
    ncs = _ncs_concerning(data, nonconformity_register(data))
    data.parts["nonconformities"] = [nc for nc in ncs if not nc.retired_at]
    data.parts["withdrawn_nonconformities"] = [nc for nc in ncs if nc.retired_at]


def _ncs_concerning(data: PackData, register: NonconformityRegister) -> list[Any]:
    """The nonconformities linked in full (once per pack); with AI systems chosen, those that name them."""
    if "improvement_ncs_linked" not in data.parts:
        _link_ncs(data, register)
        data.parts["improvement_ncs_linked"] = True
    systems_of = {nc.id: [s.id for s in nc.system_list] for nc in register.ncs}
    data.note_concerning(CorrectiveAction, register.actions, lambda a: systems_of.get(a.nonconformity_id, ()))
    return data.only_concerning(Nonconformity, register.ncs, lambda nc: systems_of[nc.id])


# --- AI incidents and concerns (A.3.3, A.8.4) ----------------------------------------------------------


def gather_incidents(data: PackData) -> None:
    """Every incident in full: timeline up to the date, reporting obligations, triage and decision."""
    as_of, ms_id = data.as_of, data.management_system_id
    incidents = rows_as_of(Incident, as_of, management_system_id=ms_id)
    system_links = links_as_of(Incident, "ai_systems", incidents)
    incidents = data.only_concerning(Incident, incidents, lambda i: system_links.get(i.id, ()))
    ids = [i.id for i in incidents]
    obligations = rows_as_of(ReportingObligation, as_of, incident_id__in=ids)
    # The timeline is append-only (no history): what was recorded by the date is what stood then.
    timeline = list(TimelineEntry.objects.filter(incident_id__in=ids, recorded_at__lte=as_of).order_by("at", "pk"))
    inventory = inventory_as_of(data)
    model_records = by_id(inventory["model_records"])
    risks = _references(Risk, (i.outcome_risk_id for i in incidents))
    assessments = _references(ImpactAssessment, (i.outcome_impact_assessment_id for i in incidents))
    raised = defaultdict(list)
    for nc in nonconformity_register(data).ncs:
        if nc.source_incident_id:
            raised[nc.source_incident_id].append(nc.reference)
    people = _people(
        [i.owner_id for i in incidents]
        + [i.reporter_id for i in incidents if not i.anonymous]
        + [entry.author_id for entry in timeline]
    )
    obligations_of, timeline_of = defaultdict(list), defaultdict(list)
    for obligation in sorted(obligations, key=lambda o: (o.deadline, o.id)):
        obligation.overdue_as_of = _obligation_overdue(obligation, as_of)
        obligations_of[obligation.incident_id].append(obligation)
    anonymous = {i.id: i.reporter_id for i in incidents if i.anonymous}
    for entry in timeline:
        # A reporter who asked not to be named stays unnamed in their own entries too.
        hidden = entry.incident_id in anonymous and entry.author_id == anonymous[entry.incident_id]
        entry.author_label = "Anonymous" if hidden else people.get(entry.author_id, "")
        timeline_of[entry.incident_id].append(entry)
    for incident in incidents:
        incident.reporter_label = "Anonymous" if incident.anonymous else people.get(incident.reporter_id, "")
        incident.owner_label = people.get(incident.owner_id, "")
        incident.system_list = [
            inventory["by_id"][pk] for pk in sorted(system_links.get(incident.id, [])) if pk in inventory["by_id"]
        ]
        incident.model_row = model_records.get(incident.model_record_id)
        incident.obligation_list = obligations_of.get(incident.id, [])
        incident.timeline_list = timeline_of.get(incident.id, [])
        incident.outcome_risk_reference = risks.get(incident.outcome_risk_id, "")
        incident.outcome_assessment_reference = assessments.get(incident.outcome_impact_assessment_id, "")
        incident.nc_references = sorted(raised.get(incident.id, []))
    decisions = sign_off_currency(data, REPORTING_DECISION, ((i, i.obligation_list) for i in incidents))
    for incident in incidents:
        incident.decision = decisions[incident.id]
    attach_pack_evidence(data, Incident, incidents)
    data.parts["incidents"] = [i for i in incidents if not i.retired_at]
    data.parts["withdrawn_incidents"] = [i for i in incidents if i.retired_at]
    data.parts["incident_obligations_overdue"] = [o for o in obligations if o.overdue_as_of]
    still_open = sum(1 for i in data.parts["incidents"] if i.status != Incident.Status.CLOSED)
    data.scope_fact("AI incidents and concerns", f"{len(data.parts['incidents'])} recorded, {still_open} not closed")


def _obligation_overdue(obligation: Any, as_of: datetime) -> bool:
    """Neither submitted nor waived with a reason by the date, and past its deadline then."""
    settled = obligation.submitted_on is not None or bool(obligation.waived_reason.strip())
    return not settled and obligation.deadline < as_of


# --- registration ------------------------------------------------------------------------------------


def register() -> None:
    """Declare the improvement loop's pack sections, after impact assessments and before the sign-off chain."""
    sections = [
        ("audit_programme", "Internal audit programme", "9.2.2", {STAGE1, FULL}, 82, gather_audit_programme),
        ("audit_conclusions", "Internal audit results", "9.2", {STAGE1}, 83, gather_audit_conclusions),
        ("audit_reports", "Internal audit reports", "9.2", {STAGE2, FULL}, 83, gather_audit_reports),
        ("nc_summary", "Nonconformity register summary", "10.2", {STAGE1, FULL}, 88, gather_nc_summary),
        ("nonconformities", "Nonconformities and corrective actions", "10.2", {STAGE2, FULL}, 88,
         gather_nonconformities),
        ("incidents", "AI incidents and concerns", "A.3.3, A.8.4", {STAGE2, FULL}, 89, gather_incidents),
    ]  # fmt: skip
    for key, title, clause, kinds, order, gather in sections:
        register_pack_section(
            key,
            title=title,
            clause=clause,
            kinds=kinds,
            order=order,
            gather=gather,
            template=f"improvement/pack/section_{key}.html",
        )
