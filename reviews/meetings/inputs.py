"""The inputs of a management review (9.3.2) and how each is gathered from the registers.

``INPUT_KINDS`` is the registry: each kind has a key, its letter or label, the clause, whether
9.3.2 requires it, and a gatherer. A gatherer reads one register "since the previous review"
(``Since``) and answers plain JSON, the same shape for every kind::

    {"summary": "3 nonconformities raised, 1 closed; 4 open now (2 at the previous review).",
     "counts": [["Raised", 3], ["Closed", 1], ["Open now", 4]],
     "items": [{"reference": "NC-004", "title": "...", "status": "Open"}], "more": 0}

``counts`` is a list of pairs (not an object) so that its order survives every database. Before
the inputs are frozen the review page shows the gathering live; freezing stores it with its
SHA-256 (``reviews.meetings.services.review_freeze_inputs``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone

from aims import ledger
from aims.models import ManagementSystem, SignOff
from assessments.models import ImpactAssessment, Risk
from governance.models import ContextIssue, Document, InterestedParty, Measurement, Objective, Requirement
from governance.people.selectors import competence_gaps
from improvement.models import CorrectiveAction, Finding, Incident, InternalAudit, Nonconformity
from registers.models import Supplier
from reviews.models import ManagementReview, ReviewAction

ITEM_LIMIT = 12


@dataclass(frozen=True)
class Since:
    """What a gatherer reads: the management system, the review, and the previous review's date (or None)."""

    management_system: ManagementSystem
    review: ManagementReview
    day: date | None

    @property
    def moment(self) -> datetime | None:
        if self.day is None:
            return None
        return timezone.make_aware(datetime.combine(self.day, time.min))

    def after(self, field: str) -> Q:
        """Rows whose ``field`` (a date or moment) falls after the previous review (all rows for the first)."""
        return Q() if self.day is None else Q(**{f"{field}__gte": self.moment})

    @property
    def words(self) -> str:
        return f"since {self.day:%d %b %Y}" if self.day else "so far (first review)"


@dataclass(frozen=True)
class InputKind:
    key: str
    label: str  # "(a)" for the inputs 9.3.2 requires, a short name for the recommended ones
    title: str
    clause: str
    required: bool
    gather: Callable[[Since], dict[str, Any]]


def content(summary: str, counts: Iterable[tuple[str, int]], rows: Iterable[Any] = (), **item: Callable) -> dict:
    """The JSON of one input: a sentence, counts in order and the first rows as reference, title, status."""
    rows = list(rows)
    status = item.get("status", lambda r: r.get_status_display())
    title = item.get("title", lambda r: getattr(r, "title", "") or getattr(r, "name", "") or str(r))
    reference = item.get("reference", lambda r: getattr(r, "reference", ""))
    return {
        "summary": summary,
        "counts": [[label, int(n)] for label, n in counts],
        "items": [
            {"reference": str(reference(r)), "title": str(title(r))[:200], "status": str(status(r))}
            for r in rows[:ITEM_LIMIT]
        ],
        "more": max(0, len(rows) - ITEM_LIMIT),
    }


def _ms(since: Since) -> dict[str, Any]:
    return {"management_system": since.management_system}


# --- 9.3.2 (a) to (e) ---------------------------------------------------------------------------


def gather_previous_actions(since: Since) -> dict[str, Any]:
    """(a) The actions of earlier reviews: those still open, and those done or cancelled since."""
    actions = list(
        ReviewAction.objects.filter(**_ms(since))
        .exclude(review=since.review)
        .filter(Q(status=ReviewAction.Status.OPEN) | since.after("updated_at"))
        .select_related("review", "owner")
        .order_by("due_on", "reference")
    )
    still_open = [a for a in actions if a.is_open]
    closed = [a for a in actions if not a.is_open]
    today = timezone.localdate()
    overdue = [a for a in still_open if a.due_on and a.due_on < today]
    summary = (
        f"{len(still_open)} action{'s' if len(still_open) != 1 else ''} of earlier reviews still open "
        f"({len(overdue)} overdue); {len(closed)} done or cancelled {since.words}."
    )
    if not actions:
        summary = "No action of an earlier review is open or was closed " + since.words + "."

    def status(a: ReviewAction) -> str:
        due = f", due {a.due_on:%d %b %Y}" if a.due_on else ""
        return f"{a.get_status_display()}{due} ({a.review.reference}, {a.owner.get_username()})"

    return content(
        summary, [("Open", len(still_open)), ("Overdue", len(overdue)), ("Closed since", len(closed))],
        [*still_open, *closed], status=status,
    )  # fmt: skip


def gather_issues(since: Since) -> dict[str, Any]:
    """(b) Internal and external issues (4.1) added, changed or retired since the previous review."""
    changed = list(ContextIssue.objects.filter(**_ms(since)).filter(since.after("updated_at")).order_by("reference"))
    current = ContextIssue.objects.filter(**_ms(since), retired_at__isnull=True).count()
    by_origin = Counter(i.origin for i in changed)

    def status(issue: ContextIssue) -> str:
        if issue.retired_at:
            return "Retired"
        return f"{issue.get_origin_display()}, {'new' if since.day is None or issue.created_at >= since.moment else 'changed'}"

    return content(
        f"{len(changed)} context issue{'s' if len(changed) != 1 else ''} added, changed or retired {since.words}; "
        f"{current} current.",
        [("Changed", len(changed)), ("Internal", by_origin["internal"]), ("External", by_origin["external"]),
         ("Current", current)],
        changed, status=status,
    )  # fmt: skip


def gather_parties(since: Since) -> dict[str, Any]:
    """(c) Interested parties and their requirements (4.2) changed since, and how many are not addressed."""
    parties = InterestedParty.objects.filter(**_ms(since)).filter(since.after("updated_at")).count()
    requirements = list(
        Requirement.objects.filter(**_ms(since)).filter(since.after("updated_at")).select_related("party")
        .order_by("reference")
    )  # fmt: skip
    open_ = Requirement.objects.filter(**_ms(since), retired_at__isnull=True, addressed=Requirement.Addressed.NO)
    not_addressed = open_.count()
    return content(
        f"{parties} interested part{'ies' if parties != 1 else 'y'} and {len(requirements)} requirement"
        f"{'s' if len(requirements) != 1 else ''} added or changed {since.words}; {not_addressed} requirement"
        f"{'s' if not_addressed != 1 else ''} not addressed.",
        [("Parties changed", parties), ("Requirements changed", len(requirements)), ("Not addressed", not_addressed)],
        requirements, title=lambda r: f"{r.party.name}: {r.title}", status=lambda r: r.get_addressed_display(),
    )  # fmt: skip


def gather_nonconformities(since: Since) -> dict[str, Any]:
    """(d) Nonconformities and corrective actions, with the trend: raised, closed, open then and now."""
    ncs = list(Nonconformity.objects.filter(**_ms(since)).order_by("reference"))
    moment = since.moment
    raised = [n for n in ncs if moment is None or n.created_at >= moment]
    closed = [n for n in ncs if n.closed_at and (moment is None or n.closed_at >= moment)]
    open_now = [n for n in ncs if n.state != Nonconformity.State.CLOSED and not n.retired_at]
    open_then = [
        n
        for n in ncs
        if moment is not None and n.created_at < moment and (n.closed_at is None or n.closed_at >= moment)
    ]
    actions = CorrectiveAction.objects.filter(**_ms(since))
    open_actions = actions.filter(status__in=[CorrectiveAction.Status.PLANNED, CorrectiveAction.Status.IN_PROGRESS])
    overdue = open_actions.filter(due_date__lt=timezone.localdate()).count()
    trend = f" ({len(open_then)} open at the previous review)" if moment is not None else ""
    return content(
        f"{len(raised)} nonconformit{'ies' if len(raised) != 1 else 'y'} raised and {len(closed)} closed {since.words}; "
        f"{len(open_now)} open now{trend}. Corrective actions: {open_actions.count()} open, {overdue} overdue.",
        [("Raised", len(raised)), ("Closed", len(closed)), ("Open now", len(open_now)),
         ("Open at the previous review", len(open_then)), ("Corrective actions open", open_actions.count()),
         ("Corrective actions overdue", overdue)],
        [*raised, *[n for n in open_now if n not in raised]],
        status=lambda n: f"{n.get_state_display()}, {n.get_grade_display().lower()}",
    )  # fmt: skip


def gather_monitoring(since: Since) -> dict[str, Any]:
    """(d) Monitoring and measurement (9.1): objectives by status and the measurements recorded since."""
    objectives = list(Objective.objects.filter(**_ms(since), retired_at__isnull=True).order_by("reference"))
    by_status = Counter(o.status for o in objectives)
    measured = Measurement.objects.filter(**_ms(since)).filter(since.after("recorded_at")).count()
    attention = [o for o in objectives if o.status in (Objective.Status.AT_RISK, Objective.Status.NOT_ACHIEVED)]
    return content(
        f"{len(objectives)} AI objectives: {by_status['achieved']} achieved, {by_status['on_track']} on track, "
        f"{len(attention)} at risk or not achieved; {measured} measurement{'s' if measured != 1 else ''} recorded "
        f"{since.words}.",
        [("Objectives", len(objectives)), ("On track", by_status["on_track"]), ("Achieved", by_status["achieved"]),
         ("At risk or not achieved", len(attention)), ("Measurements", measured)],
        [*attention, *[o for o in objectives if o not in attention]],
    )  # fmt: skip


REPORTED = (InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED)


def gather_audits(since: Since) -> dict[str, Any]:
    """(d) Audit results (9.2): internal audits reported since, with their findings."""
    audits = list(
        InternalAudit.objects.filter(**_ms(since), status__in=REPORTED).filter(since.after("updated_at"))
        .order_by("reference")
    )  # fmt: skip
    findings = Counter(
        Finding.objects.filter(**_ms(since), audit__in=audits, retired_at__isnull=True).values_list(
            "finding_type", flat=True
        )
    )
    nc = findings["major"] + findings["minor"]
    return content(
        f"{len(audits)} internal audit{'s' if len(audits) != 1 else ''} reported {since.words}, with {nc} "
        f"nonconformit{'ies' if nc != 1 else 'y'}, {findings['observation']} observation"
        f"{'s' if findings['observation'] != 1 else ''} and {findings['opportunity']} opportunit"
        f"{'ies' if findings['opportunity'] != 1 else 'y'} for improvement.",
        [("Audits reported", len(audits)), ("Major", findings["major"]), ("Minor", findings["minor"]),
         ("Observations", findings["observation"]), ("Opportunities", findings["opportunity"])],
        audits,
    )  # fmt: skip


def gather_opportunities(since: Since) -> dict[str, Any]:
    """(e) Opportunities for continual improvement: findings of that type and observations raised since."""
    found = list(
        Finding.objects.filter(**_ms(since), retired_at__isnull=True, finding_type__in=["opportunity", "observation"])
        .filter(since.after("created_at")).order_by("reference")
    )  # fmt: skip
    return content(
        f"{len(found)} opportunit{'ies' if len(found) != 1 else 'y'} for improvement and observations raised "
        f"{since.words}.",
        [("Opportunities and observations", len(found))],
        found, status=lambda f: f.get_finding_type_display(),
    )  # fmt: skip


# --- recommended inputs -----------------------------------------------------------------------------


def gather_risks(since: Since) -> dict[str, Any]:
    """The risk register: risks by level now, added since, and acceptances given since."""
    risks = list(Risk.objects.filter(**_ms(since), retired_at__isnull=True).order_by("reference"))
    levels = Counter(r.acceptance_level for r in risks)
    added = [r for r in risks if since.moment is None or r.created_at >= since.moment]
    accepted = SignOff.objects.filter(**_ms(since), kind="risk_acceptance").filter(since.after("signed_at")).count()
    return content(
        f"{len(risks)} open risks ({', '.join(f'{n} {level}' for level, n in sorted(levels.items())) or 'none'}); "
        f"{len(added)} added and {accepted} acceptance{'s' if accepted != 1 else ''} signed {since.words}.",
        [("Risks", len(risks)), ("Added", len(added)), ("Acceptances signed", accepted)],
        added, status=lambda r: r.acceptance_level or "not assessed",
    )  # fmt: skip


def gather_impact_assessments(since: Since) -> dict[str, Any]:
    """AI system impact assessments (6.1.4, 8.4): by decision, and those made or changed since."""
    assessments = list(
        ImpactAssessment.objects.filter(**_ms(since), retired_at__isnull=True).select_related("ai_system")
        .order_by("reference")
    )  # fmt: skip
    decisions = Counter(a.decision for a in assessments)
    changed = [a for a in assessments if since.moment is None or a.updated_at >= since.moment]
    return content(
        f"{len(assessments)} impact assessments, {decisions['pending']} not decided yet; {len(changed)} made or "
        f"changed {since.words}.",
        [("Assessments", len(assessments)), ("Not decided", decisions["pending"]), ("Changed", len(changed))],
        changed, title=lambda a: str(a.ai_system), status=lambda a: a.get_decision_display(),
    )  # fmt: skip


def gather_soa(since: Since) -> dict[str, Any]:
    """The Statement of Applicability: its latest approval and how many rows changed since."""
    state = ledger.sign_off_status("soa", since.management_system)
    latest = state.latest
    if latest is None:
        return content("The Statement of Applicability is not approved yet.", [("Rows changed since approval", 0)])
    return content(
        f"Approved in sign-off #{latest.sequence} on {latest.signed_at:%d %b %Y}; "
        f"{len(state.changed)} row{'s' if len(state.changed) != 1 else ''} changed since that approval.",
        [("Rows changed since approval", len(state.changed))],
    )


def gather_incidents(since: Since) -> dict[str, Any]:
    """AI incidents (A.8.4, A.3.3): reported since, by severity, and those still open."""
    incidents = list(
        Incident.objects.filter(**_ms(since)).filter(since.after("detected_at") | Q(status__in=["reported", "triaged"]))
        .order_by("reference")
    )  # fmt: skip
    new = [i for i in incidents if since.moment is None or i.detected_at >= since.moment]
    still_open = [i for i in incidents if i.status in ("reported", "triaged")]
    severity = Counter(i.severity for i in new)
    return content(
        f"{len(new)} AI incident{'s' if len(new) != 1 else ''} reported {since.words} "
        f"({severity['high'] + severity['critical']} high or critical); {len(still_open)} open.",
        [("Reported", len(new)), ("Open", len(still_open))],
        incidents, status=lambda i: f"{i.get_status_display()}, {i.get_severity_display().lower()}",
    )  # fmt: skip


def gather_suppliers(since: Since) -> dict[str, Any]:
    """Suppliers (A.10): due diligence status, and those changed since."""
    suppliers = list(Supplier.objects.filter(**_ms(since), retired_at__isnull=True).order_by("reference"))
    status = Counter(s.due_diligence_status for s in suppliers)
    pending = [s for s in suppliers if s.due_diligence_status != Supplier.DueDiligence.APPROVED]
    return content(
        f"{len(suppliers)} suppliers, {status['approved']} with due diligence approved, {len(pending)} not.",
        [("Suppliers", len(suppliers)), ("Approved", status["approved"]), ("Not approved", len(pending))],
        pending, status=lambda s: s.get_due_diligence_status_display(),
    )  # fmt: skip


def gather_policy(since: Since) -> dict[str, Any]:
    """The AI policy (5.2): its approved version and whether its review is due."""
    policy = Document.objects.filter(**_ms(since), key="ai_policy").first()
    if policy is None:
        return content("No AI policy in the document register.", [("Approved versions", 0)])
    approved = list(policy.versions.filter(status="approved").order_by("-number")[:1])
    due = policy.next_review_on
    overdue = bool(due and due < timezone.localdate())
    version = f"version {approved[0].number} approved" if approved else "no approved version"
    review = f"review due {due:%d %b %Y}{' (overdue)' if overdue else ''}" if due else "no review date"
    return content(
        f"{policy.identifier} {policy.title}: {version}; {review}.",
        [("Approved versions", len(approved)), ("Review overdue", int(overdue))],
    )


def gather_resources(since: Since) -> dict[str, Any]:
    """Resources (7.1, 7.2): the competence gaps of the people holding AIMS roles."""
    gaps = competence_gaps(since.management_system)
    return content(
        f"{len(gaps)} competence gap{'s' if len(gaps) != 1 else ''} among the people holding AIMS roles.",
        [("Competence gaps", len(gaps))],
        gaps, reference=lambda g: g.person.reference, title=lambda g: f"{g.person.name}: {g.competence.name}",
        status=lambda g: f"{g.reason} ({g.role.name})",
    )  # fmt: skip


INPUT_KINDS: tuple[InputKind, ...] = (
    InputKind("previous_actions", "(a)", "Status of actions from previous management reviews", "9.3.2 a", True,
              gather_previous_actions),
    InputKind("issues", "(b)", "Changes in external and internal issues relevant to the AIMS", "9.3.2 b", True,
              gather_issues),
    InputKind("interested_parties", "(c)", "Changes in needs and expectations of interested parties", "9.3.2 c",
              True, gather_parties),
    InputKind("nonconformities", "(d)", "Nonconformities and corrective actions (trends)", "9.3.2 d", True,
              gather_nonconformities),
    InputKind("monitoring", "(d)", "Monitoring and measurement results", "9.3.2 d", True, gather_monitoring),
    InputKind("audits", "(d)", "Audit results", "9.3.2 d", True, gather_audits),
    InputKind("opportunities", "(e)", "Opportunities for continual improvement", "9.3.2 e", True,
              gather_opportunities),
    InputKind("risks", "Risks", "Status of the risk register", "6.1.2, 8.2", False, gather_risks),
    InputKind("impact_assessments", "Impacts", "AI system impact assessments", "6.1.4, 8.4", False,
              gather_impact_assessments),
    InputKind("soa", "SoA", "Changes to the Statement of Applicability since its approval", "6.1.3", False,
              gather_soa),
    InputKind("incidents", "Incidents", "AI incidents and reports", "A.8.4", False, gather_incidents),
    InputKind("suppliers", "Suppliers", "Status of suppliers", "A.10", False, gather_suppliers),
    InputKind("policy", "Policy", "Review of the AI policy", "5.2", False, gather_policy),
    InputKind("resources", "Resources", "Adequacy of resources and competence", "7.1, 7.2", False,
              gather_resources),
)  # fmt: skip
KINDS = {kind.key: kind for kind in INPUT_KINDS}


def input_kind(key: str) -> InputKind | None:
    return KINDS.get(key)


def previous_review_day(review: ManagementReview) -> date | None:
    """The previous review's held date, or its planned date, or None for the first review."""
    earlier = (
        ManagementReview.objects.filter(management_system_id=review.management_system_id)
        .exclude(pk=review.pk)
        .filter(Q(planned_on__lt=review.planned_on) | Q(planned_on=review.planned_on, pk__lt=review.pk))
        .order_by("-planned_on", "-pk")
        .values_list("held_on", "planned_on")
        .first()
    )
    if earlier is None:
        return None
    return earlier[0] or earlier[1]


def gather_all(review: ManagementReview) -> tuple[date | None, dict[str, dict[str, Any]]]:
    """Gather every input of the review from the registers now: (since, {key: content})."""
    since = Since(review.management_system, review, previous_review_day(review))
    return since.day, {kind.key: kind.gather(since) for kind in INPUT_KINDS}
