"""Helpers shared by the pack tests."""

from __future__ import annotations

import io
from datetime import date

from django.utils import timezone
from pypdf import PdfReader

from controls.models import Applicability
from evidence.demo import samples
from packs.models import AuditPack
from tests.factories import EvidenceFactory, decide_soa_row


def make_pack(world, *, kind=AuditPack.Kind.FULL, user=None, as_of=None) -> AuditPack:
    return AuditPack.objects.create(
        management_system=world.acme, kind=kind, as_of=as_of or timezone.now(), requested_by=user or world.auditor
    )


def make_evidence(world, *, title="Bias evaluation report", name="bias.pdf", data=None, links=None):
    return EvidenceFactory(
        management_system=world.acme, user=world.officer, title=title, evidence_date=date(2026, 1, 15),
        file_name=name, data=data, links=links,
    )  # fmt: skip


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.split())  # cell text wraps: compare with single spaces


def make_ready_pack(world, **kw) -> AuditPack:
    """A ready pack with small stand-in files (fast; rendering itself is tested elsewhere)."""
    import hashlib
    import io
    import zipfile

    from django.core.files.base import ContentFile

    from packs.render import bundle_name, pdf_name
    from packs.services import pack_folder, pack_storage

    pack = make_pack(world, **kw)
    pdf = samples.pdf_bytes("pack")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(pdf_name(pack), pdf)
    bundle = buffer.getvalue()
    pack_storage().save(f"{pack_folder(pack)}/{pdf_name(pack)}", ContentFile(pdf))
    pack_storage().save(f"{pack_folder(pack)}/{bundle_name(pack)}", ContentFile(bundle))
    AuditPack.objects.filter(pk=pack.pk).update(
        status="ready", progress=100, file_name=pdf_name(pack), sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
        pages=1, bundle_name=bundle_name(pack), bundle_sha256=hashlib.sha256(bundle).hexdigest(), bundle_size=len(bundle),
    )  # fmt: skip
    pack.refresh_from_db()
    return pack


def decide(world, key: str, decision: str, justification: str, status: str) -> Applicability:
    return decide_soa_row(
        world.acme, key, user=world.officer, reason="Updated", applicable=decision, justification=justification,
        implementation_status=status,
    )  # fmt: skip
