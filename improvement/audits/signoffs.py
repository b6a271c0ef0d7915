"""The audit programme's approval, the audit report's signature and its acknowledgement as kinds of sign-off.

What is signed is the record's content: the programme with its planned items, the audit with
its checks and findings. A workflow transition (approved, active, reported, closed) is a
history version of its own that changes the status only; it is not part of what was signed,
so moving a record along its states never shows it "changed since signed", while any edit of
its content does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models
from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from aims.models import SignOff
from improvement.audits import rules
from improvement.coverage import quarters_between
from improvement.models import AuditCheck, AuditProgramme, Finding, InternalAudit, ProgrammeItem

PROGRAMME_APPROVAL = "audit_programme_approval"
REPORT = "audit_report"
REPORT_ACKNOWLEDGEMENT = "audit_report_acknowledgement"


# --- what is signed -----------------------------------------------------------------------------


def _content_index(rows: list[Any]) -> int:
    """Index of the newest content version in rows ordered oldest first (a transition changes the status only)."""
    for index in range(len(rows) - 1, 0, -1):
        if rows[index].status == rows[index - 1].status:
            return index
    return 0


def content_row(obj: AuditProgramme | InternalAudit) -> Any:
    """The record's newest history row that is not a workflow transition: the content a signature covers."""
    rows = list(obj.history.order_by("history_id"))
    return rows[_content_index(rows)] if rows else None


def content_versions(model: type[models.Model], ids: list[int]) -> dict[int, int]:
    """The version number of each record's content (transitions left out), by record id (one query)."""
    by_record: dict[int, list[Any]] = defaultdict(list)
    for row in model.history.filter(id__in=ids).order_by("id", "history_id").only("id", "version", "status"):
        by_record[row.id].append(row)
    return {pk: rows[_content_index(rows)].version for pk, rows in by_record.items()}


def _latest_rows(model: type[models.Model], ids: list[int]) -> list[Any]:
    """The latest history row of each of the records (one query)."""
    latest: dict[int, Any] = {}
    for row in model.history.filter(id__in=ids).order_by("id", "history_id"):
        latest[row.id] = row
    return list(latest.values())


def programme_versions(programme: AuditProgramme) -> list[Any]:
    """The programme's content and its planned items, as they stand."""
    row = content_row(programme)
    items = _latest_rows(ProgrammeItem, list(programme.items.values_list("pk", flat=True)))
    return [r for r in [row, *items] if r is not None]


def report_versions(audit: InternalAudit) -> list[Any]:
    """The audit's content with its checks and findings, as they stand: the report."""
    row = content_row(audit)
    checks = _latest_rows(AuditCheck, list(audit.checks.values_list("pk", flat=True)))
    findings = _latest_rows(Finding, list(audit.findings.values_list("pk", flat=True)))
    return [r for r in [row, *checks, *findings] if r is not None]


def annotate_signed(records: list[Any], kind: str) -> list[Any]:
    """``ledger.annotate_sign_offs`` with "changed since signed" judged on content, not on transitions."""
    records = ledger.annotate_sign_offs(list(records), kind)
    if not records:
        return records
    content = content_versions(type(records[0]), [record.pk for record in records])
    for record in records:
        current = content.get(record.pk, record.version)
        record.changed_since_signed = record.latest_sign_off is not None and record.signed_version != current
    return records


def is_signed_as_it_stands(kind: str, subject: Any) -> bool:
    """Whether the subject has a sign-off of this kind and its content did not change since."""
    status = ledger.sign_off_status(kind, subject)
    return status.latest is not None and not status.changed_since


# --- the programme's approval (9.2.2) -------------------------------------------------------------


def programme_blockers(programme: AuditProgramme) -> list[str]:
    """What stops leadership from approving the programme."""
    missing = []
    if programme.is_retired:
        missing.append(f"{programme.reference} is retired.")
    if programme.status == AuditProgramme.Status.CLOSED:
        missing.append(f"{programme.reference} is closed.")
    if not (programme.period_start and programme.period_end):
        missing.append("Set the cycle's period: when it starts and when it ends.")
    if not programme.objectives.strip():
        missing.append("State the programme's objectives.")
    if programme.owner_id is None:
        missing.append("Name the programme's owner.")
    items = list(programme.items.all())
    if not items:
        missing.append("Plan at least one audit: a clause, control, AI system or process in a quarter.")
    elif programme.period_start and programme.period_end:
        quarters = set(quarters_between(programme.period_start, programme.period_end))
        outside = sorted({item.planned_quarter for item in items if item.planned_quarter not in quarters})
        if outside:
            missing.append(f"Planned quarters outside the cycle: {', '.join(outside)}. Move them into the cycle.")
    return missing


# --- the audit report (9.2.2 e) and its acknowledgement -----------------------------------------------


def report_blockers(audit: InternalAudit) -> list[str]:
    """What stops the lead auditor from signing the report."""
    missing = []
    if audit.is_retired:
        missing.append(f"{audit.reference} is withdrawn.")
    if audit.status == InternalAudit.Status.PLANNED:
        missing.append("Start the audit first: it is still planned.")
    if not audit.has_lead:
        missing.append("Name the lead auditor.")
    scope = set(audit.scope_requirements.values_list("pk", flat=True))
    if not scope:
        missing.append("Put at least one clause or control in the audit's scope.")
    pending = [
        c.requirement.key
        for c in audit.checks.select_related("requirement")
        if c.requirement_id in scope and not c.result
    ]
    if pending:
        missing.append(f"Record a result for every check in scope; none yet for {', '.join(pending)}.")
    if not audit.conclusion.strip():
        missing.append("Write the audit's conclusion.")
    return missing


def report_refusal(audit: InternalAudit) -> str:
    if audit.lead_is_external:
        return (
            f"The report of {audit.reference} is signed on behalf of the external lead auditor "
            f"({audit.lead_display}) by a member of the audit team."
        )
    if audit.lead_auditor_id:
        return f"Only the lead auditor of {audit.reference} ({audit.lead_display}) signs its report."
    return f"{audit.reference} has no lead auditor yet: name one, who then signs the report."


def report_rule(audit: InternalAudit) -> str:
    if audit.lead_is_external:
        return (
            f"The lead auditor is external ({audit.lead_display}): a member of the audit team signs the report on "
            "their behalf. Once signed, the audit is reported."
        )
    return (
        "The lead auditor signs the report once every check in scope has a result. Once signed, the audit is reported."
    )


def acknowledgement_blockers(audit: InternalAudit) -> list[str]:
    """What stops leadership or the programme's owner from acknowledging the report."""
    status = ledger.sign_off_status(REPORT, audit)
    if status.latest is None:
        return ["The lead auditor signs the report first."]
    if status.changed_since:
        return ["The report changed since it was signed: the lead auditor signs it again first."]
    return []


def report_signer(audit: InternalAudit) -> int | None:
    """Who signed the report: acknowledging one's own report needs a second person (or a recorded reason)."""
    latest = ledger.sign_offs_of(REPORT, audit).first()
    return latest.signer_id if latest else None


def _audit_url(audit: Any, signoff: SignOff) -> str:
    return reverse("improvement:audit_history", args=[audit.management_system_id, audit.pk])


def register() -> None:
    """Declare the programme's approval, the report's signature and its acknowledgement."""
    ledger.register_signable(
        PROGRAMME_APPROVAL,
        label="Audit programme approval",
        subject_model=AuditProgramme,
        versions=programme_versions,
        may_sign=lambda user, programme: access.can(user, Action.SIGN_OFF, programme),
        blockers=programme_blockers,
        diff_url=lambda programme, signoff: reverse(
            "improvement:programme_history", args=[programme.management_system_id, programme.pk]
        ),
        subject_url=lambda signoff: reverse(
            "improvement:programme_detail", args=[signoff.management_system_id, signoff.subject_id]
        ),
        statement="I approve this internal audit programme: its scope, frequency, methods and planned audits.",
        rule=lambda programme: "Leadership approves the audit programme (9.2.2); approving it makes it approved.",
    )
    ledger.register_signable(
        REPORT,
        label="Audit report",
        subject_model=InternalAudit,
        versions=report_versions,
        may_sign=rules.may_sign_report,
        blockers=report_blockers,
        diff_url=_audit_url,
        subject_url=lambda signoff: reverse(
            "improvement:audit_detail", args=[signoff.management_system_id, signoff.subject_id]
        ),
        refusal=report_refusal,
        verb="Sign",
        done_label="Signed",
        statement="I report the results of this audit: its checks, findings and conclusion, as shown.",
        rule=report_rule,
        # The lead auditor writes the report and signs it: there is no second person to wait for.
        last_editor=lambda audit: None,
    )
    ledger.register_signable(
        REPORT_ACKNOWLEDGEMENT,
        label="Report acknowledgement",
        subject_model=InternalAudit,
        versions=report_versions,
        may_sign=rules.may_acknowledge_report,
        blockers=acknowledgement_blockers,
        diff_url=_audit_url,
        subject_url=lambda signoff: reverse(
            "improvement:audit_detail", args=[signoff.management_system_id, signoff.subject_id]
        ),
        refusal=lambda audit: "Leadership or the programme's owner acknowledges the report.",
        verb="Acknowledge",
        done_label="Acknowledged",
        statement="I have read this audit report and take note of its findings; the audit is closed.",
        rule=lambda audit: (
            "Leadership or the programme's owner acknowledges the signed report (9.2.2 e); the audit is then closed."
        ),
        last_editor=report_signer,
    )
