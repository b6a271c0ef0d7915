"""Demo evidence for Acme: small real files linked to SoA rows, AI systems and risks (idempotent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from aims.models import ManagementSystem
from registers import evidence_samples as samples
from registers.evidence_services import evidence_create
from registers.models import AISystem, Evidence


@dataclass
class DemoEvidence:
    title: str
    file_name: str
    content: Callable[[], bytes] | None
    age_days: int
    description: str
    controls: list[str] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    risk_words: list[str] = field(default_factory=list)
    impact_words: list[str] = field(default_factory=list)
    url: str = ""


DEMO_EVIDENCE = [
    DemoEvidence(
        "AI policy, approved version 2.1", "ai-policy-v2.1.pdf", lambda: samples.pdf_bytes("Acme Health AI policy v2.1"),
        40, "The AI policy as approved by the executive board.", controls=["A.2.2", "A.2.3"],
    ),
    DemoEvidence(
        "Triage assistant bias evaluation, Q1", "triage-bias-q1.csv", lambda: samples.csv_bytes(
            [["group", "n", "accuracy", "false_negative_rate"], ["age 18-40", "1200", "0.94", "0.03"],
             ["age 41-65", "1350", "0.93", "0.04"], ["age 65+", "980", "0.91", "0.05"]]
        ),
        25, "Accuracy and false-negative rate per age group on the Q1 hold-out set.",
        controls=["A.6.2.4", "A.7.4"], systems=["Patient message triage"], risk_words=["bias", "fair"],
    ),
    DemoEvidence(
        "Model card: triage classifier", "triage-model-card.json",
        lambda: b'{"model": "triage-classifier", "version": "2.3.0", "intended_use": "suggest a triage category",'
        b' "limitations": ["not for emergencies"], "evaluation": {"accuracy": 0.93}}',
        60, "Model card exported from the model registry.", controls=["A.6.2.3", "A.6.2.7"],
        systems=["Patient message triage"],
    ),
    DemoEvidence(
        "Monitoring dashboard snapshot", "monitoring-snapshot.png", lambda: samples.png_bytes(24, 12, (40, 120, 90)),
        10, "Drift and override-rate panels for the last 30 days.", controls=["A.6.2.6", "A.6.2.8"],
        systems=["Patient message triage"], risk_words=["drift", "degrad"],
    ),
    DemoEvidence(
        "Supplier due-diligence workbook", "supplier-due-diligence.xlsx", samples.xlsx_bytes,
        120, "Questionnaire answers and review of the model supplier.", controls=["A.10.2", "A.10.3"],
        risk_words=["supplier", "third"],
    ),
    DemoEvidence(
        "Incident response runbook", "incident-runbook.docx", lambda: samples.docx_bytes("AI incident runbook"),
        400, "Runbook for AI incidents; due for review.", controls=["A.8.4", "A.8.3"],
    ),
    DemoEvidence(
        "Impact assessment workshop minutes (intranet)", "", None, 30,
        "Minutes of the workshop with clinicians and patient representatives.", controls=["A.5.2", "A.5.4"],
        url="https://intranet.acme-health.example/aims/impact-workshop-minutes", impact_words=["triage"],
    ),
]  # fmt: skip


def _soa_rows(management_system: ManagementSystem, keys: list[str]) -> list:
    try:
        from controls.models import Applicability
    except ImportError:
        return []
    return list(Applicability.objects.filter(management_system=management_system, control__key__in=keys))


def _matching(management_system: ManagementSystem, model_name: str, words: list[str]) -> list:
    """Up to three risks or impact assessments whose title or description mentions one of the words."""
    from django.apps import apps

    if not words:
        return []
    model = apps.get_model("assessments", model_name)
    found = []
    for record in model.objects.filter(management_system=management_system).order_by("reference"):
        text = f"{record.title} {getattr(record, 'description', '')} {getattr(record, 'scope', '')}".lower()
        if any(word in text for word in words):
            found.append(record)
    return found[:3]


def load(management_system: ManagementSystem, users: dict[str, AbstractBaseUser]) -> None:
    """Record the demo evidence that is missing, as the compliance officer, and request a first full pack."""
    officer = users.get("officer") or users["owner"]
    existing = set(Evidence.objects.filter(management_system=management_system).values_list("title", flat=True))
    today = timezone.localdate()
    for item in DEMO_EVIDENCE:
        if item.title in existing:
            continue
        links = {
            "ai_systems": list(AISystem.objects.filter(management_system=management_system, name__in=item.systems)),
            "soa_rows": _soa_rows(management_system, item.controls),
            "risks": _matching(management_system, "Risk", item.risk_words),
            "impact_assessments": _matching(management_system, "ImpactAssessment", item.impact_words),
        }
        upload = SimpleUploadedFile(item.file_name, item.content()) if item.content else None
        evidence_create(
            management_system=management_system,
            user=officer,
            title=item.title,
            description=item.description,
            evidence_date=today - timedelta(days=item.age_days),
            upload=upload,
            url=item.url,
            links=links,
            reason="Demo evidence",
        )
    _request_first_pack(management_system, users)


def _request_first_pack(management_system: ManagementSystem, users: dict[str, AbstractBaseUser]) -> None:
    """Queue a full pack as the auditor once, so the demo's worker has one ready to download."""
    from aims.packs.models import AuditPack
    from aims.packs.services import pack_request

    if "auditor" in users and not AuditPack.objects.filter(management_system=management_system).exists():
        pack_request(management_system=management_system, user=users["auditor"], kind=AuditPack.Kind.FULL)
