"""Turn gathered pack data into HTML, a PDF/A-3b (WeasyPrint) and a signed ZIP bundle.

The bundle carries everything needed to re-check it without the register: ``manifest.json``
(SHA-256 of every file), ``manifest.json.sig`` (its detached Ed25519 signature by the
register's key, ``aims.signing``), ``ledger.json`` (the sign-off chain up to the pack's date
with every signed payload), ``signing-key.pem`` and ``aims-verify.py`` (the standalone
verifier in ``packs/verifier/``). The PDF embeds the manifest of every other file and its
signature, so the PDF alone carries them too.

The PDF is made of parts rendered as documents of their own, at once, by the processes of
``packs.parallel``: the cover (which carries the attachments and the PDF/A metadata), each
section (a section larger than ``AIMS_PACK_SECTION_MAX_BYTES`` of HTML is split into
chunks of whole rows, so a process's memory is bounded by a chunk, not by the pack), then
the contents with the sections' real first pages. ``join_parts`` puts them together with
pypdf, builds the outline (a bookmark for every section, with the sections' own headings
under it), links the contents to the sections and stamps the running headers and
"Page n of N" on every page from one more rendered document (the overlay), so a section
never depends on the pack it is in or on the page it starts at: an unchanged section is
read back from the section cache instead of being rendered again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone

from aims import signing
from aims.pack_sections import PackData
from evidence.selectors import open_evidence_file
from packs.parallel import STATS, Job, Result, pool_size, render_documents, section_get, section_put

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
            "scope": data.pack_scope.as_dict(),
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


_STREAMED = "\x00streamed\x00"  # stands for the streamed list in the envelope (JSON escapes it; no value holds it)


def json_chunks(value: dict[str, Any], key: str) -> Iterator[bytes]:
    """The bytes of ``_json_bytes(value)``, written with ``value[key]`` (an iterable) an item at a time.

    The envelope is dumped with a stand-in for the list and cut there; each item is dumped on its
    own and indented to its depth (``json.dumps`` writes no raw newline inside a string, so every
    newline of an item is one of its lines). Memory holds one item, not the list.
    """
    envelope = json.dumps({**value, key: _STREAMED}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    head, tail = envelope.split(json.dumps(_STREAMED), 1)
    yield head.encode("utf-8")
    first = True
    for item in value[key]:
        text = json.dumps(item, indent=2, sort_keys=True, ensure_ascii=False).replace("\n", "\n    ")
        yield (("[\n    " if first else ",\n    ") + text).encode("utf-8")
        first = False
    yield ("[]" if first else "\n  ]").encode("utf-8")
    yield tail.encode("utf-8")


def _add_chunks(archive: zipfile.ZipFile, path: str, chunks: Iterable[bytes], role: str) -> dict[str, Any]:
    """Write a file of the bundle from its chunks, digesting what was written."""
    digest, size = hashlib.sha256(), 0
    with archive.open(path, "w") as sink:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            sink.write(chunk)
    return {"path": path, "sha256": digest.hexdigest(), "size": size, "role": role}


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
        # ledger.json entry by entry: a large chain's payloads are never all in memory.
        files.append(_add_chunks(archive, LEDGER_NAME, json_chunks(ledger_export, "signoffs"), "sign-off chain"))
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


# --- rendering in parts ---------------------------------------------------------------------------


@dataclass
class SectionPart:
    """A section of the pack as the HTML documents it is rendered from (more than one when it is large).

    ``render_pack_parts`` gives the chapter's whole HTML (``chapter``) and makes the documents only
    when they are asked for (``split``): a section read back whole from the section cache is never
    split. A part made with its ``documents`` is used as it is.
    """

    key: str
    title: str
    number: int
    documents: list[str] = field(default_factory=list)
    chapter: str = ""
    limit: int = 0

    def split(self) -> list[str]:
        """The documents the section is rendered from (the chapter split into pieces of at most ``limit``)."""
        if not self.documents:
            self.documents = [
                _document_html(self.title, piece, _counter_css(self.number, first=i == 0))
                for i, piece in enumerate(split_chapter(self.chapter, self.limit))
            ]
        return self.documents

    @property
    def cache_key(self) -> str | None:
        """The section cache's key for the whole section: its document's HTML (styles, number, content) and split limit."""
        if not self.chapter:
            return None
        document = _document_html(self.title, self.chapter, _counter_css(self.number, first=True))
        return Job(document).key_with(f"section\0{self.limit}\0")


@dataclass
class PackParts:
    """A pack's HTML in parts: its sections' documents; the cover, contents and overlay are made at render time."""

    data: PackData
    sections: list[SectionPart]


def _counter_css(number: int, *, first: bool) -> str:
    return f"\nbody {{ counter-reset: chapter {number - (1 if first else 0)}; }}"


def _document_html(title: str, body: str, extra_css: str = "") -> str:
    from django.utils.html import escape

    styles = render_to_string("packs/partials/pack_styles.css") + render_to_string(
        "packs/partials/pack_part_styles.css"
    )
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
        f"<style>\n{styles}{extra_css}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def render_pack_parts(data: PackData) -> PackParts:
    """Render each section's chapter to HTML (chapter numbers continue from the section before).

    The chapter is split into documents only if it is rendered (``SectionPart.split``).
    """
    from django.conf import settings

    limit = int(getattr(settings, "AIMS_PACK_SECTION_MAX_BYTES", 100_000))
    context = {"data": data, "pack": data.pack, "ms": data.management_system}
    parts = []
    for number, (section, dc) in enumerate(data.chapters, start=1):
        chapter = render_to_string("packs/partials/chapter.html", {**context, "section": section, "dc": dc})
        parts.append(SectionPart(key=section.key, title=section.title, number=number, chapter=chapter, limit=limit))
    return PackParts(data=data, sections=parts)


def split_chapter(html: str, limit: int) -> list[str]:
    """The chapter's HTML as is when it is at most ``limit`` characters, else in pieces of about that size.

    The chapter element is copied into every piece with a run of its children; a child too large
    is split the same way, a table keeping its caption, column groups and header in every
    piece, so pieces break between rows. Pieces after the first are marked ``continued``.
    """
    if len(html) <= limit:
        return [html]
    import xml.etree.ElementTree as ET

    import tinyhtml5

    body = tinyhtml5.parse(html, namespace_html_elements=False).find("body")
    chapter = next(iter(body))
    pieces = _split_element(chapter, limit)
    out = []
    for i, piece in enumerate(pieces):
        if i:
            piece.set("class", f"{piece.get('class', '')} continued".strip())
            piece.attrib.pop("id", None)
        out.append(ET.tostring(piece, encoding="unicode", method="html"))
    return out


_REPEATED = {"table": ("caption", "colgroup", "thead")}


def _size(element: Any) -> int:
    import xml.etree.ElementTree as ET

    return len(ET.tostring(element, encoding="unicode", method="html"))


def _split_element(element: Any, limit: int) -> list[Any]:
    import copy
    import xml.etree.ElementTree as ET

    if len(element) == 0 or _size(element) <= limit:
        return [element]
    repeated = [c for c in element if c.tag in _REPEATED.get(element.tag, ())]
    groups: list[list[Any]] = [[]]
    used = sum(_size(c) for c in repeated)
    base = used
    for child in element:
        if child in repeated:
            continue
        for part in _split_element(child, limit - base):
            size = _size(part)
            if groups[-1] and used + size > limit:
                groups.append([])
                used = base
            groups[-1].append(part)
            used += size
    pieces = []
    for i, group in enumerate(groups):
        piece = ET.Element(element.tag, dict(element.attrib))
        piece.text = element.text if i == 0 else None
        piece.extend(copy.deepcopy(repeated) if i else repeated)
        piece.extend(group)
        pieces.append(piece)
    return pieces


def _page_size_classes(sizes: list[tuple[float, float]]) -> tuple[list[str], str]:
    """A class per page for the overlay (empty for A4 portrait) and the CSS naming each other page size."""
    names: dict[tuple[int, int], str] = {}
    classes = []
    for width, height in sizes:
        rounded = (round(width), round(height))
        if abs(width - A4[0]) < 2 and abs(height - A4[1]) < 2:
            classes.append("")
            continue
        names.setdefault(rounded, f"size-{rounded[0]}x{rounded[1]}")
        classes.append(names[rounded])
    rules = "".join(f".{n} {{ page: {n}; }} @page {n} {{ size: {w}pt {h}pt; }}\n" for (w, h), n in names.items())
    return classes, rules


def _toc_html(data: PackData, parts: PackParts, first_pages: dict[str, int]) -> str:
    entries = [(section, first_pages[section.key]) for section in parts.sections]
    return render_to_string("packs/pack_toc_document.html", {"entries": entries, "pack": data.pack})


@dataclass
class Overlay:
    """What is stamped over the joined pages: the running headers (a document with one page per kind of
    page, as ``kinds`` gives for each page) and the page numbers (documents of one page per page)."""

    headers: Job
    kinds: list[int]
    labels: list[Job]


def _overlay(data: PackData, sizes: list[tuple[float, float]], cover_pages: int) -> Overlay:
    """The running headers, which name the pack, apart from "Page n of N", which only the page count and sizes set.

    The headers are laid out once for each kind of page (the cover or not, each page size); the page
    numbers are cacheable documents, so a pack of the same length as an earlier one lays out no page for them.
    """
    from django.utils.safestring import mark_safe

    classes, rules = _page_size_classes(sizes)
    total = len(sizes)
    sheets = [{"number": i + 1, "cover": i < cover_pages, "size": classes[i]} for i in range(total)]
    kinds: dict[tuple[bool, str], int] = {}
    for sheet in sheets:
        kinds.setdefault((sheet["cover"], sheet["size"]), len(kinds))
    context = {"total": total, "page_rules": mark_safe(rules), "pack": data.pack, "ms": data.management_system}  # noqa: S308  (class names and numbers made above)
    header_sheets = [{"cover": cover, "size": size} for cover, size in kinds]
    headers = Job(
        render_to_string("packs/pack_overlay_document.html", {**context, "mode": "headers", "sheets": header_sheets}),
        label="running headers",
    )
    # In documents of equal length, at least one per render process, so they are laid out side by side.
    documents = max(-(-total // OVERLAY_PAGES), pool_size(), 1)
    length = max(-(-total // documents), 1)
    labels = [
        Job(
            render_to_string(
                "packs/pack_overlay_document.html",
                {**context, "mode": "labels", "sheets": sheets[start : start + length]},
            ),
            cacheable=True,
            label="page numbers",
        )
        for start in range(0, total, length)
    ]
    return Overlay(headers=headers, kinds=[kinds[(s["cover"], s["size"])] for s in sheets], labels=labels)


OVERLAY_PAGES = 250
A4 = (595.0, 842.0)
SECTION_LINK = "aims-section:"


def parts_to_pdf(parts: PackParts, attachments: Sequence[tuple[str, bytes, str]] = ()) -> RenderedPDF:
    """Render the parts in parallel (sections from the cache where unchanged) and join them into one PDF/A-3b."""
    from pypdf import PdfReader

    data = parts.data
    cover = Job(
        render_to_string(
            "packs/pack_cover_document.html", {"data": data, "pack": data.pack, "ms": data.management_system}
        ),
        attachments=tuple(attachments),
        label="cover",
    )
    started = time.perf_counter()
    # A section unchanged since an earlier pack is read back whole (its index and documents); the others
    # are split into documents, each of which may still be in the cache (a long section changed in one chunk).
    whole = {part.key: found for part in parts.sections if (found := _cached_section(part)) is not None}
    todo = [part for part in parts.sections if part.key not in whole]
    section_jobs = [
        Job(document, cacheable=True, label=f"{part.key}[{i}]")
        for part in todo
        for i, document in enumerate(part.split())
    ]
    cover_result, *rendered = render_documents([cover, *section_jobs])
    results_of = dict(whole)
    pieces = iter(rendered)
    for part in todo:
        results_of[part.key] = [next(pieces) for _ in part.documents]
        if part.cache_key:
            section_put(part.cache_key, results_of[part.key])
    section_results = [results_of[part.key] for part in parts.sections]
    phases = {"cover and sections": time.perf_counter() - started}
    started = time.perf_counter()
    section_sizes = [size for results in section_results for result in results for size in result.sizes]
    toc_pages = 1
    for _attempt in range(3):  # the contents take the pages guessed (one, nearly always), else once more
        first_pages, page = {}, cover_result.pages + toc_pages + 1
        for part, results in zip(parts.sections, section_results, strict=True):
            first_pages[part.key] = page
            page += sum(result.pages for result in results)
        sizes = cover_result.sizes + [A4] * toc_pages + section_sizes
        # The overlay is rendered beside the contents, for the number of contents pages guessed.
        toc_job = Job(_toc_html(data, parts, first_pages), label="contents")
        overlay = _overlay(data, sizes, cover_result.pages)
        toc_result, headers, *labels = render_documents([toc_job, overlay.headers, *overlay.labels])
        if toc_result.pages == toc_pages:
            break
        toc_pages = toc_result.pages
    phases["contents and running headers"] = time.perf_counter() - started
    started = time.perf_counter()
    header_pages = list(PdfReader(io.BytesIO(headers.pdf)).pages)  # each page once: its form is shared
    label_pages = [page for result in labels for page in PdfReader(io.BytesIO(result.pdf)).pages]
    stamps = [(header_pages[kind], label) for kind, label in zip(overlay.kinds, label_pages, strict=True)]
    pdf = join_parts(parts, cover_result, toc_result, section_results, stamps, first_pages)
    phases["join"] = time.perf_counter() - started
    STATS.phases = phases
    return pdf


def _cached_section(part: SectionPart) -> list[Result] | None:
    key = part.cache_key
    return section_get(key) if key else None


def join_parts(
    parts: PackParts,
    cover: Result,
    toc: Result,
    sections: list[list[Result]],
    stamps: list[tuple[Any, ...]],
    first_pages: dict[str, int],
) -> RenderedPDF:
    """One PDF/A-3b of the cover (its catalog: metadata, output intent, attachments), contents and sections."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NullObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cover.pdf)))
    producer = writer.metadata.get("/Producer") if writer.metadata else None
    if "/Outlines" in writer.root_object:
        del writer.root_object["/Outlines"]
    readers = [PdfReader(io.BytesIO(toc.pdf)), *(PdfReader(io.BytesIO(r.pdf)) for rs in sections for r in rs)]
    offsets = []
    for reader in readers:
        offsets.append(len(writer.pages))
        writer.append(reader, import_outline=False)
    # The outline: the cover, the contents, then each section with its own headings under it.
    cover_reader = PdfReader(io.BytesIO(cover.pdf))
    _copy_outline(writer, cover_reader, cover_reader.outline, 0, None)
    writer.add_outline_item(title="Contents", page_number=offsets[0])
    results = iter(zip(readers[1:], offsets[1:], strict=True))
    for part, documents in zip(parts.sections, sections, strict=True):
        parent = None
        for i in range(len(documents)):
            reader, offset = next(results)
            if i == 0:
                parent = writer.add_outline_item(
                    title=f"{part.number}. {part.title}", page_number=first_pages[part.key] - 1
                )
            _copy_outline(writer, reader, _below_title(reader.outline) if i == 0 else reader.outline, offset, parent)
    # The contents link to the sections.
    for page in writer.pages[offsets[0] : offsets[1] if len(offsets) > 1 else None]:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            action = annotation.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if uri.startswith(SECTION_LINK) and uri[len(SECTION_LINK) :] in first_pages:
                target = writer.pages[first_pages[uri[len(SECTION_LINK) :]] - 1].indirect_reference
                del annotation["/A"]
                annotation[NameObject("/Dest")] = ArrayObject(
                    [target, NameObject("/XYZ"), NullObject(), NullObject(), NullObject()]
                )
    # Running headers and "Page n of N", stamped from the overlay's pages (one per page of each).
    stamp = _Stamper(writer)
    for page, overlays in zip(writer.pages, stamps, strict=True):
        stamp(page, overlays)
    if producer:
        writer.add_metadata({"/Producer": producer})
    writer.root_object[NameObject("/PageMode")] = NameObject("/UseOutlines")
    out = io.BytesIO()
    writer.write(out)
    refused = [url for result in (cover, toc, *(r for rs in sections for r in rs)) for url in result.refused]
    return RenderedPDF(content=out.getvalue(), pages=len(writer.pages), refused_urls=refused)


class _Stamper:
    """Draw overlay pages over a page, as form XObjects: no content stream is parsed or rewritten.

    The page's own content is wrapped in ``q ... Q`` so its graphics state does not leak into
    the overlays; each overlay keeps its own resources (fonts), so no name can clash. An overlay
    page stamped on many pages (the running headers) becomes one form XObject, used by each.
    """

    NAME = "/AimsStamp"

    def __init__(self, writer: Any) -> None:
        from pypdf.generic import DecodedStreamObject

        self.writer = writer
        self.before = self._stream(DecodedStreamObject, b"q\n")
        self.after: dict[int, Any] = {}
        self.forms: dict[int, Any] = {}

    def _stream(self, cls: Any, data: bytes) -> Any:
        stream = cls()
        stream.set_data(data)
        return self.writer._add_object(stream)

    def _form(self, overlay: Any) -> Any:
        from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject, NumberObject

        if id(overlay) not in self.forms:
            form = DecodedStreamObject()
            form.set_data(overlay.get_contents().get_data())
            form.update(
                {
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Form"),
                    NameObject("/FormType"): NumberObject(1),
                    NameObject("/BBox"): ArrayObject(overlay.mediabox),
                    NameObject("/Resources"): overlay["/Resources"].clone(self.writer),
                }
            )
            self.forms[id(overlay)] = (overlay, self.writer._add_object(form))  # the page is kept: its id stays its own
        return self.forms[id(overlay)][1]

    def __call__(self, page: Any, overlays: tuple[Any, ...]) -> None:
        from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        for n, overlay in enumerate(overlays):
            xobjects[NameObject(f"{self.NAME}{n}")] = self._form(overlay)
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        if len(overlays) not in self.after:
            drawn = "".join(f"q {self.NAME}{n} Do Q\n" for n in range(len(overlays)))
            self.after[len(overlays)] = self._stream(DecodedStreamObject, f"Q\n{drawn}".encode())
        contents = page.get("/Contents")
        original = list(contents.get_object()) if isinstance(contents.get_object(), list) else [contents]
        page[NameObject("/Contents")] = ArrayObject([self.before, *original, self.after[len(overlays)]])


def _below_title(outline: list[Any]) -> list[Any]:
    """A section document's own headings: those under its title (its first bookmark), else all of them."""
    if outline and not isinstance(outline[0], list) and len(outline) > 1 and isinstance(outline[1], list):
        return outline[1] + outline[2:]
    if outline and not isinstance(outline[0], list) and len(outline) == 1:
        return []
    return outline


def _copy_outline(writer: Any, reader: Any, items: list[Any], offset: int, parent: Any) -> None:
    last = None
    for item in items:
        if isinstance(item, list):
            _copy_outline(writer, reader, item, offset, last if last is not None else parent)
            continue
        page = reader.get_destination_page_number(item)
        last = writer.add_outline_item(title=str(item.title), page_number=offset + page, parent=parent)
