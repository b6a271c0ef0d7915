#!/usr/bin/env python3
"""aims-verify: check an AIMS register audit pack bundle without the register.

    python aims-verify.py aims-pack-12-full-20261201-bundle.zip
    python aims-verify.py --fingerprint "3f2a 9c01 ..." aims-pack-12-full-20261201-bundle.zip

Needs Python 3.9 or later and the ``cryptography`` package (``pip install cryptography``);
nothing else, and no access to the register. It checks, in this order:

1. the signature: ``manifest.json.sig`` is the Ed25519 signature of the exact bytes of
   ``manifest.json`` by the key whose public half the manifest names (and, with
   ``--fingerprint``, that this key is the one you expect);
2. every file: each file the manifest lists is in the bundle with that SHA-256 and size,
   and the bundle holds no other file (but the manifest and its signature);
3. the sign-off chain in ``ledger.json``: each sign-off's digest is the SHA-256 of the
   canonical JSON of its signed payload (sorted keys, no whitespace, UTF-8; from format 7
   the payload lists the SHA-256 of each signed version, checked against the entry's
   ``versions``), each links to
   the digest of the one before it (the first to 64 zeros) with the next sequence number,
   each signature is the key's Ed25519 signature of ``aims-signoff:<digest>`` (sign-offs made
   before the register signed them have none, and only before the first signed one), the
   chain ends at the head the manifest names, and the chain's anchor (its signed head,
   kept outside the register's database) is signed by the key and matches the chain;
4. the gateway's extract of events, when the bundle has ``gateway-events.json``: each event's
   digest is the SHA-256 of the canonical JSON of its payload, each links to the one before it
   (``payload.previous``, consecutive sequence numbers), and each chain ends at a head that a
   ``gateway_checkpoint`` sign-off of ``ledger.json`` signed (its payload's ``versions[0].heads``).

Trust comes from the key: compare the fingerprint printed here with the one on the
register's About page (obtained from the register, not from this bundle), or pass it with
``--fingerprint``. Exit status: 0 when everything verifies, 1 when something does not
(the first such thing is named on the last line), 2 when the bundle cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - said plainly to whoever runs it
    sys.stderr.write("aims-verify needs the cryptography package: python -m pip install cryptography\n")
    sys.exit(2)

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
GENESIS = "0" * 64
SIGNOFF_PREFIX = b"aims-signoff:"
ANCHOR_PREFIX = b"aims-anchor:"
ANCHOR_UNSIGNED = ("signature", "key", "log", "line")
GATEWAY_EXTRACT = "gateway-events.json"
CHECKPOINT_KIND = "gateway_checkpoint"


class Unreadable(Exception):
    """The bundle cannot be read at all."""


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def grouped(hex_digits: str) -> str:
    return " ".join(hex_digits[i : i + 4] for i in range(0, len(hex_digits), 4))


def signature_ok(key: Ed25519PublicKey, signature: bytes | str, message: bytes) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else signature
        key.verify(raw, message)
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return False
    return True


class Report:
    """What was checked: ``ok`` lines, and ``problems`` in the order found (the first is named at the end)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.problems: list[str] = []

    def ok(self, text: str) -> None:
        self.lines.append(f"OK    {text}")

    def note(self, text: str) -> None:
        self.lines.append(f"NOTE  {text}")

    def fail(self, text: str) -> None:
        self.lines.append(f"FAIL  {text}")
        self.problems.append(text)


# --- the checks -----------------------------------------------------------------------------------


def check_bundle(path: str, fingerprint: str | None = None) -> Report:
    """Check a bundle; raise Unreadable when it is not a bundle at all."""
    report = Report()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise Unreadable(f"{path} cannot be read as a ZIP file ({error}).") from None
    with archive:
        names = archive.namelist()
        if MANIFEST not in names:
            raise Unreadable(f"{path} has no {MANIFEST}: it is not an AIMS pack bundle.")
        manifest_bytes = archive.read(MANIFEST)
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError as error:
            raise Unreadable(f"{MANIFEST} is not JSON ({error}).") from None
        key = _check_signature(archive, names, manifest, manifest_bytes, fingerprint, report)
        _check_files(archive, names, manifest, report)
        _check_ledger(archive, names, manifest, key, report)
        _note_scope(archive, names, manifest, report)
    return report


SCOPE_FILE = "pack-scope.json"


def _note_scope(archive, names, manifest, report) -> None:
    """Say what the pack is scoped to: its pack-scope.json (listed in the manifest, so checked above), or the whole system."""
    scope = (manifest.get("pack") or {}).get("scope")
    listed = any(entry.get("path") == SCOPE_FILE for entry in manifest.get("files") or [])
    if scope is None and listed and SCOPE_FILE in names:
        try:
            scope = json.loads(archive.read(SCOPE_FILE))
        except ValueError:
            report.fail(f"scope: {SCOPE_FILE} is not JSON")
            return
    if not isinstance(scope, dict):
        report.note("scope: the whole management system")
        return
    described = scope.get("description") or "; ".join(
        f"{name.replace('_', ' ')} {', '.join(map(str, scope.get(name) or []))}"
        for name in ("ai_systems", "clauses", "sections")
        if scope.get(name)
    )
    report.note(f"scope: {described or 'the whole management system'}")


def _check_signature(archive, names, manifest, manifest_bytes, fingerprint, report) -> Ed25519PublicKey | None:
    info = manifest.get("signing_key") or {}
    try:
        raw_key = base64.b64decode(info.get("public_key", ""), validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw_key)
    except (ValueError, binascii.Error, TypeError):
        report.fail(f"signature: {MANIFEST} names no readable Ed25519 public key (signing_key.public_key)")
        return None
    found = sha256(raw_key)
    expected = "".join((fingerprint or "").split()).replace(":", "").lower()
    if expected and expected != found:
        report.fail(f"signing key: its fingerprint {grouped(found)} is not the one given ({grouped(expected)})")
    if SIGNATURE not in names:
        report.fail(f"signature: {SIGNATURE} is missing")
    elif not signature_ok(key, archive.read(SIGNATURE), manifest_bytes):
        report.fail(f"signature: {SIGNATURE} is not the signature of {MANIFEST} by the key the manifest names")
    else:
        report.ok(f"signature of {MANIFEST}: Ed25519, key fingerprint {grouped(found)}")
    if not expected:
        report.note("compare this fingerprint with the one on the register's About page (or pass --fingerprint)")
    return key


def _check_files(archive, names, manifest, report) -> None:
    entries = manifest.get("files")
    if not isinstance(entries, list) or not entries:
        report.fail(f"files: {MANIFEST} lists no files")
        return
    listed = set()
    bad = 0
    for entry in entries:
        name = str(entry.get("path", ""))
        listed.add(name)
        if name not in names:
            report.fail(f"file {name}: missing from the bundle")
            bad += 1
            continue
        data = archive.read(name)
        if sha256(data) != entry.get("sha256"):
            report.fail(f"file {name}: SHA-256 differs from {MANIFEST}")
            bad += 1
        elif "size" in entry and len(data) != entry["size"]:
            report.fail(f"file {name}: size differs from {MANIFEST}")
            bad += 1
    for name in names:
        if name not in listed and name not in (MANIFEST, SIGNATURE) and not name.endswith("/"):
            report.fail(f"file {name}: not listed in {MANIFEST}")
            bad += 1
    if not bad:
        report.ok(f"{len(entries)} file(s): every SHA-256 matches {MANIFEST}, and nothing else is in the bundle")


def _check_ledger(archive, names, manifest, key, report) -> None:
    ledger_path = manifest.get("ledger")
    if not ledger_path:
        report.fail(f"ledger: {MANIFEST} names no ledger.json")
        return
    if ledger_path not in names:
        return  # already named as a missing file
    try:
        ledger = json.loads(archive.read(ledger_path))
        signoffs = list(ledger["signoffs"])
    except (ValueError, KeyError, TypeError) as error:
        report.fail(f"ledger: {ledger_path} cannot be read ({error})")
        return
    if _check_chain(signoffs, key, report):
        signed = sum(1 for s in signoffs if s.get("signature"))
        unsigned = len(signoffs) - signed
        report.ok(
            f"{len(signoffs)} sign-off(s): every digest recomputed from its signed payload, every chain link "
            f"and {signed} signature(s) check" + (f"; {unsigned} made before signing existed" if unsigned else "")
        )
    head = (manifest.get("signoff_chain") or {}).get("head")
    last = signoffs[-1]["digest"] if signoffs else None
    if head != last:
        report.fail(f"ledger head: {MANIFEST} names head {str(head)[:16]}… but {ledger_path} ends at {str(last)[:16]}…")
    _check_anchor(ledger.get("anchor"), signoffs, key, report)
    if GATEWAY_EXTRACT in names and any(e.get("path") == GATEWAY_EXTRACT for e in manifest.get("files") or []):
        _check_gateway_extract(archive, signoffs, report)


def _versions_match(entry, payload) -> bool:
    """Format 7 on: the payload lists each signed version's SHA-256, the entry's ``versions`` what they hash."""
    if not isinstance(payload.get("format"), int) or payload["format"] < 7:
        return True
    listed, versions = payload.get("versions") or [], entry.get("versions")
    return (
        isinstance(versions, list)
        and len(versions) == len(listed)
        and all(
            isinstance(item, dict)
            and isinstance(version, dict)
            and item.get("sha256") == sha256(canonical_json(version))
            for item, version in zip(listed, versions, strict=True)
        )
    )


def _signed_versions(entry) -> list:
    """The data of what a sign-off signed: in its payload, or (format 7 on) beside it."""
    payload = entry.get("payload") or {}
    if isinstance(payload.get("format"), int) and payload["format"] >= 7:
        return entry.get("versions") or []
    return payload.get("versions") or []


def _check_chain(signoffs, key, report) -> bool:
    previous = GENESIS
    signing_began = False
    for position, entry in enumerate(signoffs, start=1):
        name = f"sign-off #{entry.get('sequence', position)}"
        payload = entry.get("payload")
        digest = str(entry.get("digest", ""))
        if payload is None:
            report.fail(f"{name}: no signed payload in ledger.json ({entry.get('problem', 'missing')})")
            return False
        if sha256(canonical_json(payload)) != digest:
            report.fail(f"{name}: digest does not match its signed payload")
            return False
        if not _versions_match(entry, payload):
            report.fail(f"{name}: a signed version does not match the SHA-256 its signed payload lists")
            return False
        if (
            payload.get("sequence") != position
            or entry.get("sequence") != position
            or payload.get("previous_digest") != previous
            or entry.get("previous_digest") != previous
        ):
            report.fail(
                f"{name}: chain link broken at position {position} (expected sign-off #{position} after "
                f"{previous[:12]}…): the chain was reordered or a sign-off removed"
            )
            return False
        signature = entry.get("signature") or ""
        if signature:
            signing_began = True
            if key is None or not signature_ok(key, signature, SIGNOFF_PREFIX + digest.encode("ascii")):
                report.fail(f"{name}: signature is not the key's signature of its digest")
                return False
        elif signing_began:
            report.fail(f"{name}: unsigned, although sign-offs before it are signed")
            return False
        previous = digest
    return True


def _check_anchor(anchor, signoffs, key, report) -> None:
    if not anchor:
        report.note("no anchor of the chain was recorded when the pack was made")
        return
    signed = {name: value for name, value in anchor.items() if name not in ANCHOR_UNSIGNED}
    where = f"anchor of {anchor.get('signed_at')} (sign-off #{anchor.get('sequence')})"
    if key is None or not signature_ok(key, str(anchor.get("signature", "")), ANCHOR_PREFIX + canonical_json(signed)):
        report.fail(f"{where}: signature is not the key's")
        return
    sequence = anchor.get("sequence")
    if isinstance(sequence, int) and 0 < sequence <= len(signoffs):
        if signoffs[sequence - 1].get("digest") != anchor.get("head_digest"):
            report.fail(f"{where}: the anchored head differs from sign-off #{sequence} in ledger.json")
            return
        report.ok(f"{where}: signed, and sign-off #{sequence} of the chain is the anchored head")
    else:
        report.ok(f"{where}: signed (it anchors a head after the pack's as-of date)")


def _checkpointed_heads(signoffs) -> dict:
    """{(AI system id, sequence): (digest, sign-off sequence)} of every gateway checkpoint signed in the chain."""
    heads = {}
    for entry in signoffs:
        payload = entry.get("payload") or {}
        if entry.get("kind") != CHECKPOINT_KIND or payload.get("kind") != CHECKPOINT_KIND:
            continue
        for version in _signed_versions(entry):
            for head in version.get("heads") or []:
                heads[(head.get("ai_system"), head.get("sequence"))] = (head.get("digest"), entry.get("sequence"))
    return heads


def _check_gateway_chain(chain, heads) -> str | None:
    """The first problem of one chain of the extract, or None (the chain ends at a checkpointed head)."""
    name = f"gateway extract, AI system {chain.get('reference') or chain.get('ai_system')}"
    previous_digest, previous_sequence = None, None
    events = chain.get("events") or []
    if not events:
        return f"{name}: no events"
    for event in events:
        payload = event.get("payload") or {}
        sequence = event.get("sequence")
        if sha256(canonical_json(payload)) != event.get("digest"):
            return f"{name}, event #{sequence}: digest does not match its payload"
        if payload.get("sequence") != sequence or payload.get("ai_system_id") != chain.get("ai_system"):
            return f"{name}, event #{sequence}: its payload names another sequence or AI system"
        if payload.get("previous") != event.get("previous_digest") or (
            previous_digest is not None
            and (payload.get("previous") != previous_digest or sequence != previous_sequence + 1)
        ):
            return f"{name}, event #{sequence}: does not link to the event before it"
        if sequence == 1 and payload.get("previous") != GENESIS:
            return f"{name}, event #1: does not link to the genesis digest"
        previous_digest, previous_sequence = event.get("digest"), sequence
    signed = heads.get((chain.get("ai_system"), previous_sequence))
    if signed is None or signed[0] != previous_digest:
        return (
            f"{name}: the last event #{previous_sequence} is not a head signed by a gateway checkpoint in ledger.json"
        )
    return None


def _check_gateway_extract(archive, signoffs, report) -> None:
    try:
        extract = json.loads(archive.read(GATEWAY_EXTRACT))
        chains = list(extract["chains"])
    except (ValueError, KeyError, TypeError) as error:
        report.fail(f"gateway extract: {GATEWAY_EXTRACT} cannot be read ({error})")
        return
    heads = _checkpointed_heads(signoffs)
    for chain in chains:
        problem = _check_gateway_chain(chain, heads)
        if problem:
            report.fail(problem)
            return
    events = sum(len(chain.get("events") or []) for chain in chains)
    checkpoint = (extract.get("checkpoint") or {}).get("signoff_sequence")
    report.ok(
        f"gateway extract: {events} event(s) of {len(chains)} AI system chain(s): every digest recomputed, every link "
        f"checks, and each chain ends at a head signed by gateway checkpoint sign-off #{checkpoint}"
    )


# --- command line --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="aims-verify.py", description="Check an AIMS register audit pack bundle without the register."
    )
    parser.add_argument("bundle", help="the pack's evidence bundle (ZIP)")
    parser.add_argument("--fingerprint", help="the register's key fingerprint (About page); required to match")
    args = parser.parse_args(argv)
    try:
        report = check_bundle(args.bundle, args.fingerprint)
    except Unreadable as error:
        print(f"CANNOT VERIFY: {error}")
        return 2
    print(f"aims-verify: {args.bundle}")
    for line in report.lines:
        print(line)
    if report.problems:
        more = len(report.problems) - 1
        print(f"NOT VERIFIED: {report.problems[0]}" + (f" (and {more} more problem(s) above)" if more else ""))
        return 1
    print("VERIFIED: the signature, every file, every sign-off digest and every chain link match.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
