"""Turn gathered pack data into HTML, a PDF (WeasyPrint) and a ZIP bundle with a manifest."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone

from aims.pack_sections import PackData
from evidence.selectors import open_evidence_file


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


def html_to_pdf(html: str) -> RenderedPDF:
    """Convert HTML to PDF with the locked-down fetcher; nothing outside static files and data: is read."""
    from weasyprint import HTML

    from packs.fetcher import BASE_URL, StaticOnlyFetcher  # imports WeasyPrint: only in the worker

    fetcher = StaticOnlyFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher, media_type="print").render()
    content = document.write_pdf()
    return RenderedPDF(content=content, pages=len(document.pages), refused_urls=list(fetcher.refused))


def pdf_name(pack: Any) -> str:
    return f"aims-pack-{pack.pk}-{pack.kind}-{pack.as_of:%Y%m%d}.pdf"


def bundle_name(pack: Any) -> str:
    return f"aims-pack-{pack.pk}-{pack.kind}-{pack.as_of:%Y%m%d}-bundle.zip"


def _evidence_path(evidence: Any) -> str:
    return f"evidence/{evidence.reference}.{evidence.file_extension}"


def manifest_of(
    data: PackData, pdf: RenderedPDF, files: list[dict[str, Any]], ledger_head: dict[str, Any]
) -> dict[str, Any]:
    """The manifest: the pack's parameters, every file's SHA-256, and the sign-off chain head."""
    pack, ms = data.pack, data.management_system
    return {
        "format": "aims-pack-manifest/1",
        "pack": {
            "id": pack.pk,
            "kind": pack.kind,
            "as_of": pack.as_of.isoformat(),
            "management_system": {"id": pack.management_system_id, "organisation": ms.organisation, "name": ms.name},
            "requested_by": data.parts.get("requested_by_name", ""),
            "requested_at": pack.requested_at.isoformat() if pack.requested_at else None,
            "generated_at": timezone.now().isoformat(),
        },
        "pdf": {"path": pdf_name(pack), "sha256": pdf.sha256, "size": len(pdf.content), "pages": pdf.pages},
        "files": files,
        "signoff_chain": ledger_head,
    }


def write_bundle(target: IO[bytes], data: PackData, pdf: RenderedPDF, ledger_head: dict[str, Any]) -> dict[str, Any]:
    """Write the ZIP (PDF, evidence files as of the date, manifest.json) to an open file; return the manifest."""
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(pdf_name(data.pack), pdf.content)
        files.append({"path": pdf_name(data.pack), "sha256": pdf.sha256, "size": len(pdf.content)})
        for evidence in data.parts.get("evidence", []):
            if not evidence.sha256 or not evidence.file:
                continue
            files.append(_add_evidence(archive, evidence))
        manifest = manifest_of(data, pdf, files, ledger_head)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


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


def verify_bundle(path: Path | str) -> list[str]:
    """Return the problems found checking a bundle against its manifest (empty when it verifies)."""
    problems = []
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist()) - {"manifest.json"}
        listed = {entry["path"] for entry in manifest["files"]}
        problems += [f"{name}: not in the manifest" for name in sorted(names - listed)]
        for entry in manifest["files"]:
            if entry["path"] not in names:
                problems.append(f"{entry['path']}: missing")
            elif hashlib.sha256(archive.read(entry["path"])).hexdigest() != entry["sha256"]:
                problems.append(f"{entry['path']}: SHA-256 differs")
    return problems
