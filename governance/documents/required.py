"""The documents ISO/IEC 42001 asks every AIMS to maintain, seeded as drafts with a starter text.

Each required document has a stable ``key`` (code and the pack find the AI policy by
``ai_policy``), the organisation's identifier, a type, the clauses and Annex A controls it
satisfies, and a first draft written for this register (``governance/data/documents/<key>.md``)
with [placeholders] the organisation fills in before approving it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from governance.models import Document

DATA = Path(__file__).resolve().parent.parent / "data" / "documents"
Type = Document.Type


@dataclass(frozen=True)
class RequiredDocument:
    key: str
    identifier: str
    title: str
    doc_type: str
    requirements: tuple[str, ...]  # clause and Annex A control keys
    review_cycle_months: int = 12

    @property
    def starter_text(self) -> str:
        return starter_text(self.key)


REQUIRED: tuple[RequiredDocument, ...] = (
    RequiredDocument("scope", "AIMS-SCO-001", "Scope of the AI management system", Type.PLAN, ("4.3",)),
    RequiredDocument("ai_policy", "AIMS-POL-001", "AI policy", Type.POLICY, ("5.2", "A.2.2", "A.2.3", "A.2.4")),
    RequiredDocument(
        "risk_assessment_process", "AIMS-PRO-001", "AI risk assessment process", Type.PROCESS, ("6.1.2", "8.2")
    ),
    RequiredDocument(
        "risk_treatment_process", "AIMS-PRO-002", "AI risk treatment process", Type.PROCESS, ("6.1.3", "8.3")
    ),
    RequiredDocument(
        "impact_assessment_process",
        "AIMS-PRO-003",
        "AI system impact assessment process",
        Type.PROCESS,
        ("6.1.4", "8.4", "A.5.2", "A.5.3"),
    ),
    RequiredDocument("ai_objectives", "AIMS-PLN-001", "AI objectives and plans to achieve them", Type.PLAN, ("6.2",)),
    RequiredDocument(
        "operational_planning", "AIMS-PRO-004", "Operational planning and control", Type.PROCESS, ("8.1",)
    ),
    RequiredDocument(
        "internal_audit_procedure", "AIMS-PRO-005", "Internal audit procedure", Type.PROCESS, ("9.2.1", "9.2.2")
    ),
    RequiredDocument(
        "incident_communication_plan", "AIMS-PLN-002", "AI incident communication plan", Type.PLAN, ("A.8.4", "A.3.3")
    ),
    RequiredDocument(
        "ai_lifecycle_procedure",
        "AIMS-PRO-006",
        "AI system life cycle procedure",
        Type.PROCESS,
        ("A.6.1.3", "A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.8"),
    ),
    RequiredDocument(
        "data_management_procedure",
        "AIMS-PRO-007",
        "Data management for AI systems",
        Type.PROCESS,
        ("A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6"),
    ),
    RequiredDocument(
        "user_information",
        "AIMS-PRO-008",
        "Information for users and interested parties of AI systems",
        Type.PROCESS,
        ("A.6.2.7", "A.8.2", "A.8.3", "A.8.5"),
    ),
)
BY_KEY = {spec.key: spec for spec in REQUIRED}
AI_POLICY = "ai_policy"


@cache
def starter_text(key: str) -> str:
    """The starter text of a required document (read once per process)."""
    return (DATA / f"{key}.md").read_text(encoding="utf-8")
