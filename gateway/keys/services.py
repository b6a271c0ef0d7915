"""Writes of gateway keys and model routes, and the one check of a presented key.

A key is ``aimsgw_`` followed by 43 URL-safe characters (256 random bits). Only its first
characters (the lookup prefix, unique) and the SHA-256 of the whole key are stored; the
plaintext is returned once by ``key_create`` and never again. ``key_authenticate`` finds the
key by its prefix (one indexed query) and compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aims.models import ManagementSystem
from aims.prepared import Prepared, columns, instance
from aims.services import register_create, register_update
from gateway import ledger
from gateway.models import GatewayEvent, GatewayKey, ModelRoute
from registers.models import AISystem, ModelRecord

KEY_SCHEME = "aimsgw_"
PREFIX_LENGTH = len(KEY_SCHEME) + 8  # "aimsgw_" and 8 random characters: 48 bits, enough to find one key
DEFAULT_DAYS = 90
MAX_DAYS = 366
# ``last_used_at`` is written at most this often per key: a busy key must not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyRefused(Exception):
    """A presented gateway key that does not authenticate; the message says why (never the key)."""

    def __init__(self, reason: str, key: GatewayKey | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


def key_digest(plaintext: str) -> str:
    """The SHA-256 (hex) of a whole key, as stored."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


# --- keys ------------------------------------------------------------------------------------


def key_create(
    *,
    ai_system: AISystem,
    user: AbstractBaseUser | None,
    name: str,
    expires_in_days: int = DEFAULT_DAYS,
    reason: str = "Created",
) -> tuple[GatewayKey, str]:
    """Issue a key for an AI system, valid ``expires_in_days``; return it with the plaintext, shown once."""
    if ai_system.is_retired:
        raise ValidationError({"ai_system": f"{ai_system.reference} was retired: it gets no new gateway key."})
    if not 1 <= int(expires_in_days) <= MAX_DAYS:
        raise ValidationError({"expires_in_days": f"A gateway key lasts from 1 to {MAX_DAYS} days."})
    if not (name or "").strip():
        raise ValidationError({"name": "Say what the key is for."})
    plaintext = KEY_SCHEME + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = _key_create(ai_system, user, reason, name, plaintext, expires_in_days)
        _key_event(key, GatewayEvent.Type.KEY_CREATED, user, f"Key {key.reference} '{key.name}' issued, "
                   f"expires {key.expires_at:%Y-%m-%d}.")  # fmt: skip
    return key, plaintext


def _key_event(key: GatewayKey, type: str, user: AbstractBaseUser | None, detail: str) -> None:
    """A key's issue or revocation is an event of its AI system's chain (the key's reference, who, why)."""
    who = f" By {user.get_username()}." if user is not None else ""
    ledger.event_append(
        ai_system=key.ai_system, type=type, key_id=key.pk, subject=key.reference, detail=(detail + who)[:500]
    )


def _key_create(
    ai_system: AISystem, user: AbstractBaseUser | None, reason: str, name: str, plaintext: str, expires_in_days: int
) -> GatewayKey:
    return register_create(
        GatewayKey,
        management_system=ai_system.management_system,
        user=user,
        reason=reason,
        ai_system=ai_system,
        name=name.strip()[:100],
        prefix=plaintext[:PREFIX_LENGTH],
        digest=key_digest(plaintext),
        expires_at=timezone.now() + timedelta(days=int(expires_in_days)),
        created_by=user,
    )


def key_revoke(
    key: GatewayKey, *, user: AbstractBaseUser | None, reason: str, expected_version: int | None = None
) -> GatewayKey:
    """Revoke a key at once, with the reason; it never authenticates again."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": f"Say why {key.reference} is revoked."})
    if key.is_revoked:
        raise ValidationError(f"{key.reference} was already revoked on {key.revoked_at:%d %b %Y}.")
    with transaction.atomic():
        revoked = register_update(
            key,
            user=user,
            expected_version=expected_version,
            reason=f"Revoked: {reason}",
            revoked_at=timezone.now(),
            revoked_reason=reason[:300],
        )
        _key_event(revoked, GatewayEvent.Type.KEY_REVOKED, user, f"Key {revoked.reference} revoked: {reason}")
    return revoked


def key_rename(
    key: GatewayKey, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Updated", name: str
) -> GatewayKey:
    """Rename a key (its secret, system and expiry never change)."""
    if not (name or "").strip():
        raise ValidationError({"name": "Say what the key is for."})
    return register_update(key, user=user, expected_version=expected_version, reason=reason, name=name.strip())


# The key with its AI system and management system, by prefix: every call's first query, compiled once.
_KEY_LOOKUP = Prepared(
    lambda prefix: (
        GatewayKey.objects.filter(prefix=prefix)
        .order_by("pk")
        .values_list(
            *columns(GatewayKey), *columns(AISystem, "ai_system__"), *columns(ManagementSystem, "management_system__")
        )[:1]
    ),
    "\x00prefix",
)


def _key_by_prefix(prefix: str) -> GatewayKey | None:
    """The key with this prefix, its ``ai_system`` and ``management_system`` loaded (one query), or None."""
    row = _KEY_LOOKUP.first(prefix)
    if row is None:
        return None
    key = instance(GatewayKey, row)
    system = instance(AISystem, row, len(GatewayKey._meta.concrete_fields))
    key.ai_system = system
    key.management_system = instance(
        ManagementSystem, row, len(GatewayKey._meta.concrete_fields) + len(AISystem._meta.concrete_fields)
    )
    return key


def key_authenticate(bearer: str, *, now: datetime | None = None) -> GatewayKey:
    """The active key a bearer value names (one query by prefix), or ``KeyRefused`` saying why."""
    bearer = (bearer or "").strip()
    if bearer[:7].lower() == "bearer ":
        bearer = bearer[7:].strip()
    if not bearer.startswith(KEY_SCHEME) or len(bearer) < PREFIX_LENGTH + 8 or len(bearer) > 200:
        raise KeyRefused("Not a gateway key: send 'Authorization: Bearer aimsgw_...'.")
    key = _key_by_prefix(bearer[:PREFIX_LENGTH])
    # Compare even when no key has the prefix, so an unknown key takes as long as a wrong one.
    stored = key.digest if key is not None else "0" * 64
    if not hmac.compare_digest(stored, key_digest(bearer)) or key is None:
        raise KeyRefused("Unknown gateway key.")
    if key.revoked_at is not None:
        raise KeyRefused(f"Gateway key {key.reference} was revoked.", key)
    if key.expires_at <= (now or timezone.now()):
        raise KeyRefused(f"Gateway key {key.reference} expired on {key.expires_at:%Y-%m-%d}.", key)
    return key


def key_mark_used(key: GatewayKey, *, at: datetime | None = None) -> bool:
    """Note when a key was last used (at most once a minute); return whether it wrote.

    Telemetry, not a change of the register: it makes no history version (the gateway's event
    ledger records each call).
    """
    at = at or timezone.now()
    if key.last_used_at is not None and at - key.last_used_at < LAST_USED_RESOLUTION:
        return False
    key.last_used_at = at
    key.skip_history_when_saving = True
    try:
        key.save(update_fields=["last_used_at"])
    finally:
        del key.skip_history_when_saving
    return True


# --- model routes ----------------------------------------------------------------------------


def route_set(
    *,
    model_record: ModelRecord,
    user: AbstractBaseUser | None,
    expected_version: int | None = None,
    reason: str = "Route set",
    **fields: Any,
) -> ModelRoute:
    """Create or change the route of a model record (one per record); the credential is named, never stored."""
    if model_record.is_retired:
        raise ValidationError({"model_record": f"{model_record.reference} was retired: it gets no route."})
    with transaction.atomic():
        route = ModelRoute.objects.filter(model_record=model_record).first()
        if route is None:
            return register_create(
                ModelRoute,
                management_system=model_record.management_system,
                user=user,
                reason=reason,
                model_record=model_record,
                **fields,
            )
        return register_update(route, user=user, expected_version=expected_version, reason=reason, **fields)


def route_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Created", **fields: Any
) -> ModelRoute:
    """Create the route of a model record of the management system (refused if it has one)."""
    model_record = fields.pop("model_record")
    if model_record.management_system_id != management_system.pk:
        raise ValidationError({"model_record": "The model record belongs to another management system."})
    if ModelRoute.objects.filter(model_record=model_record).exists():
        raise ValidationError({"model_record": f"{model_record.reference} already has a route: change it instead."})
    return route_set(model_record=model_record, user=user, reason=reason, **fields)


def route_update(
    route: ModelRoute,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> ModelRoute:
    """Change a route (its model record stays)."""
    fields.pop("model_record", None)
    return register_update(route, user=user, expected_version=expected_version, reason=reason, **fields)
