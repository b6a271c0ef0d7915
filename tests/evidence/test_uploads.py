"""Evidence uploads: the content decides the type; refusals store nothing."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.demo import samples
from evidence.models import Evidence
from evidence.services import evidence_create, evidence_supersede
from tests.factories import EvidenceFactory


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def create(world, file, **kw):
    return EvidenceFactory(
        management_system=world.acme,
        user=world.officer,
        title="Bias test",
        evidence_date=date(2026, 1, 10),
        upload=file,
        **kw,
    )


ALLOWED = [
    ("report.pdf", samples.pdf_bytes(), "application/pdf"),
    ("chart.png", samples.png_bytes(), "image/png"),
    ("photo.jpeg", samples.jpeg_bytes(), "image/jpeg"),
    ("metrics.csv", samples.csv_bytes(), "text/csv"),
    ("sheet.xlsx", samples.xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (
        "minutes.docx",
        samples.docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("log.txt", b"2026-01-01 model retrained\n", "text/plain"),
    ("card.json", b'{"model": "triage-v2"}', "application/json"),
]


@pytest.mark.parametrize("name,data,mime", ALLOWED, ids=[case[0] for case in ALLOWED])
def test_allowed_types_are_stored_under_generated_name_with_digest(world, name, data, mime):
    evidence = create(world, upload(name, data))
    assert evidence.content_type == mime
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.original_name == name
    assert name not in evidence.file.name and evidence.file.name.startswith(f"evidence/{world.acme.pk}/")
    assert Path(evidence.file.path).read_bytes() == data
    assert str(Path(evidence.file.path)).startswith(str(settings.MEDIA_ROOT))
    assert evidence.history.count() == 1 and evidence.history.first().history_user == world.officer


REFUSED = [
    ("big.pdf", samples.pdf_bytes() + b"0" * 2048, "limit is"),
    ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "not accepted"),
    ("sheet.xlsx", samples.zip_bytes(), "not accepted"),
    ("page.pdf", b"<html><script>alert(1)</script></html>", "named .pdf but its content is text"),
    ("chart.png", samples.pdf_bytes(), "named .png but its content is PDF"),
    ("data.json", b"{not json", "not accepted"),
    ("binary.txt", b"\xff\xfe\x00\x01garbage", "not accepted"),
    ("../../etc/cron.d/evil.pdf", samples.pdf_bytes(), "plain file name"),
    ("..", samples.pdf_bytes(), "plain file name"),
    ("..%2F..%2Fsecret.pdf", samples.pdf_bytes(), "plain file name"),
    ("empty.pdf", b"", "empty"),
]


@pytest.mark.parametrize("name,data,message", REFUSED, ids=[case[0] for case in REFUSED])
def test_refused_uploads_give_a_clear_message_and_store_nothing(world, settings, name, data, message):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = len(samples.pdf_bytes()) + 1024
    file = upload("x.bin", data)
    file._name = name  # bypass Django's basename() to test our own defence too
    with pytest.raises(ValidationError) as refused:
        create(world, file)
    assert message in " ".join(refused.value.message_dict["file"])
    assert Evidence.objects.count() == 0
    assert stored_files() == []


def test_default_upload_limit_is_25_mb():
    assert settings.EVIDENCE_MAX_UPLOAD_BYTES == 25 * 1024 * 1024


def test_correction_is_a_new_version_and_the_old_stays_unchanged(world):
    first = create(world, upload("v1.pdf", samples.pdf_bytes("v1")))
    second = evidence_supersede(
        first, user=world.officer, evidence_date=date(2026, 2, 1), upload=upload("v2.pdf", samples.pdf_bytes("v2"))
    )
    first.refresh_from_db()
    assert second.supersedes == first and first.superseded_by == second
    assert first.version == 1 and first.history.count() == 1
    assert Path(first.file.path).read_bytes() == samples.pdf_bytes("v1")
    with pytest.raises(ValidationError, match="already been superseded"):
        evidence_supersede(first, user=world.officer, evidence_date=date(2026, 2, 2), url="https://example.org/x")


def test_link_evidence_needs_a_url(world):
    evidence = evidence_create(
        management_system=world.acme,
        user=world.officer,
        title="Policy page",
        evidence_date=date(2026, 1, 1),
        url="https://intranet.example/ai-policy",
    )
    assert evidence.kind == Evidence.Kind.LINK and evidence.sha256 == ""
    with pytest.raises(ValidationError):
        evidence_create(management_system=world.acme, user=world.officer, title="x", evidence_date=date(2026, 1, 1))
