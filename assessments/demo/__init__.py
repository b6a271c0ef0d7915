"""Demo risk criteria, risk register and AI impact assessments for Acme Health.

``load(management_system, users)`` is called by ``manage.py load_demo`` after the SoA demo.
It is idempotent: once the demo risks exist, it does nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from aims import ledger, mfa
from aims.demo import Demo
from aims.models import ManagementSystem
from assessments import services, signoffs
from assessments.models import Risk
from controls.demo import approve_soa
from controls.models import Control
from registers.models import AISystem

# Agrees with the SoA's justification of A.5.3 (impact assessment results are kept for this long).
RETENTION = "Life of the AI system plus 8 years (health records retention schedule)"

TRIAGE, XRAY, NOTES, NOSHOW, FAQ = (
    "Patient message triage",
    "Radiology worklist prioritisation",
    "Clinical note summarisation",
    "Appointment no-show prediction",
    "Patient FAQ chatbot",
)

# title, systems, source, likelihood, consequence, residual (l, c) or None, treatment, controls, owner, review in days,
# description, treatment plan, actions [(description, owner, due in days, status)], accepted by (user key) or None
RISKS: list[dict[str, Any]] = [
    dict(
        title="Triage under-prioritises messages written in languages other than English",
        systems=[TRIAGE],
        source="fairness",
        l=4,
        c=4,
        res=(2, 3),
        treatment="modify",
        controls=["A.7.4", "A.6.2.4"],
        owner="officer",
        review=120,
        description="The classifier was trained mostly on English messages; urgent messages in Polish, Urdu or Somali score lower.",
        plan="Add translated and native-language training data; route low-confidence non-English messages to a nurse.",
        actions=[
            ("Collect 2,000 labelled non-English messages", "contributor", 45, "in_progress"),
            ("Low-confidence routing rule live", "officer", 20, "done"),
        ],
        accepted="leader",
    ),
    dict(
        title="Clinicians over-rely on the triage category (automation bias)",
        systems=[TRIAGE],
        source="automation",
        l=3,
        c=4,
        res=(2, 3),
        treatment="modify",
        controls=["A.4.6", "A.9.3"],
        owner="officer",
        review=90,
        description="Busy nurses may accept the suggested category without reading the message.",
        plan="Training, periodic audit of overrides, and showing the model's confidence next to the category.",
        actions=[("Automation-bias module in mandatory training", "owner", 60, "planned")],
        accepted="owner",
    ),
    dict(
        title="Patient message data used beyond the purpose patients were told about",
        systems=[TRIAGE],
        source="privacy",
        l=2,
        c=4,
        res=(1, 3),
        treatment="modify",
        controls=["A.7.5", "A.8.2"],
        owner="officer",
        review=180,
        description="Messages collected for care are reused for model training.",
        plan="Update the privacy notice and record the lawful basis; exclude opted-out patients from training sets.",
        actions=[("Privacy notice updated", "officer", -10, "done")],
        accepted="owner",
    ),
    dict(
        title="Chest X-ray model misses findings on portable films",
        systems=[XRAY],
        source="robustness",
        l=3,
        c=5,
        res=(2, 4),
        treatment="modify",
        controls=["A.6.2.4", "A.6.2.6"],
        owner="officer",
        review=60,
        description="Local validation showed lower sensitivity on portable (ward) X-rays than on department films.",
        plan="Exclude portable films from prioritisation until the supplier's update is validated locally.",
        actions=[
            ("Exclusion rule for portable films", "contributor", 10, "done"),
            ("Validate supplier update v3.2", "contributor", 40, "planned"),
        ],
        accepted="leader",
    ),
    dict(
        title="Supplier changes the imaging model without notice",
        systems=[XRAY],
        source="third_party",
        l=3,
        c=4,
        res=(2, 3),
        treatment="share",
        controls=["A.10.3", "A.6.2.6"],
        owner="officer",
        review=150,
        description="The supplier pushes model updates as part of the SaaS service.",
        plan="Contract clause requiring 30 days' notice and release notes; regression checks on our validation set.",
        actions=[("Contract variation signed", "owner", 30, "in_progress")],
        accepted=None,
    ),
    dict(
        title="Summaries omit or invent clinically important details",
        systems=[NOTES],
        source="ml_specific",
        l=4,
        c=4,
        res=(3, 3),
        treatment="modify",
        controls=["A.9.2", "A.6.2.4", "A.8.2"],
        owner="contributor",
        review=45,
        description="The hosted LLM can hallucinate medication doses or omit allergies in discharge summaries.",
        plan="Clinician must review and sign every summary; highlight medication sections; sample audit of 50 summaries a month.",
        actions=[("Monthly sample audit", "officer", 25, "in_progress")],
        accepted=None,
    ),
    dict(
        title="Patient data sent to the LLM provider outside the UK",
        systems=[NOTES, FAQ],
        source="privacy",
        l=2,
        c=5,
        res=(1, 5),
        treatment="modify",
        controls=["A.10.3", "A.7.5"],
        owner="officer",
        review=200,
        description="The LLM tenancy could process prompts in a non-UK region.",
        plan="Pin the tenancy to the UK region; contractual data residency commitment; quarterly check of the region setting.",
        actions=[("Region pinned and verified", "contributor", -30, "done")],
        accepted="leader",
    ),
    dict(
        title="Prompt injection through pasted patient documents",
        systems=[NOTES],
        source="security",
        l=3,
        c=3,
        res=(2, 2),
        treatment="modify",
        controls=["A.6.2.5"],
        owner="contributor",
        review=100,
        description="Text pasted into the note tool could contain instructions that change the summary.",
        plan="Strip instructions from inputs, constrain the system prompt, and log prompts for review.",
        actions=[("Input sanitiser deployed", "contributor", 15, "planned")],
        accepted=None,
    ),
    dict(
        title="No-show model penalises patients from deprived areas",
        systems=[NOSHOW],
        source="fairness",
        l=3,
        c=3,
        res=(2, 2),
        treatment="modify",
        controls=["A.5.4", "A.7.4"],
        owner="contributor",
        review=-20,
        description="Postcode features correlate with deprivation; over-booking could lengthen waits for these patients.",
        plan="Remove postcode features; use predictions only to offer reminders and transport, never to over-book.",
        actions=[("Retrain without postcode features", "contributor", -5, "in_progress")],
        accepted=None,
    ),
    dict(
        title="Predictions used for a purpose they were not designed for",
        systems=[NOSHOW],
        source="accountability",
        l=2,
        c=3,
        res=(1, 3),
        treatment="avoid",
        controls=["A.9.4"],
        owner="officer",
        review=240,
        description="Managers could use no-show scores to decide on discharge from waiting lists.",
        plan="Written intended-use statement; access limited to the reminders service.",
        actions=[],
        accepted="owner",
    ),
    dict(
        title="Chatbot gives unsafe medical advice",
        systems=[FAQ],
        source="safety",
        l=3,
        c=5,
        res=(2, 4),
        treatment="modify",
        controls=["A.9.3", "A.8.2", "A.6.2.4"],
        owner="officer",
        review=30,
        description="Patients ask symptom questions that the FAQ assistant should not answer.",
        plan="Refuse symptom questions and signpost 111/999; red-team test set run before every release.",
        actions=[("Red-team test set of 300 questions", "contributor", 14, "in_progress")],
        accepted=None,
    ),
    dict(
        title="Patients do not realise they are talking to an AI",
        systems=[FAQ],
        source="transparency",
        l=3,
        c=2,
        res=(1, 2),
        treatment="modify",
        controls=["A.8.2"],
        owner="contributor",
        review=300,
        description="The chat window looks like the live-chat service staffed by people.",
        plan="Label the assistant clearly and offer a handover to staff in every conversation.",
        actions=[("Label and handover button", "contributor", -2, "done")],
        accepted="contributor",
    ),
    dict(
        title="Chatbot unavailable to screen-reader users",
        systems=[FAQ],
        source="fairness",
        l=2,
        c=2,
        res=None,
        treatment="retain",
        controls=[],
        owner="contributor",
        review=365,
        description="The chat widget has not been tested with screen readers.",
        plan="Accessibility audit scheduled with the web team.",
        actions=[("WCAG 2.2 audit of the widget", "contributor", 90, "planned")],
        accepted=None,
    ),
    dict(
        title="AI inventory misses shadow AI tools used by staff",
        systems=[],
        source="accountability",
        l=4,
        c=3,
        res=(3, 2),
        treatment="modify",
        controls=["A.4.2", "A.3.2"],
        owner="officer",
        review=75,
        description="Staff may use public chatbots with patient data outside the AIMS.",
        plan="Acceptable-use guidance, web filtering of unapproved AI tools, and a quarterly inventory survey.",
        actions=[("Quarterly AI use survey", "officer", 35, "planned")],
        accepted=None,
    ),
    dict(
        title="Model performance drifts unnoticed after deployment",
        systems=[TRIAGE, XRAY, NOSHOW],
        source="ml_specific",
        l=3,
        c=4,
        res=(2, 3),
        treatment="modify",
        controls=["A.6.2.6", "A.6.2.8"],
        owner="officer",
        review=110,
        description="No alerting exists when accuracy or input distributions change.",
        plan="Monthly performance dashboards with thresholds that open a nonconformity.",
        actions=[("Drift dashboard for triage", "contributor", 50, "in_progress")],
        accepted=None,
    ),
]

ASSESSMENTS: list[dict[str, Any]] = [
    dict(
        system=TRIAGE,
        title="Impact assessment: patient message triage (go-live)",
        trigger="initial",
        decision="proceed_with_conditions",
        conditions="Proceed once low-confidence non-English messages are routed to a nurse and the automation-bias training is scheduled.",
        stage="verification",
        assessors="Sam Okafor, Dr Priya Nair (clinical safety officer)",
        role="Clinical safety officer",
        scope="The triage classifier in the patient portal inbox at both hospitals; excludes the phone line.",
        description="Suggests an urgency category (routine, soon, urgent) for each incoming patient message.",
        misuse="Using the category as a diagnosis; relying on it for messages sent outside office hours without staff review.",
        data="Patient portal messages 2021-2024 (health data, special category).",
        parties="Patients writing to the portal; triage nurses; GPs.",
        vulnerable="Patients with limited English, older patients, people with learning disabilities.",
        review=300,
        approve=True,
        rows=[
            (
                "fairness",
                "Patients writing in languages other than English",
                "Urgent messages may be under-triaged.",
                4,
                4,
                "partly",
                "Native-language data, nurse routing of low-confidence messages",
                2,
            ),
            (
                "safety",
                "All portal users",
                "A missed urgent message delays care.",
                5,
                2,
                "irreversible",
                "Nurse review of all 'routine' messages within 24h",
                2,
            ),
            (
                "privacy",
                "Portal users",
                "Messages reused to train the model.",
                3,
                3,
                "reversible",
                "Privacy notice, opt-out respected",
                1,
            ),
        ],
    ),
    dict(
        system=XRAY,
        title="Impact assessment: radiology worklist prioritisation",
        trigger="initial",
        decision="proceed_with_conditions",
        conditions="Proceed while the supplier's validation on our local data set stays within the agreed sensitivity, "
        "checked each quarter by the clinical safety group.",
        stage="operation",
        assessors="Sam Okafor, Dr Lena Wright (consultant radiologist)",
        role="Clinical safety officer",
        scope="The supplier's chest X-ray prioritisation in the reporting worklist at both hospitals.",
        description="Moves chest X-rays with suspected critical findings to the top of the reporting worklist.",
        misuse="Reporting only prioritised films; treating a low priority as a normal result.",
        data="Chest X-rays and their reports (health data, special category); local validation set of 2,000 films.",
        parties="Patients having chest X-rays; reporting radiologists and radiographers.",
        vulnerable="Frail and bed-bound patients imaged on portable equipment, children.",
        review=200,
        approve=True,
        rows=[
            (
                "safety",
                "Patients with portable chest films",
                "Portable films are less often prioritised, so critical findings may wait longer.",
                4,
                3,
                "partly",
                "Exclude portable films from prioritisation; reporting target unchanged for all films",
                2,
            ),
            (
                "safety",
                "Reporting clinicians",
                "Clinicians may not know why a film moved up the list and over-trust the order.",
                2,
                3,
                "reversible",
                "The worklist shows the finding that triggered the move",
                1,
            ),
        ],
    ),
    dict(
        system=NOSHOW,
        title="Impact assessment: appointment no-show prediction",
        trigger="initial",
        decision="proceed",
        conditions="Predictions trigger reminder calls only; never cancellations or overbooking.",
        stage="operation",
        assessors="Priya Shah, outpatient services manager",
        role="Outpatient services manager",
        scope="Reminder calls for outpatient appointments at both hospitals.",
        description="Predicts which outpatients are likely to miss an appointment so they get an extra reminder call.",
        misuse="Using predictions to overbook clinics or to deprioritise patients.",
        data="Outpatient appointment history 2019-2024 (personal data; postcode, age band, attendance).",
        parties="Outpatients and their carers; the booking team.",
        vulnerable="Patients in deprived areas, people without a phone, people with caring duties.",
        review=330,
        approve=True,
        rows=[
            (
                "fairness",
                "Patients from deprived postcodes",
                "More reminder calls could be felt as intrusive by the groups most often predicted.",
                2,
                3,
                "reversible",
                "Calls are short and can be declined; postcode removed from the features",
                1,
            ),
        ],
    ),
    dict(
        system=FAQ,
        title="Impact assessment: patient FAQ chatbot",
        trigger="significant_change",
        decision="pending",
        conditions="",
        stage="deployment",
        assessors="Tom Reyes",
        role="Digital services product lead",
        scope="The FAQ assistant on the public website after the switch to a hosted LLM.",
        description="Answers questions about visiting, parking and appointments from the Trust's FAQ pages.",
        misuse="Patients asking for medical advice; attempts to make it produce offensive content.",
        data="Trust website FAQ pages; no patient records.",
        parties="Website visitors, including patients and carers.",
        vulnerable="People in distress, children, screen-reader users.",
        review=-15,
        approve=False,
        rows=[
            (
                "safety",
                "Patients asking symptom questions",
                "The chatbot could give unsafe advice.",
                5,
                3,
                "irreversible",
                "Refuse symptom questions and signpost 111/999",
                2,
            ),
            (
                "accessibility",
                "Screen-reader users",
                "The widget may be unusable.",
                2,
                3,
                "reversible",
                "Accessibility audit",
                None,
            ),
        ],
    ),
]


def load(demo: Demo) -> None:
    """Create the criteria, about fifteen risks (some accepted, one overdue) and two impact assessments."""
    management_system, users = demo.acme, demo.acme_users
    if Risk.objects.filter(management_system=management_system).exists():
        return
    officer = users["officer"]
    criteria = services.risk_criteria_create(
        management_system=management_system,
        user=officer,
        reason="Risk criteria agreed by the AI steering group",
        consequence_basis="per_party",
        intolerable_level="critical",
        rationale="5 x 5 likelihood and consequence scales; consequences rated for the organisation, individuals "
        "and society, the highest counting. Medium residual risk is acceptable; high needs a compliance "
        "officer's acceptance with a rationale; critical residual risk is intolerable.",
    )
    ledger.sign_off(
        kind=signoffs.CRITERIA_APPROVAL,
        subject=criteria,
        user=users["leader"],
        statement="Approved as the Trust's AI risk criteria, reviewed by the AI steering group.",
        verification=mfa.DEMO,
    )
    impact_criteria = services.impact_criteria_ensure_default(management_system=management_system, user=officer)
    ledger.sign_off(
        kind=signoffs.IMPACT_CRITERIA_APPROVAL,
        subject=impact_criteria,
        user=users["leader"],
        statement="Approved: the definitions of severity, likelihood, reversibility and scale for impact assessments.",
        verification=mfa.DEMO,
    )
    systems = {s.name: s for s in AISystem.objects.filter(management_system=management_system)}
    controls = {c.key: c for c in Control.objects.all()}
    today = timezone.localdate()
    risks = [_risk(management_system, users, spec, systems, controls, today) for spec in RISKS]
    _progress_after_acceptance(risks[3], users)
    for spec in ASSESSMENTS:
        if spec["system"] in systems:
            _assessment(management_system, users, spec, systems[spec["system"]], today)
    approve_soa(demo)  # the SoA is approved once the risks and impact assessments it answers exist


def _risk(ms: ManagementSystem, users: dict, spec: dict, systems: dict, controls: dict, today) -> Risk:
    residual = spec["res"] or (None, None)
    risk = services.risk_create(
        management_system=ms,
        user=users["officer"],
        reason="Risk workshop",
        title=spec["title"],
        ai_systems=[systems[name] for name in spec["systems"] if name in systems],
        source=spec["source"],
        description=spec["description"],
        consequence_individuals=spec["description"],
        likelihood=spec["l"],
        consequence_individuals_rating=spec["c"],
        consequence_organisation_rating=max(1, spec["c"] - 1),
        treatment_option=spec["treatment"],
        treatment_plan=spec["plan"],
        controls=[controls[key] for key in spec["controls"] if key in controls],
        residual_likelihood=residual[0],
        residual_consequence=residual[1],
        owner=users[spec["owner"]],
        next_review=today + timedelta(days=spec["review"]),
        actions=[
            {"description": d, "owner": users[o], "due_date": today + timedelta(days=due), "status": status}
            for d, o, due, status in spec["actions"]
        ],
    )
    if spec["accepted"]:
        if risk.residual_level and not risk.criteria.is_acceptable(risk.residual_level):
            risk = services.risk_update(
                risk,
                user=users["officer"],
                expected_version=risk.version,
                reason="Acceptance prepared",
                acceptance_rationale="Further treatment is not proportionate before the next model release; "
                "compensating checks are in place.",
            )
        risk = services.risk_update(
            risk,
            user=users["officer"],
            expected_version=risk.version,
            reason="Acceptance review date set",
            acceptance_review_by=today + timedelta(days=spec["review"]),
        )
        services.risk_accept(
            risk,
            user=users[spec["accepted"]],
            expected_version=risk.version,
            statement="Residual risk and treatment plan accepted; to be reviewed at the next review date.",
            verification=mfa.DEMO,
        )
    return risk


def _progress_after_acceptance(risk: Risk, users: dict) -> None:
    """Mark an action done after the risk was accepted, so the demo shows "changed since accepted"."""
    actions = [
        {"id": a.pk, "description": a.description, "owner": a.owner, "due_date": a.due_date, "status": "done"}
        for a in risk.actions.all()
    ]
    services.risk_update(
        risk,
        user=users["contributor"],
        expected_version=risk.version,
        reason="Supplier update validated",
        actions=actions,
    )


def _assessment(ms: ManagementSystem, users: dict, spec: dict, system: AISystem, today) -> None:
    assessment = services.impact_assessment_create(
        management_system=ms,
        user=users["officer"],
        reason="Impact assessment workshop",
        ai_system=system,
        title=spec["title"],
        trigger=spec["trigger"],
        lifecycle_stage=spec["stage"],
        assessors=spec["assessors"],
        responsible_role=spec["role"],
        scope=spec["scope"],
        system_description=spec["description"],
        intended_uses=system.purpose,
        foreseeable_misuse=spec["misuse"],
        data_sources=spec["data"],
        interested_parties=spec["parties"],
        vulnerable_groups_affected=True,
        vulnerable_groups=spec["vulnerable"],
        decision=spec["decision"],
        conditions=spec["conditions"],
        results_recipients="Clinical safety group; AI steering group",
        retention_period=RETENTION,
        next_review=today + timedelta(days=spec["review"]),
        rows=[
            {
                "area": a,
                "effect": "harm",
                "scenario": "failure" if s >= 4 else "intended_use",
                "people_scale": 4 if g.lower().startswith("patients") else 3,
                "affected_group": g,
                "description": d,
                "severity": s,
                "likelihood": lk,
                "reversibility": r,
                "measures": m,
                "residual_impact": res,
            }
            for a, g, d, s, lk, r, m, res in spec["rows"]
        ],
    )
    first_row = assessment.rows.order_by("pk").first()
    services.risk_raise_from_impact_row(first_row, user=users["officer"])
    if spec["approve"]:
        services.impact_assessment_approve(
            assessment,
            user=users["leader"],
            expected_version=assessment.version,
            statement=f"Approved: {spec['conditions']}",
            verification=mfa.DEMO,
        )
