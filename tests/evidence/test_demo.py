"""The demo evidence: real files linked to SoA rows, systems and risks; loading twice adds nothing."""

from __future__ import annotations

from aims import demo
from aims.packs.models import AuditPack
from registers.models import Evidence


def test_demo_evidence_is_linked_and_loading_twice_adds_nothing(db, django_capture_on_commit_callbacks, monkeypatch):
    from aims.packs import services

    enqueued = []
    monkeypatch.setattr(services, "enqueue_render", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        result = demo.load()
    acme = result.acme
    evidence = Evidence.objects.filter(management_system=acme)
    assert evidence.count() == 7
    assert evidence.filter(soa_rows__isnull=False).distinct().count() == 7
    assert evidence.filter(ai_systems__isnull=False).exists() and evidence.filter(risks__isnull=False).exists()
    assert {e.content_type for e in evidence if e.kind == "file"} >= {"application/pdf", "text/csv", "image/png"}
    pack = AuditPack.objects.get(management_system=acme)
    assert pack.requested_by.username == "auditor" and enqueued == [pack.pk]
    with django_capture_on_commit_callbacks(execute=True):
        demo.load()
    assert Evidence.objects.filter(management_system=acme).count() == 7 and AuditPack.objects.count() == 1
