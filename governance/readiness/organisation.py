"""Readiness checks on context, scope, leadership and people: 4.1 to 4.3, 5.1, 5.3, 7.2 to 7.4."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse

from aims import ledger
from aims.readiness import (
    ADVICE,
    BLOCKER,
    STAGE2_RISK,
    Finding,
    ReadinessContext,
    register_readiness_check,
    sign_offs,
)
from governance.documents.selectors import members_expected
from governance.models import (
    AimsRole,
    CommunicationPlanItem,
    CommunicationRecord,
    ContextIssue,
    DocumentAcknowledgement,
    InterestedParty,
    Requirement,
    RoleAssignment,
    Scope,
)
from governance.people import selectors as people
from governance.readiness.documents import documents
from governance.scope.selectors import systems_comparison
from governance.scope.signoffs import SCOPE_APPROVAL

YEAR = timedelta(days=365)


def url(name: str, *args: int) -> str:
    return reverse(f"governance:{name}", args=list(args))


def page(name: str):  # noqa: ANN201
    return lambda ms_id: url(name, ms_id)


# --- context and scope (4.1 to 4.3) --------------------------------------------------------------


def check_context(ctx: ReadinessContext) -> list[Finding]:
    counts = ContextIssue.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True).aggregate(
        internal=Count("pk", filter=Q(origin=ContextIssue.Origin.INTERNAL)),
        external=Count("pk", filter=Q(origin=ContextIssue.Origin.EXTERNAL)),
    )
    return [
        Finding(f"No {origin} issue of the organisation's context is recorded.")
        for origin in ("internal", "external")
        if not counts[origin]
    ]


def check_parties(ctx: ReadinessContext) -> list[Finding]:
    parties = InterestedParty.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True).annotate(
        open_requirements=Count("requirements", filter=Q(requirements__retired_at__isnull=True))
    )
    parties = list(parties.order_by("reference"))
    if not parties:
        return [Finding("No interested party is recorded.")]
    if not any(p.open_requirements for p in parties):
        return [Finding("No requirement of the interested parties is recorded.")]
    return []


def check_requirements_addressed(ctx: ReadinessContext) -> list[Finding]:
    open_ = Requirement.objects.filter(
        management_system_id=ctx.ms_id, retired_at__isnull=True, addressed=Requirement.Addressed.NO
    ).order_by("reference")
    return [Finding(f"{r.reference} {r.title} is not addressed by the AIMS.", url("requirement_detail", r.management_system_id, r.pk))
            for r in open_]  # fmt: skip


def check_scope(ctx: ReadinessContext) -> list[Finding]:
    scope = Scope.objects.filter(management_system_id=ctx.ms_id).first()
    if scope is None:
        return [Finding("The scope of the AIMS is not written yet.")]
    status = ledger.sign_off_status(SCOPE_APPROVAL, scope)
    if status.latest is None:
        return [Finding(f"{scope.reference} (version {scope.version}) is not approved by top management.")]
    findings = []
    approved_on = f"{status.latest.signed_at:%d %b %Y}"
    if status.changed_since:
        findings.append(Finding(f"Scope changed since approval: {scope.reference} was edited after its approval of "
                                f"{approved_on}; approve it again.", status.diff_url or ""))  # fmt: skip
    systems = systems_comparison(scope, ctx.management_system)
    if systems.changed_since_approval:
        moved = [f"{s.reference} added" for s in systems.added] + [f"{s.reference} removed" for s in systems.removed]
        findings.append(Finding(f"Scope changed since approval: the AI systems in scope changed in the inventory "
                                f"({', '.join(moved)}); refresh and approve the scope again."))  # fmt: skip
    return findings


# --- leadership and roles (5.1, 5.3) -------------------------------------------------------------


def _current_assignments(ctx: ReadinessContext) -> list[RoleAssignment]:
    day = ctx.today
    return ctx.once(
        "governance.assignments",
        lambda c: list(
            RoleAssignment.objects.filter(
                management_system_id=c.ms_id, starts_on__lte=day, person__retired_at__isnull=True
            )
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
            .select_related("person", "role")
        ),
    )


def check_mandatory_roles(ctx: ReadinessContext) -> list[Finding]:
    held = {a.role_id for a in _current_assignments(ctx)}
    roles = AimsRole.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True, mandatory=True)
    return [
        Finding(f"Nobody holds the mandatory AIMS role {role.reference} {role.name}.",
                url("role_detail", role.management_system_id, role.pk))
        for role in roles.order_by("reference")
        if role.pk not in held
    ]  # fmt: skip


def check_top_management(ctx: ReadinessContext) -> list[Finding]:
    holders = [a.person for a in _current_assignments(ctx) if a.role.key == AimsRole.TOP_MANAGEMENT]
    accounts = {p.account_id for p in holders if p.account_id}
    if not accounts:
        return [Finding("Nobody with an account in the register holds the top-management role, so top management "
                         "cannot approve the policy, scope or SoA.")]  # fmt: skip
    since = ctx.now - YEAR
    if any(s.signer_id in accounts and s.signed_at >= since for s in sign_offs(ctx)):
        return []
    names = ", ".join(sorted(p.name for p in holders if p.account_id))
    return [Finding(f"Top management ({names}) signed nothing in the register in the last twelve months.")]


# --- support (7.2 to 7.4) ------------------------------------------------------------------------


def check_competence(ctx: ReadinessContext) -> list[Finding]:
    gaps = people.competence_gaps(ctx.management_system, on=ctx.today)
    gaps_url = url("competence_gaps", ctx.ms_id)
    return [
        Finding(f"{g.person.name} holds {g.role.name} without a valid record of {g.competence.name}"
                + (f" (expired on {g.expired_on:%d %b %Y})." if g.is_expired else "."), gaps_url)
        for g in gaps
    ]  # fmt: skip


def check_awareness(ctx: ReadinessContext) -> list[Finding]:
    policy = documents(ctx)["by_key"].get("ai_policy")
    approved = getattr(policy, "approved_version", None)
    if approved is None:
        return []  # the AI policy check says it is not approved
    count = DocumentAcknowledgement.objects.filter(version=approved).count()
    expected = members_expected(ctx.management_system)
    if count >= expected:
        return []
    return [
        Finding(f"{count} of {expected} members acknowledged {policy.identifier} version {approved.number}.",
                url("version_detail", ctx.ms_id, approved.pk))
    ]  # fmt: skip


def check_communication(ctx: ReadinessContext) -> list[Finding]:
    items = CommunicationPlanItem.objects.filter(management_system_id=ctx.ms_id, retired_at__isnull=True).count()
    if not items:
        return [Finding("The communication plan is empty: what, when, with whom and how the AIMS communicates.")]
    since = ctx.today - YEAR
    delivered = CommunicationRecord.objects.filter(
        management_system_id=ctx.ms_id, retired_at__isnull=True, delivered_on__gte=since
    ).exists()
    if not delivered:
        return [Finding("No communication was recorded as delivered in the last twelve months.",
                        url("communication_list", ctx.ms_id))]  # fmt: skip
    return []


def register() -> None:
    """Declare the checks on context, scope, leadership and people."""
    checks = [
        ("context-issues", "4.1", "Internal and external issues of the organisation's context are recorded", BLOCKER,
         check_context, "context_issue_list", 400),
        ("interested-parties", "4.2", "Interested parties and their requirements are recorded", BLOCKER,
         check_parties, "interested_party_list", 420),
        ("requirements-addressed", "4.2", "Every requirement of interested parties is addressed (or not applicable)",
         STAGE2_RISK, check_requirements_addressed, "legal_register", 421),
        ("scope-approved", "4.3", "The AIMS scope is approved and unchanged since", BLOCKER, check_scope, "scope",
         430),
        ("top-management-engaged", "5.1", "Top management holds its role and signed in the register this year",
         STAGE2_RISK, check_top_management, "role_list", 510),
        ("mandatory-roles", "5.3", "Every mandatory AIMS role is assigned", BLOCKER, check_mandatory_roles,
         "responsibility_matrix", 530),
        ("competence-gaps", "7.2", "People in AIMS roles hold valid records of the competences their roles require",
         STAGE2_RISK, check_competence, "competence_gaps", 720),
        ("policy-acknowledged", "7.3", "Every member acknowledged the approved AI policy", ADVICE, check_awareness,
         "ai_policy", 730),
        ("communication-plan", "7.4", "A communication plan exists and communications were delivered this year",
         STAGE2_RISK, check_communication, "plan_item_list", 740),
    ]  # fmt: skip
    for key, clause, title, severity, check, url_name, order in checks:
        register_readiness_check(
            key, clause=clause, title=title, severity=severity, check=check, fix_url=page(url_name), order=order
        )
