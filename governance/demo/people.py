"""Demo people, AIMS roles, competence and communication for Acme Health (runs first among the governance demos).

The demo accounts get their persons: the leader holds top management (other families rely on
it: the AI policy's approver), the officer is the AIMS manager, the contributor owns three AI
systems. People without accounts: a board member (top management too), the clinical safety
officer (human oversight operator), an internal auditor. Competences with records leave exactly
one gap: the clinical safety officer's AI literacy expired. A communication plan with an AI
literacy training record. Idempotent: once the leader's person exists, it does nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from aims.demo import Demo
from governance.models import AimsRole, CompetenceRecord, Person
from governance.people import services
from registers.models import AISystem

OWNED = ("Patient message triage", "Patient FAQ chatbot", "Appointment no-show prediction")
OVERSEEN = ("Patient message triage", "Radiology worklist prioritisation")
TRAINING, EDUCATION, EXPERIENCE = (
    CompetenceRecord.Basis.TRAINING, CompetenceRecord.Basis.EDUCATION, CompetenceRecord.Basis.EXPERIENCE,
)  # fmt: skip


def load(demo: Demo) -> None:
    ms, users = demo.acme, demo.acme_users
    if Person.objects.filter(management_system=ms, account=users["leader"]).exists():
        return
    officer = users["officer"]
    today = timezone.localdate()
    start = today - timedelta(days=400)
    people = _people(ms, users)
    roles = {r.key: r for r in AimsRole.objects.filter(management_system=ms).exclude(key="")}
    systems = {s.name: s for s in AISystem.objects.filter(management_system=ms)}

    def appoint(person: str, key: str, systems_: tuple[str, ...] = (), **fields: Any) -> None:
        services.assignment_create(
            management_system=ms, user=officer, reason="Appointed by the AIMS steering group", person=people[person],
            role=roles[key], starts_on=fields.pop("starts_on", start), appointed_by=people["leader"],
            ai_systems=[systems[name] for name in systems_ if name in systems], **fields,
        )  # fmt: skip

    appoint("leader", AimsRole.TOP_MANAGEMENT, note="Chief Executive, accountable officer for the AIMS")
    appoint("board", AimsRole.TOP_MANAGEMENT, note="Non-executive director, chair of the AI assurance committee")
    appoint("officer", AimsRole.AIMS_MANAGER)
    appoint("officer", AimsRole.RISK_OWNER, note="Owns the AIMS-wide risks until each has a named owner")
    appoint("contributor", AimsRole.AI_SYSTEM_OWNER, OWNED)
    appoint("safety", AimsRole.HUMAN_OVERSIGHT_OPERATOR, OVERSEEN)
    appoint("auditor", AimsRole.INTERNAL_AUDITOR, starts_on=today - timedelta(days=200))
    _competence(ms, officer, people, roles, today)
    _communication(ms, officer, people, today)
    demo.created.append(f"{len(people)} people with AIMS roles")


def _people(ms: Any, users: dict[str, Any]) -> dict[str, Person]:
    def person(name: str, job_title: str, department: str, account: Any = None) -> Person:
        return services.person_create(
            management_system=ms, user=users["officer"], reason="AIMS roles agreed at the steering group",
            name=name, job_title=job_title, department=department, account=account,
            email=account.email if account else "",
        )  # fmt: skip

    return {
        "leader": person("Helen Marsh", "Chief Executive", "Executive office", users["leader"]),
        "officer": person("Sam Okafor", "AI compliance officer", "Digital governance", users["officer"]),
        "contributor": person("Tom Reyes", "Digital services product lead", "Digital services", users["contributor"]),
        "board": person("Margaret Osei", "Non-executive director", "Board of directors"),
        "safety": person("Dr Rachel Kim", "Clinical safety officer", "Clinical safety"),
        "auditor": person("David Brennan", "Internal auditor", "Internal audit"),
    }


def _competence(ms: Any, officer: Any, people: dict[str, Person], roles: dict[str, AimsRole], today: date) -> None:
    def competence(name: str, description: str, months: int | None = None) -> Any:
        return services.competence_create(
            management_system=ms, user=officer, name=name, description=description, validity_months=months
        )

    literacy = competence("AI literacy", "What AI can and cannot do, its risks and the Trust's AI rules.", 12)
    risk = competence("AI risk and impact assessment", "The Trust's risk and impact assessment method (6.1, 8.2).")
    auditing = competence("Management system auditing", "ISO 19011 auditing of management systems.", 36)
    oversight = competence(
        "Human oversight of clinical AI", "Interpreting and overriding AI outputs in clinical workflows.", 24
    )
    required = {
        AimsRole.AIMS_MANAGER: [literacy, risk],
        AimsRole.AI_SYSTEM_OWNER: [literacy, risk],
        AimsRole.INTERNAL_AUDITOR: [auditing],
        AimsRole.HUMAN_OVERSIGHT_OPERATOR: [literacy, oversight],
    }
    for key, competences in required.items():
        role = roles[key]
        services.role_update(
            role, user=officer, expected_version=role.version, reason="Competences required (7.2 a)",
            required_competences=competences,
        )  # fmt: skip

    def record(person: str, competence: Any, basis: str, days_ago: int, effectiveness: str = "") -> None:
        services.competence_record_create(
            management_system=ms, user=officer, person=people[person], competence=competence, basis=basis,
            achieved_on=today - timedelta(days=days_ago), effectiveness=effectiveness,
        )  # fmt: skip

    checked = "End-of-course assessment passed (80% or more); observed in practice by the AIMS manager a month later."
    record("officer", literacy, TRAINING, 90, checked)
    record("officer", risk, TRAINING, 300, "Led two impact assessments reviewed by the clinical safety officer.")
    record("contributor", literacy, TRAINING, 60, checked)
    record("contributor", risk, EXPERIENCE, 200, "Assessed the triage and chatbot risks with the AIMS manager.")
    record("auditor", auditing, EDUCATION, 500, "ISO/IEC 42001 lead auditor certificate (CQI/IRCA).")
    record("safety", oversight, TRAINING, 150, "Supervised overrides on the triage system for two weeks.")
    # The one gap: the clinical safety officer's AI literacy expired (taken 14 months ago, valid 12).
    record("safety", literacy, TRAINING, 425, checked)


def _communication(ms: Any, officer: Any, people: dict[str, Person], today: date) -> None:
    def item(**fields: Any) -> Any:
        return services.plan_item_create(management_system=ms, user=officer, reason="Communication plan 7.4", **fields)

    literacy = item(
        subject="AI literacy training", timing="At induction, then yearly", audience="All staff using AI systems",
        channel="E-learning module and ward briefing", communicator=people["officer"], ai_literacy=True,
        note="EU AI Act Art. 4: staff dealing with AI systems have a sufficient level of AI literacy.",
    )  # fmt: skip
    item(
        subject="AI policy and its changes", timing="On approval of each version", audience="All staff",
        channel="Intranet news and e-mail from the Chief Executive", communicator=people["leader"],
    )  # fmt: skip
    item(
        subject="AIMS performance report", timing="Quarterly", audience="Board AI assurance committee",
        channel="Committee paper", communicator=people["officer"],
    )  # fmt: skip
    item(
        subject="Transparency notice on AI in patient communication", timing="Before go-live and on change",
        audience="Patients and the public", channel="Website and patient leaflets", communicator=people["contributor"],
    )  # fmt: skip
    services.communication_create(
        management_system=ms, user=officer, reason="Training delivered", plan_item=literacy,
        delivered_on=today - timedelta(days=60), audience="Digital services team and ward 3 nurses",
        summary="AI literacy session: what the triage and chatbot systems do, their limits, automation bias, "
        "how to override and how to report a concern.",
        communicator=people["officer"], acknowledgement_count=24,
        acknowledged_by=[people["contributor"], people["safety"]],
    )  # fmt: skip
