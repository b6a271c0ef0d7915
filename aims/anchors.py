"""Anchors: the signed head of each sign-off chain, kept outside the database.

Whoever can write to the database can delete the tail of a chain, or rewrite sign-offs made
before signing existed and recompute the links; every remaining link still checks. An
anchor records, outside the database, where the chain stood: each day (the Celery beat
task ``aims.anchor_ledgers``), at every pack and on ``manage.py anchor_ledger``, the chain's
head is appended as one JSON line to ``anchors/<management system id>.jsonl`` in
``default_storage``::

    {"ms": 3, "sequence": 12, "head_digest": "9f…", "signed_at": "2026-12-01T02:15:00.000000Z",
     "reason": "daily", "key": "<key fingerprint, hex>", "signature": "<base64>"}

``signature`` is the register's Ed25519 signature (``aims.signing``) of ``aims-anchor:``
followed by the canonical JSON of every other field but ``key``. A line is appended only
when the head moved since the last anchor, and only when the chain verifies (digests,
links, signatures and the earlier anchors): a broken chain is never anchored, so it cannot
become the new reference.

``check`` compares a chain with its anchors: a chain that ends before an anchored head was
shortened, a sign-off that differs from an anchored head was rewritten, and a line whose
signature does not verify was not written by the register. A line that cannot be read as
JSON (a write cut short) is skipped: the chain is checked against the anchors it can read.

The log is read and written again whole under the same name through the storage API, on
the local file system (``aims.files.LocalFileStorage``: a temporary file renamed into place)
as on an object store (a PUT); the storage must overwrite, as both do. Anchors of one
management system are written one at a time (its row is locked, as signing does).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from aims import ledger, signing
from aims.models import ManagementSystem, SignOff

logger = logging.getLogger(__name__)

ANCHOR_PREFIX = b"aims-anchor:"
UNSIGNED_FIELDS = ("signature", "key", "log", "line")  # "log" and "line" say where it was read


class AnchorStorageError(Exception):
    """The anchor log cannot be written where it is configured."""


def log_name(ms_id: int) -> str:
    return f"anchors/{ms_id}.jsonl"


def anchor_message(anchor: dict[str, Any]) -> bytes:
    """What an anchor's signature covers: every field but the signature and the key fingerprint."""
    signed = {name: value for name, value in anchor.items() if name not in UNSIGNED_FIELDS}
    return ANCHOR_PREFIX + ledger.canonical_json(signed)


def signature_valid(anchor: dict[str, Any]) -> bool:
    return signing.verify(anchor_message(anchor), str(anchor.get("signature", "")))


# --- reading -----------------------------------------------------------------------------------


def read_anchors(ms_id: int) -> tuple[list[dict[str, Any]], int]:
    """The anchors of a chain that can be read, oldest first, and how many lines could not be."""
    name = log_name(ms_id)
    try:
        if not default_storage.exists(name):
            return [], 0
        with default_storage.open(name, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError as error:
        logger.warning("Anchor log %s cannot be read: %s", name, error)
        return [], 0
    found, unreadable = [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchor = json.loads(line)
            if not isinstance(anchor, dict):
                raise TypeError("not an object")
            int(anchor["ms"]), int(anchor["sequence"]), str(anchor["head_digest"])
        except (ValueError, KeyError, TypeError, AttributeError):
            unreadable += 1
            continue
        anchor["line"] = number
        found.append(anchor)
    return found, unreadable


def _public(anchor: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in anchor.items() if name != "line"}


@dataclass
class AnchorCheck:
    latest: dict[str, Any] | None = None  # the latest anchor with a valid signature, with "log" and "line"
    checked: int = 0
    unreadable: int = 0
    broken: ledger.Broken | None = None
    anchors: list[dict[str, Any]] = field(default_factory=list)


def check(ms_id: int, heads: dict[int, str]) -> AnchorCheck:
    """Compare a chain (``{sequence: digest}`` of its sign-offs that verified) with every anchor of it."""
    anchors, unreadable = read_anchors(ms_id)
    result = AnchorCheck(unreadable=unreadable, anchors=anchors)
    length = max(heads, default=0)
    for anchor in anchors:
        result.checked += 1
        where = f"{log_name(ms_id)} line {anchor['line']}"
        if int(anchor["ms"]) != ms_id or not signature_valid(anchor):
            result.broken = result.broken or _broken(
                ms_id,
                anchor,
                "anchor signature mismatch",
                f"The anchor at {where} is not signed by the register's key (fingerprint {signing.fingerprint()}) "
                "for this management system: it was not written by the register.",
            )
            continue
        result.latest = {**_public(anchor), "log": log_name(ms_id), "line": anchor["line"]}
        sequence, digest = int(anchor["sequence"]), str(anchor["head_digest"])
        if sequence > length:
            result.broken = result.broken or _broken(
                ms_id,
                anchor,
                "chain shortened",
                f"The anchor of {anchor.get('signed_at')} ({where}) records sign-off #{sequence} as the head of the "
                f"chain, but the chain now ends at #{length}: sign-offs were removed.",
            )
        elif heads.get(sequence) != digest:
            result.broken = result.broken or _broken(
                ms_id,
                anchor,
                "chain rewritten",
                f"Sign-off #{sequence} is not the one anchored on {anchor.get('signed_at')} ({where}, head "
                f"{digest[:16]}…): the chain was rewritten after it was anchored.",
            )
    return result


def _broken(ms_id: int, anchor: dict[str, Any], reason: str, detail: str) -> ledger.Broken:
    signoff = None
    sequence = int(anchor["sequence"])
    if sequence > 0:
        signoff = (
            SignOff.objects.filter(management_system_id=ms_id, sequence=sequence).select_related("subject_type").first()
        )
    return ledger.Broken(signoff, reason, detail, management_system_id=ms_id, sequence=sequence)


def latest(ms_id: int) -> dict[str, Any] | None:
    """The latest anchor of a chain whose signature verifies (with ``log`` and ``line``), or None."""
    anchors, _ = read_anchors(ms_id)
    for anchor in reversed(anchors):
        if int(anchor["ms"]) == ms_id and signature_valid(anchor):
            return {**_public(anchor), "log": log_name(ms_id), "line": anchor["line"]}
    return None


# --- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorResult:
    anchor: dict[str, Any] | None  # the latest anchor after this call (None: nothing anchored yet)
    appended: bool
    problem: dict[str, Any] | None = None  # why nothing was anchored: the chain does not verify


def anchor_chain(management_system: ManagementSystem, *, reason: str) -> AnchorResult:
    """Append the chain's signed head to its anchor log, when it moved and the chain verifies."""
    with transaction.atomic():
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        result = ledger.verify(management_system)
        previous = result.get("anchor")
        if not result["ok"]:
            logger.error(
                "Not anchoring the sign-off chain of management system %s: %s",
                management_system.pk,
                ledger.describe_broken(result["first_broken"]),
            )
            return AnchorResult(previous, False, result["first_broken"])
        head = SignOff.objects.filter(management_system=management_system).order_by("-sequence").first()
        if head is None:
            return AnchorResult(previous, False)
        if previous and int(previous["sequence"]) == head.sequence and previous["head_digest"] == head.digest:
            return AnchorResult(previous, False)
        anchor: dict[str, Any] = {
            "ms": management_system.pk,
            "sequence": head.sequence,
            "head_digest": head.digest,
            "signed_at": ledger.plain(timezone.now()),
            "reason": reason[:200],
        }
        anchor["signature"] = signing.sign(anchor_message(anchor))
        anchor["key"] = signing.fingerprint_hex()
        line = _append(log_name(management_system.pk), json.dumps(anchor, sort_keys=True, ensure_ascii=False))
    logger.info("Anchored sign-off #%s of management system %s (%s)", head.sequence, management_system.pk, reason)
    return AnchorResult({**anchor, "log": log_name(management_system.pk), "line": line}, True)


def anchor_all(*, reason: str) -> dict[int, AnchorResult]:
    """Anchor every management system's chain (the daily task); broken chains are reported, not anchored."""
    return {ms.pk: anchor_chain(ms, reason=reason) for ms in ManagementSystem.objects.order_by("pk")}


def _append(name: str, line: str) -> int:
    """Append one line to the log (the whole log written again under its name); return its line number.

    The caller holds the management system's row lock, so no other writer of this log reads
    it in between. On an object store the PUT replaces the object whole; on the local file
    system ``aims.files.LocalFileStorage`` writes a temporary file and renames it: a reader
    sees the old log or the new one, never half of it.
    """
    data = (line + "\n").encode("utf-8")
    existing = b""
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            existing = handle.read()
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    saved = default_storage.save(name, ContentFile(existing + data))
    if saved != name:
        default_storage.delete(saved)
        raise AnchorStorageError(
            f"The storage saved the anchor log as {saved!r} instead of overwriting {name!r}: "
            "configure it to overwrite files (aims.files.LocalFileStorage, or django-storages' file_overwrite=True)."
        )
    return existing.count(b"\n") + 1
