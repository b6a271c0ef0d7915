"""The register's Ed25519 signing key: it signs sign-off digests, chain heads (anchors) and pack manifests.

The key is held outside the database, so that whoever can write to the database but does
not hold the key cannot rewrite the sign-off chain and sign it again:

- ``AIMS_SIGNING_KEY`` (environment): the private key as PEM (PKCS#8), e.g. from a secret
  store; it wins when set.
- else the file ``AIMS_SIGNING_KEY_FILE`` (default ``$AIMS_VAR_DIR/signing_key.pem``),
  generated once on first use (mode 0600), like the secret key.

Every process that signs (web and workers) must use the same key; ``manage.py check
--deploy`` warns while the key is a file generated on this machine.

What is signed is always a byte string that names its purpose, so a signature made for
one purpose never passes for another:

- a sign-off: ``aims-signoff:<digest in hex>`` (``signoff_message``);
- a chain head (anchor): ``aims-anchor:`` + the canonical JSON of the anchor's fields
  (``aims.anchors``);
- a pack manifest: the bytes of ``manifest.json`` itself (a detached signature, as
  ``openssl pkeyutl -verify -rawin`` checks it).

The key's fingerprint is the SHA-256 of its raw 32-byte public key, shown in groups of
four hex digits: it is printed on the About page and on every pack's cover, and
``aims-verify.py`` prints it for comparison.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
import threading
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

SIGNOFF_PREFIX = b"aims-signoff:"
ALGORITHM = "Ed25519"


class SigningKeyError(Exception):
    """The signing key cannot be read (a malformed PEM, or not an Ed25519 key)."""


_lock = threading.Lock()
_cache: dict[tuple[str, str], Ed25519PrivateKey] = {}


def _source() -> tuple[str, str]:
    pem = getattr(settings, "AIMS_SIGNING_KEY", "") or ""
    if pem.strip():
        return ("env", pem)
    return ("file", str(settings.AIMS_SIGNING_KEY_FILE))


def key_source() -> str:
    """Where the key comes from, in words (for the About page and ``manage.py signing_key``)."""
    kind, value = _source()
    return "the AIMS_SIGNING_KEY environment variable" if kind == "env" else f"the file {value}"


def private_key() -> Ed25519PrivateKey:
    """The register's private key (generated into the key file on first use when no key is configured)."""
    source = _source()
    with _lock:
        key = _cache.get(source)
        if key is None:
            kind, value = source
            pem = value.encode() if kind == "env" else _read_or_create(Path(value))
            key = _load(pem, where=key_source())
            _cache[source] = key
    return key


def _load(pem: bytes, *, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"The signing key in {where} is not a readable unencrypted PEM key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"The signing key in {where} is not an Ed25519 key.")
    return key


def new_private_key_pem() -> bytes:
    """A fresh Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _read_or_create(path: Path) -> bytes:
    """Read the key file; create it once, atomically, when it does not exist (two processes may race)."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new_private_key_pem())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)  # fails if another process created it first: theirs is kept
        except FileExistsError:
            pass
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path.read_bytes()


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_raw(key: Ed25519PublicKey | None = None) -> bytes:
    """The 32 raw bytes of a public key (the register's by default)."""
    return (key or public_key()).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem() -> str:
    return (
        public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )


def public_key_b64() -> str:
    return base64.b64encode(public_key_raw()).decode("ascii")


def fingerprint_hex(raw_public_key: bytes | None = None) -> str:
    """SHA-256 of the raw public key, in hex (64 digits)."""
    return hashlib.sha256(raw_public_key if raw_public_key is not None else public_key_raw()).hexdigest()


def group(hex_digits: str) -> str:
    """Hex digits in groups of four, for reading aloud and comparing by eye."""
    return " ".join(hex_digits[i : i + 4] for i in range(0, len(hex_digits), 4))


def fingerprint() -> str:
    """The register's key fingerprint as shown to people: SHA-256 of the raw public key, grouped."""
    return group(fingerprint_hex())


def sign(message: bytes) -> str:
    """An Ed25519 signature of the message, in base64."""
    return base64.b64encode(private_key().sign(message)).decode("ascii")


def sign_raw(message: bytes) -> bytes:
    """An Ed25519 signature of the message, as its 64 raw bytes (a detached signature file)."""
    return private_key().sign(message)


def verify(message: bytes, signature: str | bytes, key: Ed25519PublicKey | None = None) -> bool:
    """Whether ``signature`` (base64 text, or raw bytes) is the key's signature of the message."""
    try:
        raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else bytes(signature)
        (key or public_key()).verify(raw, message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def signoff_message(digest: str) -> bytes:
    """What a sign-off's signature covers: its digest, named as a sign-off's."""
    return SIGNOFF_PREFIX + digest.encode("ascii")


def sign_digest(digest: str) -> str:
    return sign(signoff_message(digest))


def verify_digest(digest: str, signature: str) -> bool:
    return bool(signature) and verify(signoff_message(digest), signature)


def uses_generated_key_file() -> bool:
    """Whether the key is the default file generated on this machine (nothing configured)."""
    return (
        not (getattr(settings, "AIMS_SIGNING_KEY", "") or "").strip()
        and Path(settings.AIMS_SIGNING_KEY_FILE) == Path(settings.VAR_DIR) / "signing_key.pem"
    )
