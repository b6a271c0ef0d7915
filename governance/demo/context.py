"""Demo context for Acme Health, an NHS-style trust using AI: its context issues (4.1), interested parties and
their requirements, the legal and regulatory register (4.2). Idempotent: records are found by title or name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from aims.demo import Demo
from assessments.models import Risk
from controls.catalog import ANNEX_A
from controls.models import Control
from governance.context import services
from governance.models import ContextIssue, InterestedParty, Requirement
from registers.models import AISystem

Origin, Category = ContextIssue.Origin, ContextIssue.Category
Kind, Type, Addressed = InterestedParty.Kind, Requirement.Type, Requirement.Addressed

# title, origin, category, description, effect, risk titles, review in days (negative: overdue)
ISSUES: list[tuple[str, str, str, str, str, list[str], int]] = [
    (
        "The EU AI Act and UK regulators' AI principles are coming into force",
        Origin.EXTERNAL, Category.LEGAL,
        "The Trust sells its triage service to an Irish partner hospital, so the EU AI Act applies to it as a "
        "provider; in the UK the MHRA, ICO and CQC apply their own AI principles.",
        "Classification of every AI system, deployer obligations and a legal register kept current.",
        [], 180,
    ),
    (
        "Hosted large language models change quickly and without notice",
        Origin.EXTERNAL, Category.TECHNOLOGICAL,
        "Cloud LLM providers update models monthly; behaviour can change under the same name.",
        "Supplier monitoring (A.10) and re-validation after every model change.",
        ["Supplier changes the imaging model without notice"], 90,
    ),
    (
        "Public trust in AI in healthcare is fragile",
        Origin.EXTERNAL, Category.SOCIETAL,
        "Patient groups and local press scrutinise any use of AI in care; one incident can stop a programme.",
        "Transparency to patients, impact assessments that consider affected groups, clear complaint routes.",
        ["Patients do not realise they are talking to an AI"], 365,
    ),
    (
        "NHS funding pressure drives automation of administrative work",
        Origin.EXTERNAL, Category.MARKET,
        "The ICB expects productivity gains; suppliers offer AI tools to every department.",
        "More AI systems proposed each year: the inventory and the intake process must keep up.",
        ["AI inventory misses shadow AI tools used by staff"], -20,
    ),
    (
        "Data centre energy use of AI workloads",
        Origin.EXTERNAL, Category.CLIMATE,
        "The Trust's Green Plan commits to net zero for directly controlled emissions by 2040.",
        "Energy use is one criterion when choosing AI suppliers and model sizes.",
        [], 365,
    ),
    (
        "Small data science team with key-person dependency",
        Origin.INTERNAL, Category.ORGANISATIONAL,
        "Three data scientists build and monitor the in-house models.",
        "Monitoring and retraining depend on few people: competence records and documented procedures.",
        ["Model performance drifts unnoticed after deployment"], -5,
    ),
    (
        "Clinical safety culture (DCB0129/DCB0160) is mature",
        Origin.INTERNAL, Category.ORGANISATIONAL,
        "Clinical safety officers already review every health IT system before go-live.",
        "The AIMS builds on the clinical safety case process rather than adding a parallel one.",
        [], 365,
    ),
]  # fmt: skip

# name, kind, description
PARTIES: list[tuple[str, str, str]] = [
    (
        "European Union market surveillance authorities", Kind.REGULATOR,
        "Enforce the EU AI Act for the triage service provided to the Irish partner hospital.",
    ),
    ("Information Commissioner's Office (ICO)", Kind.REGULATOR, "UK GDPR and data protection in AI systems."),
    (
        "Medicines and Healthcare products Regulatory Agency (MHRA)", Kind.REGULATOR,
        "Software and AI as a medical device in the UK (UK MDR 2002).",
    ),
    (
        "Patients and the public", Kind.AFFECTED,
        "Safe care, to know when AI is used about them, to be able to challenge decisions and to complain.",
    ),
    (
        "Clinicians and clinical staff", Kind.INTERNAL,
        "Tools that are safe, explainable enough to rely on, and that do not add to their workload.",
    ),
    ("Lumina Imaging Ltd", Kind.SUPPLIER, "Supplier of the chest X-ray prioritisation model."),
    ("Cirrus AI Cloud", Kind.SUPPLIER, "Hosts the large language model used for note summarisation."),
]  # fmt: skip

# party, title, type, source, jurisdiction, AI systems, addressed, how, Annex A controls, risks
REQUIREMENTS: list[tuple[str, str, str, str, str, list[str], str, str, list[str], list[str]]] = [
    (
        "European Union market surveillance authorities",
        "Use high-risk AI systems in accordance with the instructions for use, with human oversight by competent "
        "people, and monitor their operation",
        Type.LEGAL, "EU AI Act Art. 26(1), 26(2), 26(5)", "EU",
        ["Radiology worklist prioritisation"], Addressed.YES,
        "Radiology SOP RAD-AI-01 follows the supplier's instructions; reporting radiologists trained and named "
        "as human oversight operators; monthly performance review.",
        ["A.9.2", "A.9.4"], ["Chest X-ray model misses findings on portable films"],
    ),
    (
        "European Union market surveillance authorities",
        "Keep the logs automatically generated by high-risk AI systems for at least six months",
        Type.LEGAL, "EU AI Act Art. 26(6)", "EU",
        ["Radiology worklist prioritisation"], Addressed.PARTLY,
        "Worklist logs kept 90 days on the PACS; extension to six months requested from the supplier.",
        ["A.6.2.8"], [],
    ),
    (
        "European Union market surveillance authorities",
        "Inform people that they are interacting with an AI system",
        Type.LEGAL, "EU AI Act Art. 50(1)", "EU",
        ["Patient FAQ chatbot"], Addressed.YES,
        "The chatbot says it is an AI in its first message and offers a member of staff at any time.",
        ["A.8.2"], ["Patients do not realise they are talking to an AI"],
    ),
    (
        "Information Commissioner's Office (ICO)",
        "Do not subject people to decisions based solely on automated processing with legal or similarly "
        "significant effects without safeguards",
        Type.LEGAL, "UK GDPR Art. 22", "United Kingdom",
        ["Patient message triage", "Appointment no-show prediction"], Addressed.YES,
        "A triage nurse confirms every category; no-show predictions only trigger reminder calls.",
        ["A.9.3"], ["Clinicians over-rely on the triage category (automation bias)"],
    ),
    (
        "Information Commissioner's Office (ICO)",
        "Carry out a data protection impact assessment before processing likely to result in a high risk",
        Type.LEGAL, "UK GDPR Art. 35", "United Kingdom",
        [], Addressed.PARTLY,
        "DPIAs done for message triage and radiology; the note summarisation pilot's DPIA is in draft.",
        ["A.5.2"], ["Patient data sent to the LLM provider outside the UK"],
    ),
    (
        "Medicines and Healthcare products Regulatory Agency (MHRA)",
        "Use only software medical devices that carry a UKCA or CE mark for their intended purpose",
        Type.REGULATORY, "UK MDR 2002 (SI 2002/618) Part II; EU MDR 2017/745 Annex VIII Rule 11",
        "United Kingdom", ["Radiology worklist prioritisation"], Addressed.YES,
        "Lumina's UKCA certificate and intended purpose checked at onboarding and each renewal.",
        ["A.10.3"], [],
    ),
    (
        "Medicines and Healthcare products Regulatory Agency (MHRA)",
        "Decide whether the note summarisation tool is a medical device before wider use",
        Type.REGULATORY, "MHRA guidance: Software and AI as a Medical Device", "United Kingdom",
        ["Clinical note summarisation"], Addressed.NO, "", [], ["Summaries omit or invent clinically important details"],
    ),
    (
        "Patients and the public",
        "Be told how AI is used in their care and how to raise a concern",
        Type.VOLUNTARY, "NHS AI transparency commitment (Trust board, 2024)", "England",
        [], Addressed.PARTLY, "Public AI register page published; leaflets for outpatients in preparation.",
        ["A.8.5"], [],
    ),
    (
        "Lumina Imaging Ltd",
        "Report suspected model malfunctions to the supplier within 24 hours",
        Type.CONTRACTUAL, "Contract LIM-2023-07, schedule 4 clause 6", "England and Wales",
        ["Radiology worklist prioritisation"], Addressed.YES,
        "Incident procedure routes radiology AI incidents to the supplier's service desk.",
        ["A.10.2"], ["Supplier changes the imaging model without notice"],
    ),
    (
        "Cirrus AI Cloud",
        "Do not send data of identifiable patients outside the agreed UK data region",
        Type.CONTRACTUAL, "Cirrus AI Cloud data processing agreement, clause 9.2", "United Kingdom",
        ["Clinical note summarisation"], Addressed.NO, "", [], ["Patient data sent to the LLM provider outside the UK"],
    ),
]  # fmt: skip


def _by_name(model: type, ms: Any, field: str, names: list[str]) -> list[Any]:
    rows = {getattr(row, field): row for row in model.objects.filter(management_system=ms, **{f"{field}__in": names})}
    return [rows[name] for name in names if name in rows]


def load(demo: Demo) -> None:
    """Create the demo records once (idempotent)."""
    ms, officer = demo.acme, demo.users["officer"]
    today = timezone.localdate()
    for title, origin, category, description, effect, risks, days in ISSUES:
        if ContextIssue.objects.filter(management_system=ms, title=title).exists():
            continue
        issue = services.context_issue_create(
            management_system=ms, user=officer, reason="Context analysis 2025", title=title, origin=origin,
            category=category, description=description, effect=effect, review_on=today + timedelta(days=days),
            risks=_by_name(Risk, ms, "title", risks),
        )  # fmt: skip
        demo.created.append(str(issue))
    parties = {}
    for name, kind, description in PARTIES:
        party = InterestedParty.objects.filter(management_system=ms, name=name).first()
        if party is None:
            party = services.interested_party_create(
                management_system=ms, user=officer, reason="Interested parties 2025", name=name, kind=kind,
                description=description,
            )  # fmt: skip
            demo.created.append(str(party))
        parties[name] = party
    for party, title, type_, source, jurisdiction, systems, addressed, how, controls, risks in REQUIREMENTS:
        if Requirement.objects.filter(management_system=ms, title=title).exists():
            continue
        requirement = services.requirement_create(
            management_system=ms, user=officer, reason="Legal register review 2025", party=parties[party],
            title=title, requirement_type=type_, source_reference=source, jurisdiction=jurisdiction,
            addressed=addressed, how_addressed=how, ai_systems=_by_name(AISystem, ms, "name", systems),
            controls=list(Control.objects.filter(framework__key=ANNEX_A, key__in=controls)),
            risks=_by_name(Risk, ms, "title", risks),
        )  # fmt: skip
        demo.created.append(str(requirement))
    _later_edit(ms, officer)


def _later_edit(ms: Any, officer: Any) -> None:
    """One change after creation, so the legal register's History tab shows a diff with its reason."""
    requirement = Requirement.objects.filter(management_system=ms, source_reference="EU AI Act Art. 26(6)").first()
    if requirement is not None and requirement.version == 1:
        services.requirement_update(
            requirement, user=officer, expected_version=1, reason="Supplier confirmed the log extension date",
            how_addressed=requirement.how_addressed + " Supplier confirmed six-month retention from next release.",
        )  # fmt: skip
