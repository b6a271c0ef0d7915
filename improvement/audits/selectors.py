"""Reads of the audit programme, internal audits, their checks and findings; selectors own the joins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet

from aims import access
from aims.models import ManagementSystem
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from improvement.audits import independence
from improvement.coverage import Coverage, coverage_matrix
from improvement.models import AuditCheck, AuditProgramme, Finding, InternalAudit, ProgrammeItem
from registers.models import AISystem

AUDITED = (InternalAudit.Status.REPORTED, InternalAudit.Status.CLOSED)


def requirements() -> QuerySet[Control]:
    """The clauses 4 to 10, then the Annex A controls: what audits, findings and plans refer to."""
    return (
        Control.objects.filter(framework__key__in=[CLAUSES, ANNEX_A])
        .select_related("framework", "area")
        .order_by("-framework__key", "position")
    )


def grouped_requirement_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Requirement choices grouped by catalogue, for pickers (one query)."""
    groups: dict[str, list[tuple[int, str]]] = {"Clauses 4 to 10": [], "Annex A controls": []}
    for control in requirements():
        label = "Clauses 4 to 10" if control.framework.key == CLAUSES else "Annex A controls"
        groups[label].append((control.pk, f"{control.key} {control.title}"))
    return list(groups.items())


def ai_systems(management_system: ManagementSystem) -> QuerySet[AISystem]:
    return AISystem.objects.filter(management_system=management_system).order_by("reference")


# --- programmes ---------------------------------------------------------------------------------


def programme_queryset(*, user: AbstractBaseUser) -> QuerySet[AuditProgramme]:
    """Programmes the user may read, with their planned items and what the pages show."""
    items = ProgrammeItem.objects.select_related("requirement", "ai_system")
    return access.scope(user, AuditProgramme.objects.select_related("owner", "management_system")).prefetch_related(
        Prefetch("items", queryset=items)
    )


def programme_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[AuditProgramme]:
    """Programmes of a management system, newest cycle first, with their counts (``ProgrammeFilterSet`` filters them)."""
    return (
        access.scope(user, AuditProgramme.objects.select_related("owner"))
        .filter(management_system=management_system)
        .annotate(
            item_count=Count("items", distinct=True),
            audit_count=Count("audits", distinct=True, filter=Q(audits__retired_at__isnull=True)),
        )
        .order_by("-period_start", "-reference")
    )


def programme_choices(management_system: ManagementSystem, *, keep: int | None = None) -> QuerySet[AuditProgramme]:
    """Programmes an audit may belong to: open ones (not retired, not closed), and the one it has (``keep``)."""
    open_ = Q(retired_at__isnull=True) & ~Q(status=AuditProgramme.Status.CLOSED)
    return AuditProgramme.objects.filter(open_ | Q(pk=keep), management_system=management_system).order_by(
        "-period_start", "-reference"
    )


def coverage_of(programme: AuditProgramme) -> Coverage | None:
    """The programme's coverage matrix (three queries), or None while its cycle has no period."""
    if not (programme.period_start and programme.period_end):
        return None
    clauses = Control.objects.filter(framework__key=CLAUSES).select_related("area").order_by("position")
    items = ProgrammeItem.objects.filter(programme=programme).select_related("requirement", "ai_system")
    audited = InternalAudit.scope_requirements.through.objects.filter(
        internalaudit__programme=programme,
        internalaudit__status__in=AUDITED,
        internalaudit__retired_at__isnull=True,
    ).values_list("control_id", flat=True)
    return coverage_matrix(
        clauses=clauses,
        items=items,
        period_start=programme.period_start,
        period_end=programme.period_end,
        audited_requirement_ids=list(audited),
    )


def programme_audits(programme: AuditProgramme) -> QuerySet[InternalAudit]:
    return programme.audits.select_related("lead_auditor").order_by("planned_start", "reference")


def item_history(programme: AuditProgramme) -> QuerySet:
    """Every change to a programme's planned items, newest first."""
    return (
        ProgrammeItem.history.filter(programme_id=programme.pk)
        .select_related("history_user", "requirement", "ai_system")
        .order_by("-history_date", "-history_id")
    )


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


# --- internal audits -----------------------------------------------------------------------------------


def audit_queryset(*, user: AbstractBaseUser) -> QuerySet[InternalAudit]:
    """Audits the user may read, with their scope, team, checks and findings (constant queries)."""
    checks = AuditCheck.objects.select_related("requirement").order_by(
        "requirement__framework__key", "requirement__position"
    )
    findings = Finding.objects.select_related("nonconformity").order_by("reference")
    return access.scope(
        user,
        InternalAudit.objects.select_related("programme", "programme__owner", "lead_auditor", "management_system"),
    ).prefetch_related(
        Prefetch(
            "scope_requirements",
            queryset=Control.objects.select_related("framework").order_by("-framework__key", "position"),
        ),
        Prefetch("scope_ai_systems", queryset=AISystem.objects.order_by("reference")),
        "team",
        Prefetch("checks", queryset=checks),
        Prefetch("findings", queryset=findings),
    )


def audit_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[InternalAudit]:
    """Audits of a management system with their progress (``AuditFilterSet`` filters them)."""
    return (
        access.scope(user, InternalAudit.objects.select_related("programme", "lead_auditor"))
        .filter(management_system=management_system)
        .annotate(
            check_count=Count("checks", distinct=True),
            checks_done=Count("checks", distinct=True, filter=~Q(checks__result="")),
            finding_count=Count("findings", distinct=True, filter=Q(findings__retired_at__isnull=True)),
        )
        .order_by("-planned_start", "-reference")
    )


@dataclass(frozen=True)
class CheckRow:
    """A check with whether its requirement is still in the audit's scope."""

    check: AuditCheck
    in_scope: bool


def check_rows(audit: InternalAudit) -> list[CheckRow]:
    """The audit's checks (from its prefetch): in scope first, then those kept after leaving the scope."""
    scope = {requirement.pk for requirement in audit.scope_requirements.all()}
    rows = [CheckRow(check, check.requirement_id in scope) for check in audit.checks.all()]
    return [row for row in rows if row.in_scope] + [row for row in rows if not row.in_scope]


def check_of(audit: InternalAudit, check_id: Any) -> AuditCheck | None:
    return next((check for check in audit.checks.all() if str(check.pk) == str(check_id)), None)


def check_history(audit: InternalAudit) -> QuerySet:
    """Every change to an audit's checks, newest first."""
    return (
        AuditCheck.history.filter(audit_id=audit.pk)
        .select_related("history_user", "requirement")
        .order_by("-history_date", "-history_id")
    )


def independence_of(audit: InternalAudit) -> list[tuple[Any, list[str]]]:
    """Each auditor who owns something in the audit's scope, with what (shown next to the override)."""
    people = [audit.lead_auditor, *audit.team.all()] if audit.lead_auditor_id else list(audit.team.all())
    owned = independence.ownership_in_scope(
        management_system=audit.management_system,
        users=people,
        requirement_ids=[r.pk for r in audit.scope_requirements.all()],
        system_ids=[s.pk for s in audit.scope_ai_systems.all()],
    )
    seen, result = set(), []
    for person in people:
        if person.pk in owned and person.pk not in seen:
            seen.add(person.pk)
            result.append((person, owned[person.pk]))
    return result


# --- findings ------------------------------------------------------------------------------------


def finding_queryset(*, user: AbstractBaseUser) -> QuerySet[Finding]:
    """Findings the user may read, with their audit, nonconformity, requirements and systems."""
    return access.scope(
        user, Finding.objects.select_related("audit", "nonconformity", "management_system")
    ).prefetch_related(
        Prefetch("requirements", queryset=Control.objects.order_by("-framework__key", "position")),
        Prefetch("ai_systems", queryset=AISystem.objects.order_by("reference")),
    )


def finding_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Finding]:
    """Findings of a management system, newest first (``FindingFilterSet`` filters them)."""
    return finding_queryset(user=user).filter(management_system=management_system).order_by("-reference")


# --- the overview ---------------------------------------------------------------------------------


def overview(*, user: AbstractBaseUser, management_system: ManagementSystem) -> dict[str, Any]:
    """The overview panel: the current programme and the audits by state (three queries)."""
    programmes = access.scope(user, AuditProgramme.objects.filter(management_system=management_system))
    current = (
        programmes.filter(retired_at__isnull=True)
        .exclude(status=AuditProgramme.Status.CLOSED)
        .order_by("-period_start", "-reference")
        .first()
    )
    audits = access.scope(
        user, InternalAudit.objects.filter(management_system=management_system, retired_at__isnull=True)
    )
    counts = dict(audits.values_list("status").annotate(n=Count("pk")).order_by())
    findings = access.scope(user, Finding.objects.filter(management_system=management_system, retired_at__isnull=True))
    return {
        "programme": current,
        "audit_states": [(value, label, counts.get(value, 0)) for value, label in InternalAudit.Status.choices],
        "audit_total": sum(counts.values()),
        "nonconformity_findings": findings.filter(finding_type__in=Finding.NONCONFORMING).count(),
    }
