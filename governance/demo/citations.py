"""Demo citations for Acme Health: a few SoA rows' justifications cite the legal register, a risk, an impact
assessment and the AI policy. Idempotent: a citation already there (same row, same record) is left alone."""

from __future__ import annotations

from typing import Any

from aims.demo import Demo
from assessments.models import ImpactAssessment, Risk
from controls.models import Applicability
from governance.citations import services
from governance.models import Document, Requirement, SoaCitation

Reason = SoaCitation.ReasonType

# control key, reason type, (target field, model, lookup), note
CITATIONS: list[tuple[str, str, tuple[str, type, dict[str, Any]], str]] = [
    ("A.6.2.8", Reason.LEGAL, ("requirement", Requirement, {"source_reference": "EU AI Act Art. 26(6)"}),
     "Deployers keep the logs of high-risk AI systems for at least six months."),
    ("A.9.2", Reason.LEGAL, ("requirement", Requirement, {"source_reference": "EU AI Act Art. 26(1), 26(2), 26(5)"}),
     "Use according to the instructions, with human oversight."),
    ("A.5.2", Reason.LEGAL, ("requirement", Requirement, {"source_reference": "UK GDPR Art. 35"}),
     "A DPIA before high-risk processing."),
    ("A.5.2", Reason.IMPACT_ASSESSMENT,
     ("impact_assessment", ImpactAssessment, {"title": "Impact assessment: patient message triage (go-live)"}),
     "The go-live assessment found the impacts this process must keep assessing."),
    ("A.9.3", Reason.RISK_TREATMENT,
     ("risk", Risk, {"title": "Clinicians over-rely on the triage category (automation bias)"}),
     "Treats the automation-bias risk."),
    ("A.2.2", Reason.POLICY, ("document", Document, {"key": "ai_policy"}), "The AI policy itself."),
]  # fmt: skip


def load(demo: Demo) -> None:
    ms, officer = demo.acme, demo.acme_users["officer"]
    rows = {
        row.control.key: row for row in Applicability.objects.filter(management_system=ms).select_related("control")
    }
    for key, reason_type, (field, model, lookup), note in CITATIONS:
        row = rows.get(key)
        target = model._default_manager.filter(management_system=ms, **lookup).order_by("pk").first()
        if row is None or target is None or getattr(target, "is_retired", False):
            continue
        if SoaCitation.objects.filter(applicability=row, **{field: target}).exists():
            continue
        services.citation_add(
            applicability=row,
            user=officer,
            reason_type=reason_type,
            note=note,
            reason="Demo citation",
            **{field: target},
        )
        demo.created.append(f"SoA citation {key} → {target}")
