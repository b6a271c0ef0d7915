"""The demo evidence: real files linked to SoA rows, systems and risks; loading twice adds nothing."""

from __future__ import annotations

from aims import demo
from evidence.models import Evidence
from evidence.selectors import attach_links
from gateway.models import GatewayEvidence
from packs.models import AuditPack


def test_demo_evidence_is_linked_and_loading_twice_adds_nothing(db, django_capture_on_commit_callbacks, monkeypatch):
    from packs import services

    enqueued = []
    monkeypatch.setattr(services, "enqueue_render", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        result = demo.load()
    acme = result.acme
    # The evidence the demo uploads (the gateway's records of its demo traffic are written by the gateway).
    uploaded = Evidence.objects.filter(management_system=acme).exclude(
        pk__in=GatewayEvidence.objects.values("evidence")
    )
    evidence = attach_links(uploaded)
    assert len(evidence) == 7
    assert all(e.soa_rows for e in evidence)
    assert any(e.ai_systems for e in evidence) and any(e.risks for e in evidence)
    assert any(e.impact_assessments for e in evidence)
    assert {e.content_type for e in evidence if e.kind == "file"} >= {"application/pdf", "text/csv", "image/png"}
    total = Evidence.objects.filter(management_system=acme).count()
    pack = AuditPack.objects.get(management_system=acme)
    assert pack.requested_by.username == "auditor" and enqueued == [pack.pk]
    with django_capture_on_commit_callbacks(execute=True):
        demo.load()
    assert uploaded.count() == 7 and AuditPack.objects.count() == 1
    assert Evidence.objects.filter(management_system=acme).count() == total
