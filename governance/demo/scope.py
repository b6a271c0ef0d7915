"""Demo scope for Acme Health: its units and sites, activities, one exclusion with its rationale, interfaces,
the context issues and requirements considered (those the context demo recorded), approved by the demo
leader with every AI system in scope frozen. The demo's scope stays current: approved and unchanged."""

from aims import mfa
from aims.demo import Demo
from governance.models import ContextIssue, Requirement, Scope
from governance.scope import services

UNITS = """Executive board and AI governance board
Clinical directorates: emergency medicine, radiology, pathology, community services
Digital and data directorate (data science team, clinical informatics)
Patient experience and communications
Procurement and supplier management"""

SITES = """Riverside Hospital, Riverside Road
Hillcrest Hospital, Hillcrest Avenue
Community services hubs (North and South)
Remote and home working by staff of the units above"""

ACTIVITIES = """Procuring and deploying suppliers' AI systems in patient care (triage, diagnostics support)
Developing and operating in-house models (operational planning, demand forecasting)
Operating patient-facing AI (the patient communication chatbot)
Using AI for clinical documentation (ambient transcription)
Monitoring, incident handling and retirement of AI systems"""

INTERFACES = (
    "Suppliers host and update the AI systems they provide (A.10); the Trust's information security management "
    "system (ISO/IEC 27001) covers the hosting infrastructure and access control; the clinical safety process "
    "(DCB0129/DCB0160) covers clinical risk of all health IT; the regional imaging network shares the PACS on "
    "which the radiology triage system runs."
)


def load(demo: Demo) -> None:
    """Create and approve the scope once (idempotent)."""
    ms, users = demo.acme, demo.acme_users
    if Scope.objects.filter(management_system=ms).exists():
        return
    live = {"management_system": ms, "retired_at__isnull": True}
    scope = services.scope_create(
        management_system=ms,
        user=users["officer"],
        reason="Scope of the AIMS for the first certification cycle",
        statement=ms.scope_statement,
        units=UNITS,
        sites=SITES,
        activities=ACTIVITIES,
        interfaces=INTERFACES,
        context_issues=list(ContextIssue.objects.filter(**live).order_by("reference")),
        requirements=list(Requirement.objects.filter(**live).order_by("reference")),
    )
    services.exclusion_add(
        scope,
        user=users["officer"],
        expected_version=scope.version,
        excluded="Research projects run under a separate ethics approval",
        rationale="Governed by the Research Ethics Committee and the research governance framework; no research "
        "model reaches patient care without first entering the AI system inventory, and so the scope.",
    )
    services.scope_approve(
        Scope.objects.get(pk=scope.pk),
        user=users["leader"],
        statement="Approved as the scope of the AI management system for the first certification cycle, "
        "with its exclusion and every AI system in scope in the inventory.",
        verification=mfa.DEMO,
    )
    demo.created.append(scope.reference)
