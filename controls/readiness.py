"""What the controls app contributes to the readiness checks (``aims.readiness``).

The Statement of Applicability (6.1.3): every control decided and justified, approved, unchanged
since; and, for each Annex A group (A.2 to A.10), its included controls owned and under way.
The SoA rows are read once for every check.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from aims import ledger
from aims.readiness import BLOCKER, STAGE2_RISK, Finding, ReadinessContext, register_readiness_check
from controls.catalog import ANNEX_A
from controls.models import Applicability
from controls.signoffs import SOA

Decision = Applicability.Decision
Status = Applicability.ImplementationStatus
GROUPS = ("A.2", "A.3", "A.4", "A.5", "A.6", "A.7", "A.8", "A.9", "A.10")


def soa_rows(ctx: ReadinessContext) -> list[Applicability]:
    """The SoA's Annex A rows in the catalogue's order, read once per evaluation."""
    return ctx.once(
        "controls.soa_rows",
        lambda c: list(
            Applicability.objects.filter(management_system_id=c.ms_id, control__framework__key=ANNEX_A)
            .select_related("control", "control__area")
            .order_by("control__position")
        ),
    )


def soa_url(ms_id: int) -> str:
    return reverse("controls:soa", args=[ms_id])


def row_url(row: Applicability) -> str:
    return reverse("controls:soa_row_edit", args=[row.management_system_id, row.pk])


def _keys(rows: list[Applicability], limit: int = 10) -> str:
    keys = [row.control.key for row in rows]
    return ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def check_soa(ctx: ReadinessContext) -> list[Finding]:
    rows = soa_rows(ctx)
    if not rows:
        return [Finding("The Statement of Applicability has no rows.")]
    undecided = [r for r in rows if not r.is_decided]
    unjustified = [r for r in rows if r.is_decided and not r.is_justified]
    findings = []
    if undecided:
        findings.append(
            Finding(f"{len(undecided)} control(s) not decided yet: {_keys(undecided)}.", row_url(undecided[0]))
        )
    if unjustified:
        findings.append(
            Finding(f"{len(unjustified)} decision(s) without a justification: {_keys(unjustified)}.",
                    row_url(unjustified[0]))
        )  # fmt: skip
    status = ledger.sign_off_status(SOA, ctx.management_system)
    if status.latest is None:
        findings.append(Finding("The Statement of Applicability has never been approved by top management."))
    elif status.changed_since:
        by_id = {row.pk: row for row in rows}
        changed = [by_id[c.object_id] for c in status.changed if c.object_id in by_id]
        findings.append(
            Finding(f"The SoA changed since its approval of {status.latest.signed_at:%d %b %Y}"
                    + (f" ({_keys(changed)})" if changed else "") + ": approve it again.", status.diff_url or "")
        )  # fmt: skip
    return findings


def group_check(group: str) -> Callable[[ReadinessContext], list[Finding]]:
    """The check of one Annex A group: its included controls have an owner and are planned or under way."""

    def check(ctx: ReadinessContext) -> list[Finding]:
        rows = [r for r in soa_rows(ctx) if r.control.area.key == group and r.applicable == Decision.INCLUDED]
        unowned = [r for r in rows if r.owner_id is None]
        not_started = [r for r in rows if r.implementation_status == Status.NOT_STARTED]
        findings = []
        if unowned:
            findings.append(Finding(f"Included controls without an owner: {_keys(unowned)}.", row_url(unowned[0])))
        if not_started:
            findings.append(Finding(f"Included controls not started: {_keys(not_started)}.", row_url(not_started[0])))
        return findings

    return check


def register() -> None:
    """Declare this app's readiness contributions (called from its AppConfig.ready())."""
    register_readiness_check(
        "soa-approved",
        clause="6.1.3",
        title="The Statement of Applicability is fully decided, justified, approved and unchanged since",
        severity=BLOCKER,
        check=check_soa,
        fix_url=soa_url,
        order=613,
    )
    for group in GROUPS:
        register_readiness_check(
            f"soa-{group}",
            clause=group,
            title=f"The included controls of {group} have an owner and are planned or implemented",
            severity=STAGE2_RISK,
            check=group_check(group),
            fix_url=soa_url,
            order=9000 + int(group.split(".")[1]) * 10,
        )
