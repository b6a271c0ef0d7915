"""Readiness checks: "are we ready for the certification audit, and if not, what is missing?"

A registry that every app contributes to from its ``AppConfig.ready()`` (like sign-off kinds
and pack sections)::

    from aims.readiness import BLOCKER, Finding, register_readiness_check

    register_readiness_check(
        "scope-approved",
        clause="4.3",
        title="The AIMS scope is approved and unchanged since",
        severity=BLOCKER,
        check=check_scope_approved,       # (ctx: ReadinessContext) -> list[Finding]; [] means it passes
        fix_url=lambda ms_id: reverse("governance:scope", args=[ms_id]),
        order=430,
    )

A check reads the registers of ``ctx.management_system`` as they are now and answers the
findings that make it fail, each a sentence a compliance officer understands (and, when one
record is at fault, the link to that record). Reads that several checks share go through
``ctx.once(key, loader)`` so that evaluating every check costs a fixed number of queries,
whatever the size of the registers. ``evaluate(management_system)`` runs them all.

Severity: a **Stage 1 blocker** stops the verdict "ready for Stage 1"; a **Stage 2 risk** is
something the Stage 2 auditor will likely raise; **advice** is good practice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from aims.models import SignOff

BLOCKER = "stage1_blocker"
STAGE2_RISK = "stage2_risk"
ADVICE = "advice"
SEVERITIES = {BLOCKER: "Stage 1 blocker", STAGE2_RISK: "Stage 2 risk", ADVICE: "Advice"}


@dataclass(frozen=True)
class Finding:
    """Why a check fails, in words; ``fix_url`` points at the record at fault when there is one."""

    message: str
    fix_url: str = ""


@dataclass
class ReadinessContext:
    """What a check reads: the management system, the moment, and reads shared between checks."""

    management_system: Any
    now: datetime
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def ms_id(self) -> int:
        return self.management_system.pk

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    def once(self, key: str, loader: Callable[[ReadinessContext], Any]) -> Any:
        """Read something several checks need only once: the loader's result is kept under ``key``."""
        if key not in self.cache:
            self.cache[key] = loader(self)
        return self.cache[key]


@dataclass(frozen=True)
class ReadinessCheck:
    """One check: its identifier, the clause or Annex A control it evidences, how bad a failure is."""

    id: str
    clause: str  # "4.3", "9.2" or an Annex A control or group such as "A.6.2.4" / "A.5"
    title: str  # what passing means, e.g. "The AIMS scope is approved and unchanged since"
    severity: str
    check: Callable[[ReadinessContext], list[Finding]]
    fix_url: Callable[[int], str]  # (management system id) -> the page where it is fixed
    order: int = 1000

    @property
    def group(self) -> str:
        """The row of the readiness page: the clause (``9.2``) or the Annex A group (``A.6``)."""
        return ".".join(self.clause.split(".")[:2])


@dataclass
class CheckResult:
    check: ReadinessCheck
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def id(self) -> str:
        return self.check.id

    @property
    def severity(self) -> str:
        return self.check.severity

    @property
    def severity_label(self) -> str:
        return SEVERITIES[self.check.severity]

    @property
    def message(self) -> str:
        """The check in words when it passes, its findings when it fails."""
        if self.ok:
            return self.check.title
        return " ".join(f.message for f in self.findings)

    @property
    def fix_url(self) -> str:
        """The record at fault when a finding names one, else the page where the check is fixed."""
        for finding in self.findings:
            if finding.fix_url:
                return finding.fix_url
        return self.check_url

    @property
    def check_url(self) -> str:
        """The page where the check is fixed (the register it reads)."""
        return self.check.fix_url(self.check_ms_id)

    check_ms_id: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The result as the API and the snapshots give it."""
        return {
            "id": self.id,
            "clause": self.check.clause,
            "title": self.check.title,
            "severity": self.severity,
            "ok": self.ok,
            "message": self.message,
            "fix_url": self.fix_url,
            "findings": [{"message": f.message, "fix_url": f.fix_url} for f in self.findings],
        }


@dataclass
class ClauseRow:
    """One row of the readiness page: a clause or Annex A group and its checks' results."""

    clause: str
    results: list[CheckResult]

    @property
    def status(self) -> str:
        """``blocked``, ``at_risk``, ``advice``, ``ok``, or ``no_checks``."""
        if not self.results:
            return "no_checks"
        failing = {r.severity for r in self.results if not r.ok}
        if BLOCKER in failing:
            return "blocked"
        if STAGE2_RISK in failing:
            return "at_risk"
        if ADVICE in failing:
            return "advice"
        return "ok"

    @property
    def failing(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok]


@dataclass
class Readiness:
    management_system: Any
    evaluated_at: datetime
    rows: list[ClauseRow]

    @property
    def results(self) -> list[CheckResult]:
        return [r for row in self.rows for r in row.results]

    @property
    def ready(self) -> bool:
        """Ready for Stage 1: no failing blocker."""
        return not any(not r.ok and r.severity == BLOCKER for r in self.results)

    @property
    def blockers(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok and r.severity == BLOCKER]

    def as_dict(self) -> dict[str, Any]:
        """The verdict and every row's checks, as the API answers and a snapshot stores them."""
        return {
            "ready": self.ready,
            "evaluated_at": self.evaluated_at.isoformat(),
            "counts": self.counts(),
            "clauses": [
                {"clause": row.clause, "status": row.status, "checks": [r.as_dict() for r in row.results]}
                for row in self.rows
            ],
        }

    def counts(self) -> dict[str, int]:
        results = self.results
        return {
            "passing": sum(1 for r in results if r.ok),
            "blockers": sum(1 for r in results if not r.ok and r.severity == BLOCKER),
            "stage2_risks": sum(1 for r in results if not r.ok and r.severity == STAGE2_RISK),
            "advice": sum(1 for r in results if not r.ok and r.severity == ADVICE),
        }


_CHECKS: dict[str, ReadinessCheck] = {}


def register_readiness_check(
    id: str,
    *,
    clause: str,
    title: str,
    severity: str,
    check: Callable[[ReadinessContext], list[Finding]],
    fix_url: Callable[[int], str],
    order: int = 1000,
) -> ReadinessCheck:
    """Declare a readiness check (registering an identifier again replaces it)."""
    if severity not in SEVERITIES:
        raise ValueError(f"Unknown severity {severity!r} for readiness check {id!r}")
    spec = ReadinessCheck(id, clause, title, severity, check, fix_url, order)
    _CHECKS[id] = spec
    return spec


def readiness_checks() -> list[ReadinessCheck]:
    """Every registered check, in order."""
    return sorted(_CHECKS.values(), key=lambda c: (c.order, c.id))


def _group_key(group: str) -> tuple[int, tuple[int, ...]]:
    annex = group.startswith("A.")
    numbers = tuple(int(p) for p in group.removeprefix("A.").split(".") if p.isdigit())
    return (1 if annex else 0, numbers)


def sign_offs(ctx: ReadinessContext) -> list[SignOff]:
    """Every sign-off of the management system in chain order, read once per evaluation."""
    return ctx.once(
        "aims.signoffs",
        lambda c: list(SignOff.objects.filter(management_system_id=c.ms_id).order_by("sequence")),
    )


def latest_sign_offs(ctx: ReadinessContext, kind: str) -> dict[int, SignOff]:
    """The latest sign-off of each subject of one kind, by subject id."""
    latest: dict[int, SignOff] = {}
    for signoff in sign_offs(ctx):
        if signoff.kind == kind:
            latest[signoff.subject_id] = signoff
    return latest


def references(records: Any, limit: int = 8) -> str:
    """Name records by reference in a sentence: "RISK-001, RISK-004 and 3 more"."""
    names = [getattr(r, "reference", None) or str(r) for r in records]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0] if names else ""


def evaluate(management_system: Any, *, now: datetime | None = None) -> Readiness:
    """Run every check against the management system's registers; rows by clause, then Annex A group."""
    ctx = ReadinessContext(management_system=management_system, now=now or timezone.now())
    rows: dict[str, ClauseRow] = {}
    for spec in readiness_checks():
        result = CheckResult(spec, list(spec.check(ctx)), check_ms_id=ctx.ms_id)
        rows.setdefault(spec.group, ClauseRow(spec.group, [])).results.append(result)
    ordered = [rows[key] for key in sorted(rows, key=_group_key)]
    return Readiness(management_system=management_system, evaluated_at=ctx.now, rows=ordered)
