"""Leadership's decision to report a possibly serious incident, or not, as a kind of sign-off (A.8.4).

The decision and its reason are recorded on the incident (``report_decision``,
``report_decision_reason``) in the same transaction as the signature, by
``services.incident_decide_reporting``; the sign-off binds the incident's version that
carries them. What is signed is the decision together with the facts it was taken on
(title, description, type, severity, harm, AI systems...): a later change of status,
triage or obligations does not make the decision "changed since signed", a change of those
facts or of the decision does.

Four eyes: whoever last changed those facts (not the leader recording the decision) does not
sign the decision on them alone; they record an override reason, shown with the sign-off.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.urls import reverse

from aims import ledger
from improvement.models import Incident

KIND = "incident_reporting_decision"
DECISION_FIELDS = ("report_decision", "report_decision_reason")
# The facts a decision is taken on: every editable field of the incident that is not a link.
FACT_FIELDS = tuple(
    Incident._meta.get_field(name).attname for name in Incident.editable_fields if name not in Incident.link_fields()
)


def _rows(incident: Incident) -> list[Any]:
    """The incident's history rows, newest first, each with the AI systems it linked (two queries)."""
    rows = list(incident.history.order_by("-history_date", "-history_id"))
    link_model = Incident.history.model.ai_systems.model  # the versioned links of the history rows
    linked: dict[int, list[int]] = defaultdict(list)
    for history_id, system_id in link_model._default_manager.filter(
        history_id__in=[row.history_id for row in rows]
    ).values_list("history_id", "aisystem_id"):
        linked[history_id].append(system_id)
    for row in rows:
        row.linked_systems = tuple(sorted(linked[row.history_id]))
    return rows


def _facts(row: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return (*(getattr(row, name) for name in names), row.linked_systems)


def decision_versions(incident: Incident) -> list[Any]:
    """The history row that stands for the decision and its facts as they are now.

    That is the oldest row of the newest run of rows in which neither the facts nor the
    decision changed: later rows only moved the status, the triage or the obligations.
    """
    rows = _rows(incident)
    if not rows:
        return []
    names = FACT_FIELDS + DECISION_FIELDS
    current = _facts(rows[0], names)
    standing = rows[0]
    for row in rows[1:]:
        if _facts(row, names) != current:
            break
        standing = row
    return [standing]


def facts_last_editor(incident: Incident) -> int | None:
    """Who last changed the facts the decision is taken on (the incident's author if nobody did since)."""
    rows = _rows(incident)
    for newer, older in zip(rows, rows[1:], strict=False):
        if _facts(newer, FACT_FIELDS) != _facts(older, FACT_FIELDS):
            return newer.history_user_id
    return rows[-1].history_user_id if rows else None


def decision_blockers(incident: Incident) -> list[str]:
    """What stops a reporting decision from being signed."""
    problems = []
    if not incident.possibly_serious:
        problems.append(
            "Only a possibly serious incident needs leadership's reporting decision: mark it possibly serious first."
        )
    if incident.is_retired:
        problems.append(f"{incident.reference} was withdrawn.")
    elif incident.status == Incident.Status.CLOSED:
        problems.append(f"{incident.reference} is closed.")
    return problems


def _detail_url(incident: Incident, signoff: Any = None) -> str:
    return reverse("improvement:incident_history", args=[incident.management_system_id, incident.pk])


def register() -> None:
    """Declare the reporting decision as a kind of sign-off (leadership: the SIGN_OFF action)."""
    ledger.register_signable(
        KIND,
        label="Reporting decision",
        subject_model=Incident,
        versions=decision_versions,
        blockers=decision_blockers,
        last_editor=facts_last_editor,
        diff_url=_detail_url,
        subject_url=lambda signoff: reverse(
            "improvement:incident_detail", args=[signoff.management_system_id, signoff.subject_id]
        ),
        verb="Decide",
        done_label="Decided",
        statement="I have reviewed this incident and take the reporting decision recorded with it.",
        rule=lambda incident: (
            "Leadership decides whether a possibly serious incident is reported to the authorities (A.8.4), "
            "and signs the decision with its reason."
        ),
    )


# --- for the pages: the decision form asks what the ledger would ---------------------------------


def may_decide(user: Any, incident: Incident) -> bool:
    return ledger.may_sign(KIND, user, incident)


def require_may_decide(user: Any, incident: Incident) -> None:
    """404 when the incident is invisible to the user, 403 unless they may sign the decision (leadership)."""
    ledger.require_may_sign(KIND, user, incident)


def signs_own_facts(user: Any, incident: Incident) -> bool:
    """Whether the user last changed the facts the decision is taken on (then they record an override)."""
    return ledger.signs_own_change(KIND, user, incident)


def needs_job_title(user: Any, incident: Incident) -> bool:
    return ledger.needs_job_title(user, incident.management_system)


def signable_statement() -> str:
    return ledger.signable(KIND).statement
