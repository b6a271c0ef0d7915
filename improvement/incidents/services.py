"""Writes of AI incidents and concerns (A.3.3, A.8.3, A.8.4): record, timeline, triage, status, reporting.

Every change of an incident is one history version with the acting user and a reason
(``aims.services`` register writes). Its reporting obligations follow the rules file
(``rules.py``): they are recomputed whenever the incident is recorded or changed, in the same
transaction. The timeline is append-only: entries are added, never changed or deleted; the
register adds one itself for each step of the incident's handling (triage, status, decision,
obligations), so the timeline reads as the whole chronology.

Refusals are ``ValidationError`` with a readable message; nothing is saved on a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aims import access, ledger
from aims.models import ManagementSystem, SignOff
from aims.services import StaleVersionError, check_assignee, register_create, register_retire, register_update
from assessments.models import ImpactAssessment, Risk
from improvement.incidents import rules, signoffs
from improvement.models import Incident, Nonconformity, ReportingObligation, TimelineEntry
from improvement.nonconformities.services import nonconformity_create

Status = Incident.Status
Outcome = Incident.Outcome
# The steps of an incident's handling; reaching "triaged" is what triage does (incident_triage).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.REPORTED: (Status.TRIAGED,),
    Status.TRIAGED: (Status.RESOLVED,),
    Status.RESOLVED: (Status.CLOSED, Status.TRIAGED),
    Status.CLOSED: (),
}
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of the server's clock a reported moment may be


def _text(value: str | None) -> str:
    return (value or "").strip()


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _refuse_when_finished(incident: Incident, doing: str) -> None:
    if incident.is_retired:
        raise ValidationError(f"{incident.reference} was withdrawn ({incident.retired_reason}): it cannot be {doing}.")
    if incident.status == Status.CLOSED:
        raise ValidationError(f"{incident.reference} is closed: it cannot be {doing}.")


def _check_moments(fields: dict[str, Any]) -> None:
    now = timezone.now() + CLOCK_SKEW
    errors = {}
    for name in ("occurred_at", "detected_at"):
        if fields.get(name) and fields[name] > now:
            errors[name] = "This moment is in the future."
    occurred, detected = fields.get("occurred_at"), fields.get("detected_at")
    if occurred and detected and occurred > detected:
        errors["occurred_at"] = "It cannot have occurred after it was detected."
    if errors:
        raise ValidationError(errors)


def _check_links(management_system: ManagementSystem, fields: dict[str, Any]) -> None:
    record = fields.get("model_record")
    if record is not None and record.management_system_id != management_system.pk:
        raise ValidationError({"model_record": f"{record} belongs to another management system."})


# --- timeline -----------------------------------------------------------------------------------


def _log(incident: Incident, user: AbstractBaseUser | None, text: str, *, at: datetime | None = None) -> TimelineEntry:
    """Append an entry the register writes itself (automatic), as the acting user."""
    return TimelineEntry.objects.create(
        incident=incident, author=user, text=text, at=at or timezone.now(), automatic=True
    )


def timeline_append(
    incident: Incident, *, user: AbstractBaseUser | None, text: str, at: datetime | None = None
) -> TimelineEntry:
    """Add an entry to the incident's timeline; entries are never changed or deleted."""
    text = _text(text)
    if not text:
        raise ValidationError({"text": "Write what happened."})
    if at is not None and at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"at": "An entry records what has happened: this moment is in the future."})
    if incident.is_retired:
        raise ValidationError(f"{incident.reference} was withdrawn: its timeline is closed.")
    entry = TimelineEntry(incident=incident, author=user, text=text, at=at or timezone.now())
    entry.full_clean()
    entry.save()
    return entry


# --- reporting obligations ----------------------------------------------------------------------


def _save_obligation(obligation: ReportingObligation, user: AbstractBaseUser | None, reason: str) -> None:
    obligation._history_user = user
    obligation._change_reason = reason[:100]
    obligation.full_clean()
    obligation.save()


def _sync_obligations(incident: Incident, user: AbstractBaseUser | None, reason: str) -> None:
    """Bring the incident's obligations in line with the rules file.

    A regime that applies gets its obligation (or, while unsettled, its deadline moved); an
    unsettled obligation of a regime that no longer applies is removed, with who and why in its
    history. Settled ones (submitted or waived) stay as they are.
    """
    due = {d.regime.key: d for d in rules.obligations_due(incident, incident.ai_systems.all())}
    existing = {o.regime: o for o in incident.obligations.all()}
    for key, item in due.items():
        obligation = existing.get(key) or ReportingObligation(incident=incident, regime=key)
        if obligation.pk and obligation.is_settled:
            continue
        values = {
            "regime_title": item.regime.title,
            "legal_reference": item.regime.legal_reference,
            "authority": item.regime.authority[:200],
            "deadline": item.deadline,
            "deadline_basis": item.basis[:300],
        }
        if obligation.pk and all(getattr(obligation, k) == v for k, v in values.items()):
            continue
        for name, value in values.items():
            setattr(obligation, name, value)
        if obligation.pk:
            obligation.version += 1
        _save_obligation(obligation, user, f"Deadline recomputed: {reason}" if obligation.pk else f"Applies: {reason}")
        if not existing.get(key):
            _log(incident, user, f"Reporting obligation: {item.regime.title}, due {_when(item.deadline)}.")
    for key, obligation in existing.items():
        if key not in due and not obligation.is_settled:
            obligation._history_user = user
            obligation._change_reason = f"No longer applies: {reason}"[:100]
            obligation.delete()
            _log(incident, user, f"Reporting obligation no longer applies: {obligation.regime_title}.")


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


def obligation_settle(
    obligation: ReportingObligation,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    submitted_on: datetime | None = None,
    submission_reference: str = "",
    waived_reason: str = "",
) -> ReportingObligation:
    """Record that an obligation was met (submitted on, with the authority's reference) or waived with a reason."""
    submission_reference, waived_reason = _text(submission_reference), _text(waived_reason)
    with transaction.atomic():
        current = (
            ReportingObligation.objects.select_for_update(of=("self",)).select_related("incident").get(pk=obligation.pk)
        )
        if expected_version is not None and int(expected_version) != current.version:
            raise StaleVersionError(current, expected_version)
        incident = current.incident
        _refuse_when_finished(incident, "changed")
        _check_settlement(incident, submitted_on, submission_reference, waived_reason)
        current.submitted_on = submitted_on
        current.submission_reference = submission_reference
        current.waived_reason = waived_reason
        current.version += 1
        if submitted_on:
            what = f"submitted on {_when(submitted_on)} (reference {submission_reference})"
        elif waived_reason:
            what = f"waived: {_one_line(waived_reason)}"
        else:
            what = "reopened: neither submitted nor waived"
        _save_obligation(current, user, what)
        _log(incident, user, f"Reporting obligation {current.regime_title}: {what}.")
    return current


def _check_settlement(incident: Incident, submitted_on: datetime | None, reference: str, waived: str) -> None:
    if submitted_on and waived:
        raise ValidationError("An obligation is either submitted or waived, not both: clear one of them.")
    if submitted_on and not reference:
        raise ValidationError({"submission_reference": "Give the reference the authority gave the report."})
    if reference and not submitted_on:
        raise ValidationError({"submitted_on": "Give the moment the report was submitted."})
    if submitted_on and submitted_on > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"submitted_on": "This moment is in the future."})
    if submitted_on and submitted_on < incident.detected_at - CLOCK_SKEW:
        raise ValidationError({"submitted_on": "A report cannot have been submitted before the incident was detected."})


# --- the record ------------------------------------------------------------------------------------


def _sync_owner_grant(incident: Incident, previous_owner: AbstractBaseUser | None) -> None:
    """The incident's owner may edit their incident; a previous owner loses that grant."""
    if previous_owner is not None and previous_owner != incident.owner:
        access.revoke_object_edit(previous_owner, incident)
    if incident.owner is not None:
        access.grant_object_edit(incident.owner, incident)


def _split(fields: dict[str, Any]) -> dict[str, list[Any]] | None:
    links = {name: list(fields.pop(name)) for name in Incident.link_fields() if name in fields}
    return links or None


def incident_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    reporter: AbstractBaseUser | None = None,
    anonymous: bool = False,
    **fields: Any,
) -> Incident:
    """Record an incident (state reported) with its reporting obligations; ``user`` is recorded in history.

    ``reporter`` defaults to ``user``; an ``anonymous`` incident has neither (see ``concern_raise``).
    """
    fields.setdefault("detected_at", timezone.now())
    _check_moments(fields)
    _check_links(management_system, fields)
    with transaction.atomic():
        check_assignee(management_system, fields.get("owner"))
        incident = register_create(
            Incident,
            management_system=management_system,
            user=user,
            reason=reason,
            m2m=_split(fields),
            reporter=None if anonymous else (reporter or user),
            anonymous=anonymous,
            **fields,
        )
        channel = incident.get_channel_display().lower()
        _log(incident, user, f"Recorded ({channel}).", at=incident.detected_at)
        _sync_obligations(incident, user, reason)
        _sync_owner_grant(incident, None)
    return incident


def incident_update(
    incident: Incident,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> Incident:
    """Change what is known of an incident; its reporting obligations are recomputed."""
    _refuse_when_finished(incident, "edited")
    with transaction.atomic():
        if "owner" in fields:
            check_assignee(incident.management_system, fields["owner"])
        _check_links(incident.management_system, fields)
        moments = {name: fields.get(name, getattr(incident, name)) for name in ("occurred_at", "detected_at")}
        _check_moments(moments)
        previous_owner = incident.owner
        updated = register_update(
            incident, user=user, expected_version=expected_version, reason=reason, m2m=_split(fields), **fields
        )
        _sync_obligations(updated, user, reason)
        if "owner" in fields:
            _sync_owner_grant(updated, previous_owner)
    return updated


def incident_withdraw(
    incident: Incident, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> Incident:
    """Withdraw an incident recorded in error (a duplicate, say) with a reason: it stays readable with its history."""
    with transaction.atomic():
        withdrawn = register_retire(incident, user=user, expected_version=expected_version, reason=reason)
        _log(withdrawn, user, f"Withdrawn: {_one_line(reason)}")
    return withdrawn


# --- concerns (A.3.3) -----------------------------------------------------------------------------


def concern_raise(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser,
    title: str,
    description: str,
    ai_systems: Iterable[Any] = (),
    occurred_at: datetime | None = None,
    anonymous: bool = False,
) -> Incident:
    """Record a member's concern as an incident in state "reported" with channel "staff concern".

    An anonymous concern names nobody: no reporter on the incident, and no user on its
    history rows, its obligations' history or its first timeline entry, so that the register
    itself cannot tell who raised it. (The web server's access log and a token's last use are
    outside the register; the concern form says so.)
    """
    actor = None if anonymous else user
    return incident_create(
        management_system=management_system,
        user=actor,
        reason="Concern raised anonymously" if anonymous else "Concern raised",
        reporter=actor,
        anonymous=anonymous,
        title=title,
        description=description,
        ai_systems=list(ai_systems),
        occurred_at=occurred_at,
        channel=Incident.Channel.STAFF_CONCERN,
    )


# --- triage ----------------------------------------------------------------------------------------


def incident_triage(
    incident: Incident,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    outcome: str,
    reason: str,
    risk: Risk | None = None,
    impact_assessment: ImpactAssessment | None = None,
    requirements: Iterable[Any] = (),
    nc_title: str = "",
    nc_grade: str = Nonconformity.Grade.MINOR,
) -> Incident:
    """Link the incident to its outcome: a nonconformity raised (here, in the same transaction), a risk
    raised or updated, an impact assessment marked for re-assessment, or none; a reported incident
    becomes triaged."""
    reason = _text(reason)
    _refuse_when_finished(incident, "triaged")
    if outcome not in Outcome.values or outcome == Outcome.PENDING:
        raise ValidationError({"outcome": "Choose the outcome of the triage."})
    if not reason:
        raise ValidationError({"reason": "Say why this is the outcome (kept with the incident and in its history)."})
    with transaction.atomic():
        if expected_version is not None and int(expected_version) != incident.version:
            raise StaleVersionError(incident, expected_version)
        links = _outcome_links(incident, outcome, risk, impact_assessment)
        note = Outcome(outcome).label
        if outcome == Outcome.NONCONFORMITY:
            nc = _raise_nonconformity(incident, user, reason, requirements, nc_title, nc_grade)
            note = f"{note}: {nc.reference}"
        elif links["outcome_risk"] is not None:
            note = f"{note}: {links['outcome_risk'].reference}"
        elif links["outcome_impact_assessment"] is not None:
            note = f"{note}: {links['outcome_impact_assessment'].reference}"
        status = Status.TRIAGED if incident.status == Status.REPORTED else incident.status
        updated = register_update(
            incident,
            user=user,
            expected_version=expected_version,
            reason=f"Triaged: {note}",
            outcome=outcome,
            outcome_reason=reason,
            status=status,
            **links,
        )
        _log(updated, user, f"Triaged. {note}. {reason}")
    return updated


def _outcome_links(incident: Incident, outcome: str, risk: Risk | None, assessment: ImpactAssessment | None) -> dict:
    links = {"outcome_risk": None, "outcome_impact_assessment": None}
    if outcome == Outcome.RISK:
        if risk is None:
            raise ValidationError({"risk": "Choose the risk the incident raised or updated (record a new one first)."})
        _same_system(incident, risk, "risk")
        links["outcome_risk"] = risk
    elif outcome == Outcome.REASSESSMENT:
        if assessment is None:
            raise ValidationError({"impact_assessment": "Choose the impact assessment to re-assess."})
        _same_system(incident, assessment, "impact_assessment")
        links["outcome_impact_assessment"] = assessment
    return links


def _same_system(incident: Incident, record: Any, field: str) -> None:
    if record.management_system_id != incident.management_system_id:
        raise ValidationError({field: f"{record.reference} belongs to another management system."})
    if getattr(record, "is_retired", False):
        raise ValidationError({field: f"{record.reference} was withdrawn: choose a current one."})


def _raise_nonconformity(
    incident: Incident, user: AbstractBaseUser | None, reason: str, requirements: Iterable[Any], title: str, grade: str
) -> Nonconformity:
    return nonconformity_create(
        management_system=incident.management_system,
        user=user,
        reason=f"Raised from incident {incident.reference}",
        title=(_text(title) or f"{incident.reference}: {incident.title}")[:200],
        source=Nonconformity.Source.INCIDENT,
        source_incident=incident,
        source_detail=f"Incident {incident.reference}: {_one_line(reason)}"[:300],
        grade=grade,
        requirements=list(requirements),
        ai_systems=list(incident.ai_systems.all()),
    )


# --- status ----------------------------------------------------------------------------------------


def close_blockers(incident: Incident) -> list[str]:
    """What stops an incident from being closed: no triage, an unsettled obligation, no reporting decision."""
    problems = []
    if not incident.outcome:
        problems.append("Triage it first: link it to its outcome (a nonconformity, a risk, a re-assessment or none).")
    for obligation in incident.obligations.all():
        if not obligation.is_settled:
            problems.append(
                f"{obligation.regime_title}: record its submission (date and reference) or waive it with a reason."
            )
    if incident.possibly_serious and not incident.report_decision:
        problems.append("It may be serious: leadership signs the decision to report it or not first.")
    return problems


def allowed_transitions(incident: Incident) -> tuple[str, ...]:
    """The statuses the incident may move to by a transition (triage moves it to triaged)."""
    if incident.is_retired:
        return ()
    return tuple(to for to in TRANSITIONS[incident.status] if to != Status.TRIAGED or incident.outcome)


def incident_transition(
    incident: Incident, *, user: AbstractBaseUser | None, expected_version: int | None, to: str, reason: str
) -> Incident:
    """Move an incident along reported, triaged, resolved, closed (or back from resolved to triaged), with a reason."""
    reason = _text(reason)
    if to not in Status.values:
        raise ValidationError({"to": f"Unknown status {to!r}: one of {', '.join(Status.values)}."})
    if not reason:
        raise ValidationError({"reason": "Say why (kept in the incident's history)."})
    if incident.is_retired:
        raise ValidationError(f"{incident.reference} was withdrawn: its status cannot change.")
    if to == Status.TRIAGED and incident.status == Status.REPORTED:
        raise ValidationError({"to": "Triage the incident to move it to triaged: record its outcome."})
    if to not in TRANSITIONS[incident.status]:
        raise ValidationError(
            {"to": f"{incident.reference} is {incident.get_status_display().lower()}: it cannot move to {to}."}
        )
    with transaction.atomic():
        current = Incident.objects.select_for_update().get(pk=incident.pk)
        if expected_version is not None and int(expected_version) != current.version:
            raise StaleVersionError(current, expected_version)
        if to == Status.CLOSED:
            problems = close_blockers(current)
            if problems:
                raise ValidationError(problems)
        label = Status(to).label
        updated = register_update(
            current,
            user=user,
            expected_version=expected_version,
            reason=f"{label}: {reason}",
            status=to,
            closed_at=timezone.now() if to == Status.CLOSED else None,
        )
        _log(updated, user, f"Status {Status(incident.status).label.lower()} → {label.lower()}: {reason}")
    return updated


# --- leadership's reporting decision -----------------------------------------------------------


def incident_decide_reporting(
    incident: Incident,
    *,
    user: AbstractBaseUser,
    expected_version: int | None,
    decision: str,
    reason: str,
    statement: str,
    verification: str | Callable[[], str],
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Record leadership's decision to report the incident or not, with its reason, and sign it.

    One transaction: the decision is a new version of the incident, a "do not report" waives
    the obligations still open with the decision's reason, and the sign-off binds that version;
    if signing is refused (four eyes, second factor), nothing is recorded.
    """
    ledger.require_may_sign(signoffs.KIND, user, incident)  # 404 or 403 before anything is judged
    reason = _text(reason)
    choices = dict(Incident._meta.get_field("report_decision").choices)
    if decision not in choices:
        raise ValidationError({"decision": "Choose whether the incident is reported."})
    if not reason:
        raise ValidationError({"reason": "Give the reason for the decision: it is signed with it."})
    blockers = signoffs.decision_blockers(incident)
    if blockers:
        raise ValidationError(blockers)
    with transaction.atomic():
        decided = register_update(
            incident,
            user=user,
            expected_version=expected_version,
            reason=f"Reporting decision: {choices[decision].lower()}",
            report_decision=decision,
            report_decision_reason=reason,
        )
        if decision == "do_not_report":
            for obligation in decided.obligations.filter(submitted_on__isnull=True, waived_reason=""):
                obligation.waived_reason = f"Leadership decided not to report: {reason}"
                obligation.version += 1
                _save_obligation(obligation, user, "Waived by the reporting decision")
        _log(decided, user, f"Reporting decision: {choices[decision].lower()}. {reason}")
        return ledger.sign_off(
            kind=signoffs.KIND,
            subject=decided,
            user=user,
            statement=statement,
            verification=verification,
            override_reason=override_reason,
            job_title=job_title,
        )
