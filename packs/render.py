"""Turn gathered pack data into HTML, a PDF/A-3b (WeasyPrint) and a signed ZIP bundle.

The bundle carries everything needed to re-check it without the register: ``manifest.json``
(SHA-256 of every file), ``manifest.json.sig`` (its detached Ed25519 signature by the
register's key, ``aims.signing``), ``ledger.json`` (the sign-off chain up to the pack's date
with every signed payload), ``signing-key.pem`` and ``aims-verify.py`` (the standalone
verifier in ``packs/verifier/``). The PDF embeds the manifest of every other file and its
signature, so the PDF alone carries them too.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone

from aims import signing
from aims.pack_sections import PackData
from evidence.selectors import open_evidence_file

MANIFEST_FORMAT = "aims-pack-manifest/2"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.sig"
LEDGER_NAME = "ledger.json"
VERIFIER_NAME = "aims-verify.py"
KEY_NAME = "signing-key.pem"
VERIFIER_PATH = Path(__file__).resolve().parent / "verifier" / VERIFIER_NAME
PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class RenderedPDF:
    content: bytes
    pages: int
    refused_urls: list[str]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def render_pack_html(data: PackData) -> str:
    """Render the pack's HTML from its templates (user content is autoescaped)."""
    return render_to_string("packs/pack_document.html", {"data": data, "pack": data.pack, "ms": data.management_system})


def html_to_pdf(html: str, attachments: Sequence[tuple[str, bytes, str]] = ()) -> RenderedPDF:
    """Convert HTML to a PDF/A-3b with the locked-down fetcher; nothing outside static files and data: is read.

    ``attachments`` are (name, content, description) triples embedded as files of the PDF
    (PDF/A-3 associated files with the relationship "Data"): the pack embeds its manifest.
    """
    from weasyprint import HTML, Attachment

    from packs.fetcher import BASE_URL, StaticOnlyFetcher  # imports WeasyPrint: only in the worker

    fetcher = StaticOnlyFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher, media_type="print").render()
    files = [
        Attachment(file_obj=io.BytesIO(content), name=name, description=description, relationship="Data")
        for name, content, description in attachments
    ]
    content = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=files)
    return RenderedPDF(content=content, pages=len(document.pages), refused_urls=list(fetcher.refused))


def pdf_name(pack: Any) -> str:
    return f"aims-pack-{pack.pk}-{pack.kind}-{pack.as_of:%Y%m%d}.pdf"


def bundle_name(pack: Any) -> str:
    return f"aims-pack-{pack.pk}-{pack.kind}-{pack.as_of:%Y%m%d}-bundle.zip"


def _evidence_path(evidence: Any) -> str:
    return f"evidence/{evidence.reference}.{evidence.file_extension}"


def manifest_of(
    data: PackData,
    pdf: RenderedPDF | None,
    files: list[dict[str, Any]],
    ledger_head: dict[str, Any],
    *,
    generated_at: datetime,
    embedded_manifest_sha256: str | None = None,
) -> dict[str, Any]:
    """The manifest: the pack's parameters, every file's SHA-256, the sign-off chain head and the signing key.

    Without ``pdf`` it is the manifest the PDF embeds: every file of the bundle but the PDF
    itself (a file cannot hold its own digest).
    """
    pack, ms = data.pack, data.management_system
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "pack": {
            "id": pack.pk,
            "kind": pack.kind,
            "as_of": pack.as_of.isoformat(),
            "management_system": {"id": pack.management_system_id, "organisation": ms.organisation, "name": ms.name},
            "requested_by": data.parts.get("requested_by_name", ""),
            "requested_at": pack.requested_at.isoformat() if pack.requested_at else None,
            "generated_at": generated_at.isoformat(),
        },
        "files": files,
        "ledger": LEDGER_NAME,
        "signoff_chain": ledger_head,
        "signing_key": {
            "algorithm": signing.ALGORITHM,
            "public_key": signing.public_key_b64(),
            "fingerprint": signing.fingerprint_hex(),
            "signature_file": SIGNATURE_NAME,
        },
        "verify_with": f"python {VERIFIER_NAME} <this bundle>.zip",
    }
    if pdf is None:
        manifest["scope"] = "Every file of the bundle except the PDF that embeds this manifest."
    else:
        manifest["pdf"] = {
            "path": pdf_name(pack),
            "sha256": pdf.sha256,
            "size": len(pdf.content),
            "pages": pdf.pages,
            "variant": "PDF/A-3b",
            "embedded_manifest_sha256": embedded_manifest_sha256,
        }
    return manifest


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _add_bytes(archive: zipfile.ZipFile, path: str, content: bytes, role: str) -> dict[str, Any]:
    archive.writestr(path, content)
    return {"path": path, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content), "role": role}


def write_bundle(
    target: IO[bytes],
    data: PackData,
    ledger_head: dict[str, Any],
    ledger_export: dict[str, Any],
    render_pdf: Callable[[Sequence[tuple[str, bytes, str]]], RenderedPDF],
) -> tuple[dict[str, Any], RenderedPDF]:
    """Write the bundle ZIP to an open file and render the PDF into it; return the manifest and the PDF.

    The bundle holds the evidence files as of the date, ``ledger.json`` (every sign-off of the
    chain with its signed payload), the standalone verifier, the public key, the PDF,
    ``manifest.json`` (SHA-256 of every file) and ``manifest.json.sig`` (its detached Ed25519
    signature). The PDF is rendered once the other files are written, by ``render_pdf``, with
    their manifest and its signature embedded.
    """
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for evidence in data.parts.get("evidence", []):
            if not evidence.sha256 or not evidence.file:
                continue
            files.append(_add_evidence(archive, evidence))
        files.append(_add_bytes(archive, LEDGER_NAME, _json_bytes(ledger_export), "sign-off chain"))
        # JSON files a section adds for the verifier (the gateway's extract of events): (path, value, role).
        for path, value, role in data.parts.get("bundle_json", []):
            files.append(_add_bytes(archive, path, _json_bytes(value), role))
        files.append(_add_bytes(archive, VERIFIER_NAME, VERIFIER_PATH.read_bytes(), "standalone verifier"))
        files.append(_add_bytes(archive, KEY_NAME, signing.public_key_pem().encode(), "public signing key"))
        generated_at = timezone.now()
        embedded = _json_bytes(manifest_of(data, None, files, ledger_head, generated_at=generated_at))
        pdf = render_pdf(
            [
                (MANIFEST_NAME, embedded, "SHA-256 of every file of the pack's evidence bundle but this PDF"),
                (SIGNATURE_NAME, signing.sign_raw(embedded), "Ed25519 signature of manifest.json by the register"),
            ]
        )
        archive.writestr(pdf_name(data.pack), pdf.content)
        files.insert(0, {"path": pdf_name(data.pack), "sha256": pdf.sha256, "size": len(pdf.content), "role": "pack"})
        manifest = manifest_of(
            data,
            pdf,
            files,
            ledger_head,
            generated_at=generated_at,
            embedded_manifest_sha256=hashlib.sha256(embedded).hexdigest(),
        )
        manifest_bytes = _json_bytes(manifest)
        archive.writestr(MANIFEST_NAME, manifest_bytes)
        archive.writestr(SIGNATURE_NAME, signing.sign_raw(manifest_bytes))
    return manifest, pdf


def _add_evidence(archive: zipfile.ZipFile, evidence: Any) -> dict[str, Any]:
    """Copy one evidence file into the bundle, digesting what was actually written."""
    digest = hashlib.sha256()
    path = _evidence_path(evidence)
    size = 0
    with open_evidence_file(evidence) as source, archive.open(path, "w") as sink:
        for chunk in iter(lambda: source.read(1 << 16), b""):
            digest.update(chunk)
            size += len(chunk)
            sink.write(chunk)
    entry = {
        "path": path,
        "sha256": digest.hexdigest(),
        "size": size,
        "evidence": evidence.reference,
        "title": evidence.title,
        "original_name": evidence.original_name,
        "evidence_date": evidence.evidence_date.isoformat(),
    }
    if entry["sha256"] != evidence.sha256:
        entry["recorded_sha256"] = evidence.sha256
        entry["digest_matches_record"] = False
    return entry


def load_verifier() -> ModuleType:
    """The standalone verifier, loaded from its file (it is a script, not a module of the project)."""
    spec = importlib.util.spec_from_file_location("aims_verify", VERIFIER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verify_bundle(path: Path | str, fingerprint: str | None = None) -> list[str]:
    """The problems ``aims-verify.py`` finds in a bundle, in the order found (empty when it verifies)."""
    return load_verifier().check_bundle(str(path), fingerprint).problems
