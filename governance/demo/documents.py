"""Demo documents for Acme Health: the required documents, the AI policy approved twice by the Chief Executive
(version 1 superseded by version 2), a few approved processes (one overdue for review), acknowledgements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from aims import mfa
from aims.demo import Demo
from aims.services import register_create
from governance.documents import services
from governance.documents.seeding import seed_required_documents
from governance.models import AimsRole, Document, DocumentVersion, Person, RoleAssignment
from governance.people.selectors import holds_aims_role, person_for_user

ORG = "Acme Health Hospitals Trust"
CHECKLIST = {name: True for name, _text in DocumentVersion.CHECKLIST}
POLICY_FILL = {
    "[organisation name]": ORG,
    "[Organisation name]": ORG,
    "[name, role in top management]": "Helen Marsh, Chief Executive",
    "[state the purpose: for example help clinicians prioritise cases, answer customer questions, detect fraud]": (
        "help clinicians triage patients, support diagnosis and plan our services"
    ),
    "[patients / customers / citizens]": "patients",
    "[for example the EU AI Act, data protection law, sector rules]": (
        "the EU AI Act, UK GDPR and the Medical Devices Regulations"
    ),
    "[name or role]": "Sam Okafor, AI compliance officer",
    "[channel]": "the AI concerns form on the intranet",
    "[information security policy, data protection policy, procurement policy, code of conduct, quality policy]": (
        "information security policy, data protection policy, clinical safety policy and procurement policy"
    ),
    "[intranet location]": "the Trust intranet (Policies > AI)",
    "[12]": "12",
}
V2_ADDITION = (
    "\n\n## 7. Generative AI\n\nStaff use generative AI tools only through the Trust's approved gateway, never with "
    "patient-identifiable data in tools that are not approved, and check every generated output before it is used "
    "in care or sent to a patient.\n"
)
# The scope statement is approved too: the structured scope (SCO-001) names it as its document.
PROCESSES = ("scope", "risk_assessment_process", "risk_treatment_process", "internal_audit_procedure")
OVERDUE = "internal_audit_procedure"


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _top_management(demo: Demo) -> None:
    """The Chief Executive holds the top-management role (the people demo does this; do it here if it did not)."""
    ms, leader = demo.acme, demo.acme_users["leader"]
    if holds_aims_role(leader, ms, AimsRole.TOP_MANAGEMENT):
        return
    owner = demo.acme_users["owner"]
    role = AimsRole.objects.filter(management_system=ms, key=AimsRole.TOP_MANAGEMENT).first() or register_create(
        AimsRole, management_system=ms, user=owner, name="Top management", key=AimsRole.TOP_MANAGEMENT,
        responsibilities="Approve the AI policy and objectives; review the AIMS.", mandatory=True,
    )  # fmt: skip
    person = Person.objects.filter(management_system=ms, account=leader).first() or register_create(
        Person, management_system=ms, user=owner, name="Helen Marsh", job_title="Chief Executive", account=leader
    )
    register_create(
        RoleAssignment, management_system=ms, user=owner, person=person, role=role,
        starts_on=timezone.localdate() - timedelta(days=400),
    )  # fmt: skip


def _approve(
    version: DocumentVersion, users: dict[str, Any], body: str | None = None, **fields: Any
) -> DocumentVersion:
    """The officer writes and submits the version; the Chief Executive approves it."""
    officer, leader = users["officer"], users["leader"]
    if body is not None:
        version = services.version_update(version, user=officer, expected_version=version.version, body=body, **fields)
    version = services.version_submit(version, user=officer, expected_version=version.version)
    services.version_approve(
        version, user=leader, statement="I approve this version for use across the Trust.", verification=mfa.DEMO
    )
    return DocumentVersion.objects.get(pk=version.pk)


def _policy(ms: Any, users: dict[str, Any]) -> None:
    policy = Document.objects.get(management_system=ms, key="ai_policy")
    if policy.versions.filter(number__gte=2, status=DocumentVersion.Status.APPROVED).exists():
        return
    first = policy.versions.get(number=1)
    text = _fill(first.body, POLICY_FILL)
    _approve(first, users, body=text, change_summary="First issue of the Trust's AI policy.", **CHECKLIST)
    second = services.version_new(policy, user=users["officer"], reason="Annual review: generative AI")
    second = _approve(
        second,
        users,
        body=text + V2_ADDITION,
        change_summary="Adds section 7 on generative AI after the annual review.",
    )
    for name in ("officer", "contributor"):
        services.acknowledge(second, user=users[name])


def _processes(ms: Any, users: dict[str, Any]) -> None:
    for key in PROCESSES:
        document = Document.objects.get(management_system=ms, key=key)
        version = document.versions.order_by("-number").first()
        if version.status != DocumentVersion.Status.DRAFT:
            continue
        _approve(version, users, body=_fill(version.body, {"[organisation name]": ORG}), change_summary="First issue.")
        if key == OVERDUE:
            document.refresh_from_db()
            services.document_update(
                document, user=users["officer"], expected_version=document.version,
                reason="Review brought forward by the management review", next_review_on=timezone.localdate() - timedelta(days=20),
            )  # fmt: skip


def _owners(ms: Any, users: dict[str, Any]) -> None:
    """Give every document an owner: the AI policy the Chief Executive, the rest the AIMS manager."""
    leader = person_for_user(users["leader"], ms)
    manager = person_for_user(users["officer"], ms) or leader
    for document in Document.objects.filter(management_system=ms, owner__isnull=True):
        owner = leader if document.key == "ai_policy" else manager
        if owner is not None:
            services.document_update(
                document, user=users["officer"], expected_version=document.version, reason="Owner named", owner=owner
            )


def load(demo: Demo) -> None:
    """Create the demo records once (idempotent)."""
    ms, users = demo.acme, demo.acme_users
    seed_required_documents(ms, users["owner"])
    _top_management(demo)
    _owners(ms, users)
    _policy(ms, users)
    _processes(ms, users)
