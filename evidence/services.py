"""Writes for evidence: validated uploads, links, corrections as new versions, downloads.

An uploaded file is accepted only if its *content* is one of the allowed types (the
name's extension must agree with it), it is not empty and not over the size limit, and
its name is a plain file name. It is stored under a generated name through
``default_storage``; the sanitised original name is kept for display only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import filetype
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from aims.models import ManagementSystem
from aims.services import register_create
from evidence.linkables import linkable
from evidence.models import Evidence, EvidenceDownload, EvidenceLink
from evidence.selectors import current_links


@dataclass(frozen=True)
class FileType:
    extension: str
    mime: str
    label: str


ALLOWED_TYPES = {
    "pdf": FileType("pdf", "application/pdf", "PDF"),
    "png": FileType("png", "image/png", "PNG image"),
    "jpg": FileType("jpg", "image/jpeg", "JPEG image"),
    "csv": FileType("csv", "text/csv", "CSV"),
    "xlsx": FileType(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook (XLSX)"
    ),
    "docx": FileType(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document (DOCX)"
    ),
    "txt": FileType("txt", "text/plain", "text"),
    "json": FileType("json", "application/json", "JSON"),
}
EXTENSION_ALIASES = {"jpeg": "jpg", "text": "txt", "log": "txt", "md": "txt"}
MACRO_EXTENSIONS = {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "ppam", "sldm"}
MACRO_REFUSAL = (
    "Office files with macros are not accepted: save the document without macros (as .docx or .xlsx) and upload that."
)
_RATIO_FLOOR = 1024 * 1024  # members smaller than this expand too little to matter, however well they compress
ALLOWED_LABEL = "PDF, PNG, JPEG, CSV, XLSX, DOCX, TXT or JSON"
_OOXML_MAIN = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
}
_MAGIC_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
_NAME_MAX = 150


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def sanitise_file_name(name: str) -> str:
    """Return the name for display, refusing folders, '..', control characters and hidden names."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise _refuse("The file has no name.")
    if "/" in name or "\\" in name or ".." in name or name.startswith(".") or "%2f" in name.lower():
        raise _refuse(f"The file name “{name[:80]}” is not allowed: give a plain file name, without folders or “..”.")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise _refuse("The file name contains control characters; rename the file and try again.")
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > _NAME_MAX:
        name = f"{stem[: _NAME_MAX - len(ext) - 1]}.{ext}"
    return name[:_NAME_MAX]


def _extension_of(name: str) -> str:
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    return EXTENSION_ALIASES.get(ext, ext)


def _head(upload: File, size: int = 8192) -> bytes:
    upload.seek(0)
    data = upload.read(size)
    upload.seek(0)
    return data


def _read_all(upload: File) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _check_archive(upload: File) -> None:
    """Refuse a ZIP-based file with macros, or one whose members would expand beyond the limits (a zip bomb).

    The sizes are those the archive declares; reading a member never yields more than its
    declared size, so a lying header only shortens what is read.
    """
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return  # not an archive after all: the type check decides
    finally:
        upload.seek(0)
    if any(m.filename.replace("\\", "/").rsplit("/", 1)[-1].lower() == "vbaproject.bin" for m in members):
        raise _refuse(MACRO_REFUSAL)
    if len(members) > settings.EVIDENCE_ZIP_MAX_MEMBERS:
        raise _refuse(f"The archive holds more than {settings.EVIDENCE_ZIP_MAX_MEMBERS} files; it is not accepted.")
    limit = settings.EVIDENCE_ZIP_MAX_UNCOMPRESSED_BYTES
    if sum(m.file_size for m in members) > limit:
        raise _refuse(f"The file expands to more than {limit / 1048576:.0f} MB when unpacked; it is not accepted.")
    ratio = settings.EVIDENCE_ZIP_MAX_RATIO
    if any(m.file_size > _RATIO_FLOOR and m.file_size > ratio * max(m.compress_size, 1) for m in members):
        raise _refuse(f"A part of the file expands more than {ratio} times when unpacked; it is not accepted.")


def _ooxml_type(upload: File) -> str | None:
    """Return 'xlsx' or 'docx' from a ZIP's [Content_Types].xml, or None."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:
                return None
            content_types = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return None
    finally:
        upload.seek(0)
    if "macroenabled" in content_types.lower() or "vbaproject" in content_types.lower():
        raise _refuse(MACRO_REFUSAL)
    for ext, main in _OOXML_MAIN.items():
        if main in content_types:
            return ext
    return None


def _text_type(upload: File, claimed: str) -> str | None:
    """Return 'json', 'csv' or 'txt' for UTF-8 text that parses as the claimed kind, else None."""
    try:
        text = _read_all(upload).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    if claimed == "json":
        try:
            json.loads(text)
        except ValueError:
            return None
        except RecursionError:
            raise _refuse("The JSON file is nested too deeply to be checked; it is not accepted.") from None
        return "json"
    if claimed == "csv":
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error:
            return None
        return "csv" if rows else None
    return "txt"


def detect_file_type(upload: File, name: str) -> FileType:
    """Decide the file's type from its content; refuse anything outside the allowlist."""
    claimed = _extension_of(name)
    if claimed in MACRO_EXTENSIONS:
        raise _refuse(MACRO_REFUSAL)
    if zipfile.is_zipfile(upload):
        _check_archive(upload)
    upload.seek(0)
    kind = filetype.guess(_head(upload))
    detected: str | None = None
    if kind is None:
        detected = _text_type(upload, claimed if claimed in ("json", "csv") else "txt")
    elif kind.mime in _MAGIC_TYPES:
        detected = _MAGIC_TYPES[kind.mime]
    elif kind.extension in ("zip", "xlsx", "docx"):
        detected = _ooxml_type(upload)
    if detected is None:
        found = f" (it looks like {kind.mime})" if kind else ""
        raise _refuse(f"This kind of file is not accepted{found}: upload a {ALLOWED_LABEL} file.")
    if claimed and claimed in ALLOWED_TYPES and claimed != detected:
        raise _refuse(
            f"The file is named .{claimed} but its content is {ALLOWED_TYPES[detected].label}: "
            "rename it or upload the right file."
        )
    return ALLOWED_TYPES[detected]


def validate_upload(upload: File) -> tuple[str, FileType]:
    """Check an upload's name, size and content; return its display name and type."""
    name = sanitise_file_name(getattr(upload, "name", "") or "")
    size = upload.size or 0
    if size == 0:
        raise _refuse("The file is empty: choose the file that holds the evidence.")
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if size > limit:
        raise _refuse(f"The file is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB.")
    return name, detect_file_type(upload, name)


def _sha256(upload: File) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def validate_evidence_date(value: date) -> None:
    """Refuse an evidence date in the future: evidence records what was already produced."""
    if value > timezone.localdate():
        raise ValidationError("The evidence date is in the future.", code="future")


def _file_fields(upload: File) -> dict[str, Any]:
    name, file_type = validate_upload(upload)
    return {
        "kind": Evidence.Kind.FILE,
        "file": upload,
        "stored_token": uuid.uuid4().hex,
        "file_extension": file_type.extension,
        "original_name": name,
        "content_type": file_type.mime,
        "size": upload.size,
        "sha256": _sha256(upload),
    }


def _checked_links(management_system: ManagementSystem, links: dict[str, Iterable[Any]] | None) -> list[Any]:
    """The records to link, refusing unknown kinds and records of another management system."""
    records: list[Any] = []
    errors: dict[str, list[str]] = {}
    for key, values in (links or {}).items():
        try:
            spec = linkable(key)
        except LookupError as exc:
            errors[key] = [str(exc)]
            continue
        values = list(values)
        wrong = [v for v in values if not isinstance(v, spec.model)]
        foreign = [v for v in values if getattr(v, "management_system_id", None) != management_system.pk]
        if wrong:
            errors[key] = [f"Only {spec.label.lower()} can be linked here."]
        elif foreign:
            errors[key] = [f"{', '.join(str(v) for v in foreign)} belongs to another management system."]
        records.extend(values)
    if errors:
        raise ValidationError(errors)
    return records


def _write_links(evidence: Evidence, records: list[Any]) -> None:
    unique = {(ContentType.objects.get_for_model(r).pk, r.pk) for r in records}
    EvidenceLink.objects.bulk_create(
        EvidenceLink(evidence=evidence, target_type_id=type_id, target_id=pk) for type_id, pk in sorted(unique)
    )


def evidence_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    title: str,
    evidence_date: date,
    description: str = "",
    upload: File | None = None,
    url: str = "",
    links: dict[str, Iterable[Any]] | None = None,
    supersedes: Evidence | None = None,
    reason: str = "Evidence added",
) -> Evidence:
    """Record a file (validated, digested, stored under a generated name) or a link as evidence.

    ``links`` maps a linkable key (``"ai_systems"``, ``"risks"``, ...) to the records the
    evidence shows; the links are written with the evidence and never change.
    """
    try:
        validate_evidence_date(evidence_date)
    except ValidationError as error:
        raise ValidationError({"evidence_date": error.messages}) from None
    if upload is None and not url:
        raise ValidationError({"file": ["Upload a file or give a link."]})
    if upload is not None and url:
        raise ValidationError({"url": ["Give either a file or a link, not both."]})
    records = _checked_links(management_system, links)
    fields = _file_fields(upload) if upload is not None else {"kind": Evidence.Kind.LINK, "url": url}
    try:
        with transaction.atomic():
            evidence = register_create(
                Evidence,
                management_system=management_system,
                user=user,
                reason=reason,
                title=title,
                description=description,
                evidence_date=evidence_date,
                supersedes=supersedes,
                uploaded_by=user,
                **fields,
            )
            _write_links(evidence, records)
            return evidence
    except Exception:
        _forget_stored_file(management_system, fields)
        raise


def _forget_stored_file(management_system: ManagementSystem, fields: dict[str, Any]) -> None:
    """Remove a file stored for a row whose transaction failed (nothing half-saved)."""
    if fields.get("stored_token"):
        name = f"evidence/{management_system.pk}/{fields['stored_token']}.{fields['file_extension']}"
        if default_storage.exists(name):
            default_storage.delete(name)


def evidence_supersede(
    previous: Evidence,
    *,
    user: AbstractBaseUser | None,
    title: str | None = None,
    evidence_date: date,
    description: str | None = None,
    upload: File | None = None,
    url: str = "",
    links: dict[str, Iterable[Any]] | None = None,
) -> Evidence:
    """Record a corrected version of evidence as a new row; the previous version stays unchanged."""
    if Evidence.objects.filter(supersedes=previous).exists():
        raise ValidationError({"supersedes": [f"{previous.reference} has already been superseded by a newer version."]})
    if links is None:
        links = current_links(previous)
    return evidence_create(
        management_system=previous.management_system,
        user=user,
        title=title if title is not None else previous.title,
        description=description if description is not None else previous.description,
        evidence_date=evidence_date,
        upload=upload,
        url=url,
        links=links,
        supersedes=previous,
        reason=f"Supersedes {previous.reference}",
    )


def evidence_download_record(*, evidence: Evidence, user: AbstractBaseUser, channel: str = "web") -> EvidenceDownload:
    """Record that a user downloaded an evidence file."""
    return EvidenceDownload.objects.create(evidence=evidence, user=user, sha256=evidence.sha256, channel=channel)


def content_disposition_name(evidence: Evidence) -> str:
    """An ASCII-safe download name: reference plus the sanitised original stem."""
    stem = evidence.original_name.rpartition(".")[0] or evidence.original_name or "evidence"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:60] or "evidence"
    return f"{evidence.reference}-{stem}.{evidence.file_extension}"
