"""Evidence and download records are append-only, in the database itself on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from evidence.models import Evidence, EvidenceDownload
from evidence.services import evidence_download_record
from packs.models import PackDownload
from tests.factories import EvidenceFactory
from tests.packs.helpers import make_ready_pack

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only")
REFUSED = (InternalError, ProgrammingError, IntegrityError)


def refused(operation) -> bool:
    try:
        with transaction.atomic():
            operation()
    except REFUSED as error:
        return "append-only" in str(error)
    return False


def test_evidence_cannot_be_changed_or_deleted_in_the_database(world):
    evidence = EvidenceFactory(
        management_system=world.acme,
        user=world.officer,
        title="Policy",
        evidence_date=date(2026, 1, 1),
        url="https://example.org/p",
    )
    assert refused(lambda: Evidence.objects.filter(pk=evidence.pk).update(title="Forged"))
    assert refused(lambda: Evidence.objects.filter(pk=evidence.pk).update(sha256="0" * 64))
    assert refused(lambda: Evidence.objects.filter(pk=evidence.pk).delete())
    record = evidence_download_record(evidence=evidence, user=world.auditor)
    assert refused(lambda: EvidenceDownload.objects.filter(pk=record.pk).delete())
    assert Evidence.objects.get(pk=evidence.pk).title == "Policy"


def test_pack_download_records_cannot_be_changed_or_deleted(world):
    pack = make_ready_pack(world)
    record = PackDownload.objects.create(pack=pack, user=world.auditor, part="pdf", sha256=pack.sha256)
    assert refused(lambda: PackDownload.objects.filter(pk=record.pk).update(user=world.owner))
    assert refused(lambda: PackDownload.objects.filter(pk=record.pk).delete())
