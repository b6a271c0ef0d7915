"""Demo evidence for Acme: small real files linked to SoA rows, AI systems, risks and impact assessments.

A demo step (idempotent). Evidence imports no feature app: each item names the records it
is linked to by linkable key and a filter on that kind's model (see ``evidence.linkables``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import reduce
from operator import or_

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from aims.demo import Demo
from aims.models import ManagementSystem
from evidence.demo import samples
from evidence.linkables import linkable
from evidence.models import Evidence
from evidence.services import evidence_create


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


def _words(*fields: str, words: list[str]) -> Q | None:
    """Records whose text fields mention one of the words."""
    if not words:
        return None
    return reduce(or_, (Q(**{f"{name}__icontains": word}) for name in fields for word in words))


def _links(management_system: ManagementSystem, item: DemoEvidence) -> dict[str, list]:
    """The records an item is linked to, found through the linkable kinds' models (at most three per kind)."""
    wanted = {
        "ai_systems": Q(name__in=item.systems) if item.systems else None,
        "soa_rows": Q(control__key__in=item.controls) if item.controls else None,
        "risks": _words("title", "description", words=item.risk_words),
        "impact_assessments": _words("title", "scope", words=item.impact_words),
    }
    links = {}
    for key, condition in wanted.items():
        if condition is None:
            continue
        try:
            model = linkable(key).model
        except LookupError:  # the app that owns such records is not installed
            continue
        found = model._default_manager.filter(condition, management_system=management_system).order_by("reference")
        links[key] = list(found[:3]) if key in ("risks", "impact_assessments") else list(found)
    return links


def load(demo: Demo) -> None:
    """Record the demo evidence that is missing in Acme Health, as the compliance officer."""
    management_system = demo.acme
    officer = demo.users["officer"]
    existing = set(Evidence.objects.filter(management_system=management_system).values_list("title", flat=True))
    today = timezone.localdate()
    for item in DEMO_EVIDENCE:
        if item.title in existing:
            continue
        links = _links(management_system, item)
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
