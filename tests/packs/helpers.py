"""Helpers shared by the pack tests."""

from __future__ import annotations

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from controls.models import Applicability
from controls.services import applicability_update
from evidence.demo import samples
from evidence.services import evidence_create
from packs.models import AuditPack


def make_pack(world, *, kind=AuditPack.Kind.FULL, user=None, as_of=None) -> AuditPack:
    return AuditPack.objects.create(
        management_system=world.acme, kind=kind, as_of=as_of or timezone.now(), requested_by=user or world.auditor
    )


def make_evidence(world, *, title="Bias evaluation report", name="bias.pdf", data=None, links=None):
    return evidence_create(
        management_system=world.acme,
        user=world.officer,
        title=title,
        evidence_date=date(2026, 1, 15),
        upload=SimpleUploadedFile(name, data or samples.pdf_bytes(title)),
        links=links,
    )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.split())  # cell text wraps: compare with single spaces


def make_ready_pack(world, **kw) -> AuditPack:
    """A ready pack with small stand-in files (fast; rendering itself is tested elsewhere)."""
    import hashlib
    import zipfile

    from packs.render import bundle_name, pdf_name
    from packs.services import pack_dir

    pack = make_pack(world, **kw)
    pdf = samples.pdf_bytes("pack")
    folder = pack_dir(pack)
    (folder / pdf_name(pack)).write_bytes(pdf)
    with zipfile.ZipFile(folder / bundle_name(pack), "w") as archive:
        archive.writestr(pdf_name(pack), pdf)
    bundle = (folder / bundle_name(pack)).read_bytes()
    AuditPack.objects.filter(pk=pack.pk).update(
        status="ready", progress=100, file_name=pdf_name(pack), sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
        pages=1, bundle_name=bundle_name(pack), bundle_sha256=hashlib.sha256(bundle).hexdigest(), bundle_size=len(bundle),
    )  # fmt: skip
    pack.refresh_from_db()
    return pack


def decide(world, key: str, decision: str, justification: str, status: str) -> Applicability:
    row = Applicability.objects.get(management_system=world.acme, control__key=key)
    return applicability_update(
        row, user=world.officer, expected_version=row.version, applicable=decision, justification=justification,
        implementation_status=status,
    )  # fmt: skip
