"""Demo Statement of Applicability for Acme Health: decided and justified here; approved later.

The SoA is approved only once the risks it answers exist, as the process requires: the
assessments demo step calls ``approve_soa`` after creating them, and the officer then changes
one row (so packs show a row changed since approval). Both steps are idempotent.
"""

from __future__ import annotations

from datetime import date

from aims import mfa
from aims.demo import Demo
from aims.models import SignOff
from controls import services
from controls.models import Applicability
from controls.signoffs import SOA
from registers.models import AISystem

IMPL, PART, PLAN = "implemented", "partial", "planned"
TRIAGE, XRAY, NOTES, NOSHOW, FAQ = (
    "Patient message triage",
    "Radiology worklist prioritisation",
    "Clinical note summarisation",
    "Appointment no-show prediction",
    "Patient FAQ chatbot",
)
ALL = (TRIAGE, XRAY, NOTES, NOSHOW, FAQ)
IN_HOUSE = (TRIAGE, NOSHOW)
SUPPLIED = (XRAY, NOTES, FAQ)

# control id: (implementation status, owner, linked AI systems, justification)
INCLUDED: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "A.2.2": (
        IMPL,
        "owner",
        (),
        "The Trust's AI policy (approved by the board in 2026) is the root of the AIMS; required by clause 5.2.",
    ),
    "A.2.3": (
        PART,
        "officer",
        (),
        "The AI policy must not contradict the information governance, clinical safety (DCB0129/0160) and procurement policies; alignment review half done.",
    ),
    "A.2.4": (
        PLAN,
        "owner",
        (),
        "Annual review and review after any significant change, e.g. a new high-risk AI system such as radiology prioritisation.",
    ),
    "A.3.2": (
        IMPL,
        "owner",
        ALL,
        "Named owners, clinical safety officers and the AI compliance officer are needed for every AI system in scope.",
    ),
    "A.3.3": (
        PART,
        "officer",
        (),
        "Clinicians must be able to raise concerns about AI outputs (e.g. triage errors); the Datix category exists, the AI-specific route is being added.",
    ),
    "A.4.2": (
        PART,
        "officer",
        ALL,
        "Risk assessment showed missing resource records for supplied systems; needed to understand each system's dependencies.",
    ),
    "A.4.3": (
        IMPL,
        "contributor",
        IN_HOUSE,
        "Data resources for the in-house triage and no-show models must be recorded (patient messages, appointment history).",
    ),
    "A.4.4": (
        PLAN,
        "contributor",
        IN_HOUSE,
        "The data science team's tooling (training pipelines, notebooks) affects reproducibility of in-house models.",
    ),
    "A.4.5": (
        PART,
        "officer",
        ALL,
        "Hosting (on-premises GPU and the LLM cloud tenancy) must be documented for resilience and data residency.",
    ),
    "A.4.6": (
        PLAN,
        "owner",
        ALL,
        "Competence of clinical reviewers and data scientists is a treatment for automation-bias risks (clause 7.2).",
    ),
    "A.5.2": (
        IMPL,
        "officer",
        ALL,
        "Impact assessments are required before deployment of any patient-facing AI system (clause 6.1.4).",
    ),
    "A.5.3": (
        IMPL,
        "officer",
        ALL,
        "Results must be kept for the life of the system plus 8 years, matching the health records retention schedule.",
    ),
    "A.5.4": (
        PART,
        "officer",
        (TRIAGE, XRAY, FAQ),
        "Triage, prioritisation and the chatbot directly affect patients, including groups with limited digital access.",
    ),
    "A.5.5": (
        PLAN,
        "owner",
        (TRIAGE, XRAY),
        "Regional access to urgent care could shift if triage or prioritisation were biased; societal impact must be assessed.",
    ),
    "A.6.1.2": (
        PART,
        "contributor",
        IN_HOUSE,
        "The Trust develops models in-house (triage, no-show): development objectives for fairness and safety are needed.",
    ),
    "A.6.1.3": (
        PART,
        "contributor",
        IN_HOUSE,
        "A defined development process (with clinical safety sign-off) is required for in-house models.",
    ),
    "A.6.2.2": (
        IMPL,
        "contributor",
        IN_HOUSE,
        "New or materially changed in-house models need documented requirements before build.",
    ),
    "A.6.2.3": (
        PART,
        "contributor",
        IN_HOUSE,
        "Design decisions for the triage classifier must be traceable for the clinical safety case.",
    ),
    "A.6.2.4": (
        IMPL,
        "contributor",
        (TRIAGE, XRAY, NOSHOW),
        "Verification and local validation (e.g. the chest X-ray local validation set) with acceptance criteria before go-live.",
    ),
    "A.6.2.5": (
        PART,
        "officer",
        ALL,
        "Deployment plans ensure clinical safety requirements are met before release to wards.",
    ),
    "A.6.2.6": (
        PART,
        "officer",
        ALL,
        "Performance drift monitoring and supplier update handling are needed for all systems in operation.",
    ),
    "A.6.2.7": (
        PLAN,
        "contributor",
        ALL,
        "Clinicians, IT support and patients each need documentation suited to them.",
    ),
    "A.6.2.8": (
        IMPL,
        "officer",
        ALL,
        "Event logs are required to investigate incidents and to evidence human oversight decisions.",
    ),
    "A.7.2": (
        PART,
        "contributor",
        IN_HOUSE,
        "In-house models are trained on Trust data; data management processes are required.",
    ),
    "A.7.3": (
        PART,
        "contributor",
        IN_HOUSE,
        "How patient messages and appointment history were selected must be recorded (risk of selection bias).",
    ),
    "A.7.4": (
        PLAN,
        "contributor",
        IN_HOUSE,
        "Data quality requirements treat the risk of under-representation of non-English messages in triage.",
    ),
    "A.7.5": (
        IMPL,
        "contributor",
        (TRIAGE, XRAY, NOSHOW),
        "Provenance of training and validation data is required, including the supplier's X-ray validation set.",
    ),
    "A.7.6": (
        PLAN,
        "contributor",
        IN_HOUSE,
        "De-identification and labelling steps for training data must be defined.",
    ),
    "A.8.2": (
        PART,
        "officer",
        (XRAY, NOTES, FAQ),
        "Clinicians using supplied systems need instructions for use and known limitations.",
    ),
    "A.8.3": (
        IMPL,
        "officer",
        (TRIAGE, FAQ),
        "Patients and staff need a channel to report adverse impacts (PALS and the AI concerns form).",
    ),
    "A.8.4": (PLAN, "owner", ALL, "Incidents affecting patients must be communicated under the duty of candour."),
    "A.8.5": (
        PART,
        "owner",
        (XRAY,),
        "Reporting obligations to the MHRA and commissioners apply to medical-device AI (radiology prioritisation).",
    ),
    "A.9.2": (
        IMPL,
        "officer",
        ALL,
        "Responsible-use processes (human review of every AI triage suggestion) treat automation-bias risk.",
    ),
    "A.9.3": (
        PART,
        "owner",
        ALL,
        "Objectives for responsible use are set in the AI policy and monitored by the AI steering group.",
    ),
    "A.9.4": (
        IMPL,
        "officer",
        ALL,
        "Systems must stay within intended use, e.g. the chatbot must not give clinical advice.",
    ),
    "A.10.2": (
        IMPL,
        "officer",
        SUPPLIED,
        "Responsibilities between the Trust and suppliers (Lumina, Cirrus, Helpdesk Bots) must be allocated in contracts.",
    ),
    "A.10.3": (
        PART,
        "officer",
        SUPPLIED,
        "Supplier due diligence checks that supplied AI aligns with the Trust's responsible AI approach.",
    ),
    "A.10.4": (
        PART,
        "owner",
        IN_HOUSE,
        "The Trust provides the triage and no-show models it builds in house; the patients and clinical teams who "
        "receive their outputs are its customers in the sense of A.10.4. Their needs and expectations are gathered "
        "through the patient panel and the clinical safety group and recorded in each impact assessment.",
    ),
}
EXCLUDED: dict[str, str] = {}
CHANGED_AFTER_APPROVAL = "A.7.4"


def load(demo: Demo) -> None:
    """Decide and justify every SoA row as the officer (approval comes once the risks exist)."""
    management_system, users = demo.acme, demo.acme_users
    decided = Applicability.objects.filter(management_system=management_system).exclude(
        applicable=Applicability.Decision.UNDECIDED
    )
    if decided.exists():
        return
    services.soa_rows_ensure(management_system=management_system, user=users["officer"])
    systems = {s.name: s for s in AISystem.objects.filter(management_system=management_system)}
    rows = Applicability.objects.filter(management_system=management_system).select_related("control")
    for row in rows:
        services.applicability_update(
            row,
            user=users["officer"],
            expected_version=row.version,
            reason="SoA workshop decisions",
            **_fields(row, users, systems),
        )


def approve_soa(demo: Demo) -> None:
    """Approve the SoA as the leader, then change one row as the officer (once)."""
    management_system, users = demo.acme, demo.acme_users
    if SignOff.objects.filter(management_system=management_system, kind=SOA).exists():
        return
    rows = Applicability.objects.filter(management_system=management_system)
    services.soa_approve(
        management_system=management_system,
        user=users["leader"],
        statement="Approved for the stage 1 audit: controls included and excluded as shown, with their justifications.",
        confirmed=True,
        verification=mfa.DEMO,
    )
    row = rows.get(control__key=CHANGED_AFTER_APPROVAL)
    services.applicability_update(
        row,
        user=users["officer"],
        expected_version=row.version,
        reason="Data quality requirements agreed",
        implementation_status=Applicability.ImplementationStatus.PARTIAL,
        implementation_notes="Quality thresholds for message language coverage agreed; checks being automated.",
    )


def _fields(row: Applicability, users: dict, systems: dict[str, AISystem]) -> dict:
    key = row.control.key
    if key in EXCLUDED:
        return {
            "applicable": Applicability.Decision.EXCLUDED,
            "justification": EXCLUDED[key],
            "implementation_status": Applicability.ImplementationStatus.NOT_APPLICABLE,
            "owner": users["owner"],
            "last_reviewed": date(2026, 10, 14),
        }
    status, owner, linked, justification = INCLUDED[key]
    return {
        "applicable": Applicability.Decision.INCLUDED,
        "justification": justification,
        "implementation_status": status,
        "owner": users[owner],
        "ai_systems": [systems[name] for name in linked if name in systems],
        "last_reviewed": date(2026, 10, 14),
    }
