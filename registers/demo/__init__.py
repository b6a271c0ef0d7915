"""Demo records of the AI system register: Acme's suppliers, models, datasets and AI systems, and Northwind's.

A demo step (see ``aims.hooks.register_demo_step``); the systems' later edits give their
History tabs field-level diffs with reasons.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from aims.demo import Demo
from aims.models import ManagementSystem
from registers import services as register_services
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier

SUPPLIERS = [
    {
        "name": "Lumina Imaging Ltd",
        "services": "Chest X-ray triage software (CE/UKCA marked medical device), hosting and model updates.",
        "due_diligence_status": Supplier.DueDiligence.APPROVED,
        "contract_reference": "CT-2024-017",
    },
    {
        "name": "Cirrus AI Cloud",
        "services": "Hosted general-purpose large language model API in a UK region, no training on customer data.",
        "due_diligence_status": Supplier.DueDiligence.NOT_STARTED,
        "contract_reference": "CT-2025-042 (draft)",
    },
    {
        "name": "Helpdesk Bots Ltd",
        "services": "Patient FAQ chatbot platform embedded in the Trust website.",
        "due_diligence_status": Supplier.DueDiligence.APPROVED,
        "contract_reference": "CT-2023-009",
    },
    {
        "name": "Northgate Data Labelling",
        "services": "Offered clinical text annotation for the triage model; offshore processing.",
        "due_diligence_status": Supplier.DueDiligence.REJECTED,
        "contract_reference": "",
    },
]

MODELS = [
    {
        "name": "Message triage classifier",
        "model_version": "2.3",
        "provider": "Acme Health data science team",
        "model_type": ModelRecord.ModelType.CLASSIFIER,
        "intended_use": "Suggest an urgency category (same day, within 3 days, routine) for portal messages.",
        "limitations": "English only; not validated for messages from under-16s; never the sole basis for triage.",
        "evaluation_summary": "Recall for 'same day' 0.94 on the 2024 hold-out set (n=12,400); reviewed quarterly.",
    },
    {
        "name": "Chest X-ray prioritisation model",
        "model_version": "4.1",
        "provider": "Lumina Imaging Ltd",
        "model_type": ModelRecord.ModelType.VISION,
        "intended_use": "Flag chest radiographs with suspected critical findings for earlier reporting.",
        "limitations": "Adults only; portable films have lower sensitivity; does not produce a diagnosis.",
        "evaluation_summary": "Supplier study AUC 0.93; local validation on 2,000 films AUC 0.91 (2024).",
    },
    {
        "name": "Hosted general-purpose LLM",
        "model_version": "2025-06",
        "provider": "Cirrus AI Cloud",
        "model_type": ModelRecord.ModelType.LLM,
        "intended_use": "Draft summaries of clinical notes for clinician review.",
        "limitations": "May omit or invent details; output must be checked and signed by a clinician.",
        "evaluation_summary": "Pilot: 300 summaries rated by clinicians; 4% contained a clinically relevant omission.",
    },
    {
        "name": "Appointment no-show model",
        "model_version": "1.7",
        "provider": "Acme Health data science team",
        "model_type": ModelRecord.ModelType.CLASSIFIER,
        "intended_use": "Estimate the chance that an outpatient misses an appointment, to offer reminders.",
        "limitations": "Trained on 2019-2024 attendance; drifts after booking-system changes.",
        "evaluation_summary": "AUC 0.78; calibration checked by deprivation decile and age band.",
    },
    {
        "name": "FAQ retrieval assistant",
        "model_version": "3.0",
        "provider": "Helpdesk Bots Ltd",
        "model_type": ModelRecord.ModelType.LLM,
        "intended_use": "Answer general questions about visiting, parking and appointments from approved pages.",
        "limitations": "Answers only from the Trust's published pages; refuses clinical questions.",
        "evaluation_summary": "Answer accuracy 96% on 250 test questions; refusal rate for clinical questions 99%.",
    },
    {
        "name": "Readmission risk score",
        "model_version": "1.0",
        "provider": "Acme Health data science team",
        "model_type": ModelRecord.ModelType.REGRESSION,
        "intended_use": "Estimate 30-day readmission risk at discharge.",
        "limitations": "Superseded; not recalibrated since 2021.",
        "evaluation_summary": "AUC 0.69 at retirement review.",
    },
]

DATASETS = [
    {
        "name": "Patient portal messages 2021-2024",
        "source": "Patient portal (internal), pseudonymised extract",
        "provenance": "Extracted from the portal database by the data warehouse team under DPIA-2023-11; "
        "identifiers replaced by study ids; labels from triage nurses' final decisions.",
        "quality": "Labels double-checked on a 5% sample (kappa 0.82); under-represents messages sent by carers.",
        "personal_data_categories": "Health data (free text), age band, sex",
        "retention": "Deleted 2 years after model retirement",
    },
    {
        "name": "Chest X-ray local validation set",
        "source": "PACS archive, Riverside and Hillcrest",
        "provenance": "2,000 adult chest radiographs from 2023 with consultant reports, exported de-identified.",
        "quality": "Case mix matched to current referrals; 12% portable films.",
        "personal_data_categories": "Health data (images), age, sex",
        "retention": "5 years (medical device post-market evidence)",
    },
    {
        "name": "Clinician-rated note summaries",
        "source": "Summarisation pilot, medical wards",
        "provenance": "300 notes and their draft summaries, rated by 12 clinicians; collected under the pilot protocol.",
        "quality": "Two raters per summary; disagreements resolved by a third.",
        "personal_data_categories": "Health data (clinical notes)",
        "retention": "Until the end of the pilot evaluation plus 1 year",
    },
    {
        "name": "Outpatient appointment history 2019-2024",
        "source": "Patient administration system",
        "provenance": "Attendance records with booking lead time, specialty and reminder history.",
        "quality": "Missing postcode for 3% of rows; bias reviewed by deprivation decile.",
        "personal_data_categories": "Health data (specialty), age band, postcode district",
        "retention": "Rolling 5 years",
    },
    {
        "name": "Trust website FAQ pages",
        "source": "Public website content management system",
        "provenance": "Published pages approved by the communications team; re-indexed nightly.",
        "quality": "Owned pages with review dates; stale pages excluded.",
        "personal_data_categories": "",
        "retention": "While published",
    },
]

# (fields, linked model names, dataset names, supplier names)
AI_SYSTEMS: list[tuple[dict[str, Any], list[str], list[str], list[str]]] = [
    (
        {
            "name": "Patient message triage",
            "purpose": "Suggests an urgency category for messages patients send through the portal so that "
            "urgent ones reach a nurse the same day.",
            "intended_use": "Decision support for the patient contact team; a triage nurse confirms every category.",
            "owner": "contributor",
            "lifecycle_stage": AISystem.LifecycleStage.VERIFICATION,
            "roles": [
                {"role": "ai_producer", "basis": "Built in-house by the Trust's data science team."},
                {"role": "provider", "basis": "Put into service under the Trust's own name (Art. 3(3))."},
                {"role": "deployer", "basis": "Used by the Trust's own patient contact team (Art. 3(4))."},
            ],
            "eu_ai_act_risk_class": AISystem.RiskClass.HIGH,
            "eu_ai_act_basis": "Annex III point 5(d): evaluates and classifies calls for emergency healthcare "
            "patient triage.",
            "human_oversight": AISystem.HumanOversight.IN_THE_LOOP,
            "notes": "Clinical safety case CS-014 (DCB0129/0160).",
        },
        ["Message triage classifier"],
        ["Patient portal messages 2021-2024"],
        [],
    ),
    (
        {
            "name": "Radiology worklist prioritisation",
            "purpose": "Moves chest X-rays with suspected critical findings to the top of the reporting worklist.",
            "intended_use": "Reporting radiologists and reporting radiographers; the order changes, never the report.",
            "owner": "officer",
            "lifecycle_stage": AISystem.LifecycleStage.OPERATION,
            "roles": [
                {"role": "ai_customer", "basis": "Licensed from Lumina Imaging Ltd under contract LIM-2023-07."},
                {"role": "deployer", "basis": "Used under the Trust's authority by its radiology department."},
            ],
            "eu_ai_act_risk_class": AISystem.RiskClass.HIGH_PRODUCT,
            "eu_ai_act_basis": "Art. 6(1) and Annex I: software that is a class IIa medical device (EU MDR, UKCA "
            "under UK MDR 2002) needing a notified body's conformity assessment.",
            "human_oversight": AISystem.HumanOversight.IN_THE_LOOP,
            "notes": "Supplier's medical device registration checked on onboarding.",
        },
        ["Chest X-ray prioritisation model"],
        ["Chest X-ray local validation set"],
        ["Lumina Imaging Ltd"],
    ),
    (
        {
            "name": "Clinical note summarisation",
            "purpose": "Drafts discharge-summary paragraphs from ward notes with a hosted large language model.",
            "intended_use": "Pilot on two medical wards; the responsible clinician edits and signs every summary.",
            "owner": "contributor",
            "lifecycle_stage": AISystem.LifecycleStage.VERIFICATION,
            "roles": [
                {"role": "ai_customer", "basis": "Hosted model used through Cirrus AI Cloud's API."},
                {"role": "deployer", "basis": "Pilot run by the Trust on two medical wards."},
            ],
            "eu_ai_act_risk_class": AISystem.RiskClass.UNASSESSED,
            "human_oversight": AISystem.HumanOversight.IN_THE_LOOP,
        },
        ["Hosted general-purpose LLM"],
        ["Clinician-rated note summaries"],
        ["Cirrus AI Cloud"],
    ),
    (
        {
            "name": "Appointment no-show prediction",
            "purpose": "Predicts which outpatients are likely to miss an appointment so they get an extra reminder call.",
            "intended_use": "Outpatient booking team; predictions only trigger reminders, never cancellations.",
            "owner": "owner",
            "lifecycle_stage": AISystem.LifecycleStage.OPERATION,
            "roles": [
                {"role": "ai_producer", "basis": "Developed by the Trust's analytics team."},
                {"role": "deployer", "basis": "Used by the Trust's outpatient booking team."},
            ],
            "eu_ai_act_risk_class": AISystem.RiskClass.MINIMAL,
            "eu_ai_act_basis": "Not in Annex III: it only triggers reminder calls, never access to care.",
            "human_oversight": AISystem.HumanOversight.ON_THE_LOOP,
        },
        ["Appointment no-show model"],
        ["Outpatient appointment history 2019-2024"],
        [],
    ),
    (
        {
            "name": "Patient FAQ chatbot",
            "purpose": "Answers general questions about visiting, parking and appointments on the Trust website.",
            "intended_use": "Members of the public; tells users they are talking to an AI and hands over to staff.",
            "owner": "officer",
            "lifecycle_stage": AISystem.LifecycleStage.DEPLOYMENT,
            "roles": [{"role": "deployer", "basis": "Runs on the Trust website under the Trust's name."}],
            "eu_ai_act_risk_class": AISystem.RiskClass.LIMITED,
            "eu_ai_act_basis": "Art. 50(1): interacts directly with people, who are told they talk to an AI.",
            "human_oversight": AISystem.HumanOversight.ON_THE_LOOP,
        },
        ["FAQ retrieval assistant"],
        ["Trust website FAQ pages"],
        ["Helpdesk Bots Ltd"],
    ),
    (
        {
            "name": "Readmission risk score",
            "purpose": "Estimated 30-day readmission risk at discharge to target follow-up calls.",
            "intended_use": "Discharge coordinators (until March 2025).",
            "owner": "owner",
            "lifecycle_stage": AISystem.LifecycleStage.OPERATION,
            "in_scope": False,
            "roles": [{"role": "provider", "basis": "Developed and put into service by the Trust."}],
            "eu_ai_act_risk_class": AISystem.RiskClass.MINIMAL,
            "human_oversight": AISystem.HumanOversight.IN_COMMAND,
            "notes": "Retired after the 2025 review: poor calibration. Model and data kept for the retention period.",
        },
        ["Readmission risk score"],
        [],
        [],
    ),
]

NORTHWIND_SYSTEMS = [
    {
        "name": "Product recommendations",
        "purpose": "Recommends products on the shop's home and basket pages.",
        "lifecycle_stage": AISystem.LifecycleStage.OPERATION,
        "roles": [{"role": "deployer", "basis": "Third-party recommender used on the shop."}],
        "eu_ai_act_risk_class": AISystem.RiskClass.MINIMAL,
        "human_oversight": AISystem.HumanOversight.ON_THE_LOOP,
    },
    {
        "name": "Demand forecasting",
        "purpose": "Forecasts weekly demand per store to plan stock.",
        "lifecycle_stage": AISystem.LifecycleStage.DESIGN,
        "roles": [{"role": "ai_producer", "basis": "Built by the retail analytics team."}],
        "eu_ai_act_risk_class": AISystem.RiskClass.MINIMAL,
        "human_oversight": AISystem.HumanOversight.IN_COMMAND,
    },
]


def load(demo: Demo) -> None:
    """Add the inventory records that are missing to Acme Health and Northwind Retail."""
    users, created = demo.users, demo.created
    officer = users["officer"]
    acme = demo.acme
    suppliers = {s["name"]: _record(Supplier, acme, officer, s, created) for s in SUPPLIERS}
    models = {m["name"]: _record(ModelRecord, acme, officer, m, created) for m in MODELS}
    datasets = {d["name"]: _record(DatasetRecord, acme, officer, d, created) for d in DATASETS}
    systems = {}
    for fields, model_names, dataset_names, supplier_names in AI_SYSTEMS:
        links = {
            "model_records": [models[n][0] for n in model_names],
            "dataset_records": [datasets[n][0] for n in dataset_names],
            "suppliers": [suppliers[n][0] for n in supplier_names],
        }
        systems[fields["name"]] = _ai_system(acme, officer, users, fields, links, created)
    _later_edits(users, systems, suppliers, datasets)
    outsider = users["outsider"]
    for fields in NORTHWIND_SYSTEMS:
        _ai_system(demo.northwind, outsider, users, {**fields, "owner": "outsider"}, {}, created)


def _record(
    model: type, ms: ManagementSystem, user: AbstractBaseUser, fields: dict[str, Any], created: list[str]
) -> tuple[Any, bool]:
    existing = model.objects.filter(management_system=ms, name=fields["name"]).first()
    if existing is not None:
        return existing, False
    obj = register_services.record_create(
        model, management_system=ms, user=user, reason="Added to the register", **fields
    )
    created.append(str(obj))
    return obj, True


def _ai_system(
    ms: ManagementSystem,
    user: AbstractBaseUser,
    users: dict[str, AbstractBaseUser],
    fields: dict[str, Any],
    links: dict[str, list[Any]],
    created: list[str],
) -> tuple[AISystem, bool]:
    existing = AISystem.objects.filter(management_system=ms, name=fields["name"]).first()
    if existing is not None:
        return existing, False
    values = {**fields, "owner": users[fields["owner"]], **links}
    system = register_services.ai_system_create(
        management_system=ms, user=user, reason="Added to the AI system inventory", **values
    )
    created.append(str(system))
    return system, True


def _later_edits(users: dict[str, AbstractBaseUser], systems: dict, suppliers: dict, datasets: dict) -> None:
    """Changes made after creation, so History tabs show field-level diffs with reasons."""
    officer, contributor = users["officer"], users["contributor"]
    triage, new = systems["Patient message triage"]
    if new:
        triage = _edit(
            triage,
            officer,
            "Go-live approved by the clinical safety officer (CS-014 v2)",
            lifecycle_stage=AISystem.LifecycleStage.OPERATION,
        )
        _edit(
            triage,
            contributor,
            "Clarified who confirms the category",
            intended_use="Decision support for the patient contact team; a registered triage nurse confirms "
            "or changes every suggested category before the message is routed.",
        )
    summariser, new = systems["Clinical note summarisation"]
    if new:
        _edit(
            summariser,
            officer,
            "EU AI Act classification done: transparency obligations apply",
            eu_ai_act_risk_class=AISystem.RiskClass.LIMITED,
            eu_ai_act_basis="Art. 50: generates text shown to clinicians; not Annex III while a clinician writes the "
            "final summary.",
            notes="Not a medical device while clinicians write the final summary (MHRA guidance checked).",
        )
    radiology, new = systems["Radiology worklist prioritisation"]
    if new:
        radiology = _edit(
            radiology,
            officer,
            "Local validation data linked after the 2024 study",
            dataset_records=[
                datasets["Chest X-ray local validation set"][0],
                datasets["Patient portal messages 2021-2024"][0],
            ],
        )
        _edit(
            radiology,
            officer,
            "Removed a dataset linked by mistake",
            dataset_records=[datasets["Chest X-ray local validation set"][0]],
        )
    readmission, new = systems["Readmission risk score"]
    if new:
        register_services.ai_system_retire(
            readmission,
            user=users["owner"],
            expected_version=readmission.version,
            reason="Retired after the 2025 review: poor calibration; model and data kept for the retention period.",
        )
    cirrus, new = suppliers["Cirrus AI Cloud"]
    if new:
        register_services.record_update(
            cirrus,
            user=officer,
            expected_version=cirrus.version,
            reason="Security questionnaire sent to the supplier",
            due_diligence_status=Supplier.DueDiligence.IN_PROGRESS,
        )


def _edit(system: AISystem, user: AbstractBaseUser, reason: str, **fields: Any) -> AISystem:
    return register_services.ai_system_update(
        system, user=user, expected_version=system.version, reason=reason, **fields
    )
