"""Tamper-evident sign-offs: canonical digests of signed versions, chained per management system.

How a kind of sign-off plugs in (the SoA in ``controls.signoffs``; risk acceptance and
impact-assessment approval follow the same pattern)::

    from aims import ledger

    ledger.register_signable(
        "risk_acceptance",
        label="Risk acceptance",
        subject_model=Risk,
        versions=lambda risk: [latest_history_row(risk)],     # the rows that ARE the signed version
        may_sign=lambda user, risk: risk.owner_id == user.pk or access.can(user, Action.SIGN_OFF, risk),
        blockers=lambda risk: [] if risk.treatment_plan else ["Write a treatment plan first."],
        diff_url=lambda risk, signoff: reverse("assessments:risk_history", args=[risk.management_system_id, risk.pk]),
        subject_url=lambda signoff: reverse("assessments:risk_detail", args=[signoff.management_system_id, signoff.subject_id]),
    )

Call it from the app's ``AppConfig.ready()``. The optional ``subject_url(signoff)``, built
from ``signoff.subject_id`` without loading the subject, is where the ledger page links
each sign-off. Then:

- ``sign_off(kind=..., subject=..., user=..., statement=...) -> SignOff`` checks access
  (the kind's ``may_sign``, by default ``aims.access`` SIGN_OFF), refuses with a
  ``ValidationError`` listing the kind's ``blockers``, and appends a sign-off to the
  management system's chain. It raises ``PermissionDenied`` (or ``Http404`` when the
  subject is invisible to the user).
- ``sign_off_status(kind, subject) -> SignOffStatus``: the latest sign-off, whether the
  subject changed since (``changed_since``), which records changed (``changed``: object
  id, signed and current history ids) and the kind's ``diff_url``.
- ``changes_since(signoff, subject)``: the same list of changed records for any sign-off.
- ``sign_offs_of(kind, subject)``: every sign-off of a subject, newest first (old ones stay).
- ``verify(management_system=None) -> {"ok", "checked", "first_broken"}`` recomputes
  every digest and chain link; ``first_broken`` names the sign-off and the reason
  (``digest mismatch``, ``chain link mismatch`` or ``missing history row``).

What is signed: ``versions(subject)`` returns simple-history rows (one per record that is
part of the signed object: one for a risk, all 38 rows for the SoA). The sign-off stores
their ``[model label, history id]`` pairs, and the digest is SHA-256 over canonical JSON
(sorted keys, no whitespace, UTC datetimes with microseconds, plain decimal strings) of
the data read back from the HISTORY tables (every tracked field and versioned link) plus
the signer, role, statement, time and the chain fields. Editing a history row or a
sign-off behind the application's back therefore changes the recomputed digest, and
removing a sign-off breaks the next link. The first sign-off of a management system
links to ``GENESIS_DIGEST``.

Each digest is also signed with the register's Ed25519 key (``aims.signing``; the
``signature`` field, not part of the payload), and each chain's head is anchored outside the
database (``aims.anchors``), so that whoever can write to the database but holds neither the
key nor the anchor logs cannot rewrite, shorten or empty a chain unseen. ``verify`` checks
both and also reports ``signature mismatch``, ``unsigned`` (after a signed sign-off),
``chain shortened``, ``chain rewritten`` and ``anchor signature mismatch``. Sign-offs made
before signing existed have no signature and are counted as ``unsigned``.
``chain_export`` writes the chain with every canonical payload (a pack's ``ledger.json``).

Verification runs in the background for the ledger page: ``check_request(ms, user=...)`` queues
a ``LedgerCheck`` (the Celery task ``aims.verify_ledger`` runs ``check_run``), a daily task checks
every chain, and ``latest_check(ms)`` is what the page shows with its time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from json.encoder import encode_basestring as _json_string
from operator import itemgetter
from typing import Any
from uuid import UUID

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from aims import access, services, signing
from aims.access import Action
from aims.models import LedgerCheck, ManagementSystem, SignOff

GENESIS_DIGEST = "0" * 64
# The canonical format new sign-offs are written in; every sign-off records its own, and
# verification recomputes each in the format it was signed in.
CANONICAL_FORMAT = 7
# Fields added to signed records after a format was in use, by model ("*" for every model): a
# sign-off of an earlier format never covered them, so they are left out when it is recomputed.
FIELDS_SINCE_FORMAT: dict[int, dict[str, frozenset[str]]] = {
    2: {"*": frozenset({"retired_at", "retired_reason"})},  # records retired instead of deleted
    4: {  # risks: consequences per party, residual evaluation, acceptance rationale and review date
        "assessments.risk": frozenset(
            {
                "consequence_organisation_rating",
                "consequence_individuals_rating",
                "consequence_society_rating",
                "residual_evaluation",
                "acceptance_rationale",
                "acceptance_review_by",
            }
        )
    },
    5: {  # impact assessments on versioned impact criteria, re-assessments, and impact rows' effect and scale
        "assessments.impactassessment": frozenset({"impact_criteria_id", "predecessor_id"}),
        "assessments.impactrow": frozenset({"effect", "scenario", "people_scale"}),
    },
}
# Format 3 adds to the payload how the signer was verified and any four-eyes override;
# format 6 adds the signer's job title at the moment of signing (their app role was there from 1);
# format 7 hashes each signed version on its own (``version_digest``) and the payload lists those
# hashes (``{"model", "history_id", "sha256"}``) instead of the versions' data, so a version signed
# by many sign-offs is hashed once when the chain is verified.

VersionKey = tuple[str, int]  # (tracked model label, history id)


@dataclass(frozen=True)
class Signable:
    """How one kind of sign-off finds, checks and shows what it signs."""

    kind: str
    label: str
    subject_model: type[models.Model]
    versions: Callable[[Any], Iterable[Any]]
    may_sign: Callable[[Any, Any], bool] | None = None
    blockers: Callable[[Any], list[str]] | None = None
    diff_url: Callable[[Any, SignOff], str | None] | None = None
    subject_url: Callable[[SignOff], str | None] | None = None
    refusal: Callable[[Any], str] | None = None
    verb: str = "Approve"
    done_label: str = "Approved"
    statement: str = ""
    rule: Callable[[Any], str] | None = None
    last_editor: Callable[[Any], int | None] | None = None

    def management_system_of(self, subject: models.Model) -> ManagementSystem:
        return subject if isinstance(subject, ManagementSystem) else subject.management_system


class SignOffConflict(Exception):
    """What is signed changed since the signer opened it: nothing was signed."""


_SIGNABLES: dict[str, Signable] = {}


def register_signable(
    kind: str,
    *,
    label: str,
    subject_model: type[models.Model],
    versions: Callable[[Any], Iterable[Any]],
    may_sign: Callable[[Any, Any], bool] | None = None,
    blockers: Callable[[Any], list[str]] | None = None,
    diff_url: Callable[[Any, SignOff], str | None] | None = None,
    subject_url: Callable[[SignOff], str | None] | None = None,
    refusal: Callable[[Any], str] | None = None,
    verb: str = "Approve",
    done_label: str = "Approved",
    statement: str = "",
    rule: Callable[[Any], str] | None = None,
    last_editor: Callable[[Any], int | None] | None = None,
) -> Signable:
    """Declare a kind of sign-off (call it from AppConfig.ready(); registering twice replaces).

    ``refusal(subject)`` explains a refused signer; ``verb``, ``done_label``, ``statement``
    (the statement offered in the form) and ``rule(subject)`` (who may sign, in words)
    are what the one sign-off panel shows. ``last_editor(subject)`` names the user whose change
    the signer would approve (by default whoever made the newest of the signed versions): the
    four-eyes rule refuses them unless they record an override reason.
    """
    spec = Signable(
        kind, label, subject_model, versions, may_sign, blockers, diff_url, subject_url,
        refusal, verb, done_label, statement, rule, last_editor,
    )  # fmt: skip
    _SIGNABLES[kind] = spec
    return spec


def signable(kind: str) -> Signable:
    """Return the registered kind or raise LookupError."""
    try:
        return _SIGNABLES[kind]
    except KeyError:
        raise LookupError(f"No sign-off kind {kind!r} is registered.") from None


def kind_label(kind: str) -> str:
    spec = _SIGNABLES.get(kind)
    return spec.label if spec else kind


def subject_url(signoff: SignOff) -> str | None:
    """Where the ledger page links a sign-off's subject (the kind's ``subject_url``), if anywhere."""
    spec = _SIGNABLES.get(signoff.kind)
    return spec.subject_url(signoff) if spec and spec.subject_url else None


# --- canonical JSON and digests -----------------------------------------------------------


def _plain(value: Any) -> Any:
    """Turn a field value into a JSON value with one stable text form."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


plain = _plain  # the stable text form of a value, for other modules


def canonical_json(value: Any) -> bytes:
    """Serialise to canonical JSON: sorted keys, no whitespace, UTF-8, stable scalar formats."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(value: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of a value."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def history_model(label: str) -> type[models.Model]:
    model = apps.get_model(label)
    return model.history.model


def load_versions(keys: Iterable[VersionKey], *, batch_size: int = 2000) -> dict[VersionKey, dict[str, Any]]:
    """Read signed versions back from the history tables as plain values (a query per model, link and batch)."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for label, history_id in keys:
        by_label[label].append(int(history_id))
    loaded: dict[VersionKey, dict[str, Any]] = {}
    for label, all_ids in by_label.items():
        try:
            tracked = history_model(label)
        except LookupError:
            continue  # the model is gone: its versions count as missing history rows
        names = [f.attname for f in tracked.tracked_fields]
        unique_ids = sorted(set(all_ids))
        for start in range(0, len(unique_ids), batch_size):
            ids = unique_ids[start : start + batch_size]
            links = _load_links(tracked, ids)
            rows = tracked._default_manager.filter(history_id__in=ids).values_list(
                "history_id", "history_date", "history_type", *names
            )
            for history_id, history_date, history_type, *values in rows:
                data = {name: _plain(value) for name, value in zip(names, values, strict=True)}
                data.update(
                    {name: sorted(targets.get(history_id, [])) for name, targets in links.items()},
                    history_id=history_id,
                    history_date=_plain(history_date),
                    history_type=history_type,
                    model=label,
                )
                loaded[(label, history_id)] = data
    return loaded


def _load_links(history_model: type[models.Model], ids: list[int]) -> dict[str, dict[int, list[int]]]:
    """Versioned many-to-many links of history rows: {field: {history id: [target ids]}}."""
    links: dict[str, dict[int, list[int]]] = {}
    for m2m_field in getattr(history_model, "_history_m2m_fields", []):
        link_model = getattr(history_model, m2m_field.name).model
        target = f"{m2m_field.m2m_reverse_field_name()}_id"
        by_row: dict[int, list[int]] = defaultdict(list)
        for history_id, target_id in link_model._default_manager.filter(history_id__in=ids).values_list(
            "history_id", target
        ):
            by_row[history_id].append(target_id)
        links[m2m_field.name] = by_row
    return links


def _in_format(version: dict[str, Any], canonical_format: int) -> dict[str, Any]:
    """A signed version as a sign-off of ``canonical_format`` covered it (without fields added later)."""
    later: set[str] = set()
    for since, by_model in FIELDS_SINCE_FORMAT.items():
        if since > canonical_format:
            later |= by_model.get("*", frozenset()) | by_model.get(version.get("model", ""), frozenset())
    return {name: value for name, value in version.items() if name not in later}


def version_digest(version: dict[str, Any]) -> str:
    """SHA-256 of one signed version's canonical JSON (what a format-7 payload lists for it)."""
    return digest_of(version)


def _signed_version(version: dict[str, Any], canonical_format: int, digest: str | None = None) -> dict[str, Any]:
    if canonical_format >= 7:
        return {
            "model": version["model"],
            "history_id": version["history_id"],
            "sha256": digest or version_digest(version),
        }
    return _in_format(version, canonical_format)


def _payload_head(
    canonical_format: int,
    *,
    management_system_id: int,
    sequence: int,
    previous_digest: str,
    kind: str,
    subject_type: str,
    subject_id: int,
    signer_id: int,
    signer_role: str,
    signer_title: str,
    statement: str,
    signed_at: datetime,
    verification: str,
    override_reason: str,
) -> dict[str, Any]:
    """Everything a sign-off's digest covers except the signed versions, in its format."""
    ceremony = {"verification": verification, "override_reason": override_reason} if canonical_format >= 3 else {}
    return {
        **ceremony,
        "format": canonical_format,
        "management_system": management_system_id,
        "sequence": sequence,
        "previous_digest": previous_digest,
        "kind": kind,
        # The content type's natural key, not its id: ids may differ after a dump and restore.
        "subject": {"type": subject_type, "id": subject_id},
        "signer": {
            "id": signer_id,
            "role": signer_role,
            **({"title": signer_title} if canonical_format >= 6 else {}),
        },
        "statement": statement,
        "signed_at": signed_at,
    }


def signed_payload(signoff: SignOff, versions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Everything a sign-off's digest covers: the signed data (format 7: its hashes), who, what, when and the link."""
    canonical_format = signoff.canonical_format
    head = _payload_head(
        canonical_format,
        management_system_id=signoff.management_system_id,
        sequence=signoff.sequence,
        previous_digest=signoff.previous_digest,
        kind=signoff.kind,
        subject_type=f"{signoff.subject_type.app_label}.{signoff.subject_type.model}",
        subject_id=signoff.subject_id,
        signer_id=signoff.signer_id,
        signer_role=signoff.signer_role,
        signer_title=signoff.signer_title,
        statement=signoff.statement,
        signed_at=signoff.signed_at,
        verification=signoff.verification,
        override_reason=signoff.override_reason,
    )
    return {**head, "versions": [_signed_version(version, canonical_format) for version in versions]}


def _version_keys(signoff: SignOff) -> list[VersionKey]:
    return [(str(label), int(history_id)) for label, history_id in signoff.versions]


# --- signing ------------------------------------------------------------------------------


def may_sign(kind: str, user: AbstractBaseUser, subject: models.Model) -> bool:
    """Whether the user may give this kind of sign-off on the subject (the kind's rule, else SIGN_OFF)."""
    spec = signable(kind)
    if not access.is_visible(user, subject):
        return False
    return spec.may_sign(user, subject) if spec.may_sign else access.can(user, Action.SIGN_OFF, subject)


def require_may_sign(kind: str, user: AbstractBaseUser, subject: models.Model) -> None:
    """404 when the subject is invisible to the user, 403 (with the kind's reason) when they may not sign it."""
    _check_may_sign(signable(kind), user, subject)


def _check_may_sign(spec: Signable, user: AbstractBaseUser, subject: models.Model) -> None:
    if not access.is_visible(user, subject):
        raise Http404("Not found.")
    if not may_sign(spec.kind, user, subject):
        reason = spec.refusal(subject) if spec.refusal else f"You may not sign off: {spec.label.lower()}."
        raise PermissionDenied(reason)


def last_editor_id(kind: str, subject: models.Model, *, versions: list[Any] | None = None) -> int | None:
    """The user whose change a sign-off of this kind would approve (the four-eyes rule).

    ``versions``: the kind's ``versions(subject)`` when the caller just read them.
    """
    spec = signable(kind)
    if spec.last_editor is not None:
        return spec.last_editor(subject)
    rows = list(spec.versions(subject)) if versions is None else versions
    newest = max(rows, key=lambda row: (row.history_date, row.history_id), default=None)
    return getattr(newest, "history_user_id", None)


def signs_own_change(
    kind: str, user: AbstractBaseUser, subject: models.Model, *, versions: list[Any] | None = None
) -> bool:
    """Whether the user made the last change to what they would sign (four eyes: someone else should)."""
    editor = last_editor_id(kind, subject, versions=versions)
    return editor is not None and editor == user.pk


def _check_four_eyes(spec: Signable, user: AbstractBaseUser, subject: models.Model, override_reason: str) -> None:
    if signs_own_change(spec.kind, user, subject) and not override_reason:
        raise ValidationError(
            {
                "override_reason": "You made the last change to what you are signing: a second person signs it, "
                "or record why you sign your own change (the override is shown wherever the sign-off is)."
            }
        )


def _current_keys(spec: Signable, subject: models.Model, versions: list[Any] | None = None) -> list[VersionKey]:
    rows = spec.versions(subject) if versions is None else versions
    return sorted((row.instance_type._meta.label_lower, row.history_id) for row in rows)


def _token(keys: list[VersionKey]) -> str:
    return digest_of([list(key) for key in keys])[:32]


def version_token(kind: str, subject: models.Model, *, versions: list[Any] | None = None) -> str:
    """A token naming the exact version of everything a sign-off of this kind would sign now.

    A signing page or API client reads it with what it shows (the API as an ``ETag``) and
    hands it back; ``sign_off`` refuses when it no longer matches, so nobody signs a version
    they did not see. ``versions``: the kind's ``versions(subject)`` when the caller just read them.
    """
    return _token(_current_keys(signable(kind), subject, versions))


def sign_off(
    *,
    kind: str,
    subject: models.Model,
    user: AbstractBaseUser,
    statement: str,
    verification: str | Callable[[], str],
    expected_token: str | None = None,
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Sign the subject's current version and append the sign-off to its management system's chain.

    ``verification`` says how the signer was verified at this moment, or is the check itself
    (``lambda: aims.mfa.verify_step_up(...)``), run last, inside the signing transaction, so a
    code is spent only on a sign-off that is written. With ``expected_token`` (from ``version_token`` when the
    signer opened it), refuse with ``SignOffConflict`` if anything signed changed since. The
    last editor of what is signed is refused unless ``override_reason`` says why they sign.
    The signer's job title (``job_title``, asked once and kept on their membership) and app role
    at this moment are recorded in the signed payload.
    """
    override_reason = " ".join((override_reason or "").split())
    spec = signable(kind)
    _check_may_sign(spec, user, subject)
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": "Write the statement you are signing."})
    management_system = spec.management_system_of(subject)
    with transaction.atomic():
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        # Edits lock the record's row: none can slip between this check and the signing, and
        # what is checked and signed is read afresh, not from the caller's copy.
        subject = type(subject)._default_manager.select_for_update().get(pk=subject.pk)
        missing = spec.blockers(subject) if spec.blockers else []
        if missing:
            raise ValidationError(missing)
        _check_four_eyes(spec, user, subject, override_reason)
        keys = _current_keys(spec, subject)
        if not keys:
            raise ValidationError("There is nothing to sign yet.")
        if expected_token is not None and _token(keys) != expected_token:
            raise SignOffConflict(
                f"{spec.label}: what you are signing changed since you opened it. Nothing was signed: "
                "review the version that stands now, then sign again."
            )
        title = _signer_title(user, management_system, job_title)
        method = verification() if callable(verification) else verification
        signoff = append_signoff(
            kind=kind,
            subject=subject,
            keys=keys,
            signer=user,
            signer_role=access.role_of(user, management_system) or "",
            signer_title=title,
            statement=statement,
            verification=method,
            override_reason=override_reason if signs_own_change(kind, user, subject) else "",
        )
    return signoff


def append_signoff(
    *,
    kind: str,
    subject: models.Model,
    signer: AbstractBaseUser,
    signer_role: str,
    statement: str,
    verification: str,
    keys: list[VersionKey] | None = None,
    signer_title: str = "",
    override_reason: str = "",
    signed_at: datetime | None = None,
) -> SignOff:
    """Append a sign-off of the subject's versions to its management system's chain: link, digest, signature.

    No check of the signer: ``sign_off`` makes them first (membership, second factor, four eyes),
    and a sign-off no person gives (a gateway checkpoint) is appended by the code that owns it.
    ``keys`` are the signed versions (by default the kind's current ones). The management
    system's row is locked, so sign-offs of one management system are appended one at a time.
    """
    spec = signable(kind)
    management_system = spec.management_system_of(subject)
    with transaction.atomic():
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        keys = _current_keys(spec, subject) if keys is None else keys
        previous = SignOff.objects.filter(management_system=management_system).order_by("-sequence").first()
        signoff = SignOff(
            management_system=management_system,
            sequence=previous.sequence + 1 if previous else 1,
            previous_digest=previous.digest if previous else GENESIS_DIGEST,
            kind=kind,
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=subject.pk,
            versions=[list(key) for key in keys],
            signer=signer,
            signer_role=signer_role,
            signer_title=signer_title,
            statement=statement,
            signed_at=signed_at or timezone.now(),
            canonical_format=CANONICAL_FORMAT,
            verification=verification,
            override_reason=override_reason,
        )
        loaded = load_versions(keys)
        signoff.digest = digest_of(signed_payload(signoff, [loaded[key] for key in keys]))  # format 7: version hashes
        signoff.signature = signing.sign_digest(signoff.digest)
        signoff.save()
    return signoff


def needs_job_title(user: AbstractBaseUser, management_system: ManagementSystem) -> bool:
    """Whether the signer must still give their job title (asked once per organisation)."""
    membership = access.membership_for(user, management_system.pk)
    return membership is not None and not membership.job_title


def _signer_title(user: AbstractBaseUser, management_system: ManagementSystem, job_title: str) -> str:
    membership = access.membership_for(user, management_system.pk)
    if membership is None:  # superusers outside the organisation: no title to record
        return " ".join((job_title or "").split())
    if (job_title or "").strip():
        membership = services.membership_set_job_title(membership, actor=user, job_title=job_title)
    if not membership.job_title:
        raise ValidationError(
            {"job_title": "Give your job title: it is recorded with your signature (asked once, then remembered)."}
        )
    return membership.job_title


# --- status of a signed subject -----------------------------------------------------------


@dataclass(frozen=True)
class ChangedRecord:
    model: str
    object_id: int
    signed_history_id: int | None
    current_history_id: int | None


@dataclass(frozen=True)
class SignOffStatus:
    latest: SignOff | None
    changed_since: bool
    changed: list[ChangedRecord] = field(default_factory=list)
    diff_url: str | None = None


def sign_offs_of(kind: str, subject: models.Model) -> models.QuerySet[SignOff]:
    """Every sign-off of a subject, newest first, with the signer joined."""
    return (
        SignOff.objects.filter(
            kind=kind, subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )
        .select_related("signer")
        .order_by("-sequence")
    )


def sign_off_status(
    kind: str, subject: models.Model, *, history: list[SignOff] | None = None, versions: list[Any] | None = None
) -> SignOffStatus:
    """The latest sign-off of the subject and which of its records changed since.

    What the caller just read, to be used instead of reading it again: ``history``, the subject's
    ``sign_offs_of`` (newest first), and ``versions``, the kind's ``versions(subject)``.
    """
    spec = signable(kind)
    if history is None:
        latest = sign_offs_of(kind, subject).first()
    else:
        latest = history[0] if history else None
    if latest is None:
        return SignOffStatus(latest=None, changed_since=False)
    changed = changes_since(latest, subject, versions=versions)
    url = spec.diff_url(subject, latest) if (changed and spec.diff_url) else None
    return SignOffStatus(latest=latest, changed_since=bool(changed), changed=changed, diff_url=url)


def annotate_sign_offs(records: list[Any], kind: str) -> list[Any]:
    """Set ``sign_offs`` (newest first), ``latest_sign_off`` and ``changed_since_signed`` on each record.

    Two queries whatever the number of records: the sign-offs, and the versions they signed.
    """
    records = list(records)
    if not records:
        return records
    model = type(records[0])
    content_type = ContentType.objects.get_for_model(model)
    rows = SignOff.objects.filter(kind=kind, subject_type=content_type, subject_id__in=[r.pk for r in records])
    by_subject: dict[int, list[Any]] = defaultdict(list)
    for sign_off in rows.select_related("signer").order_by("-sequence"):
        by_subject[sign_off.subject_id].append(sign_off)
    label = model._meta.label_lower
    signed = {
        subject: next((hid for lab, hid in offs[0].versions if lab == label), None)
        for subject, offs in by_subject.items()
    }
    versions = dict(
        model.history.filter(history_id__in=[h for h in signed.values() if h]).values_list("history_id", "version")
    )
    for record in records:
        record.sign_offs = by_subject.get(record.pk, [])
        record.latest_sign_off = record.sign_offs[0] if record.sign_offs else None
        record.signed_version = versions.get(signed.get(record.pk))
        record.changed_since_signed = record.latest_sign_off is not None and record.signed_version != record.version
    return records


def signed_record_version(signoff: SignOff, record: models.Model) -> int | None:
    """The ``version`` number of a record as the sign-off signed it, if the record was part of it."""
    label = record._meta.label_lower
    history_ids = [int(history_id) for model_label, history_id in signoff.versions if model_label == label]
    if not history_ids:
        return None
    return (
        record.history.model._default_manager.filter(history_id__in=history_ids, id=record.pk)
        .values_list("version", flat=True)
        .first()
    )


def changes_since(signoff: SignOff, subject: models.Model, *, versions: list[Any] | None = None) -> list[ChangedRecord]:
    """Records of the subject whose current version is not the one the sign-off signed."""
    spec = signable(signoff.kind)
    rows = spec.versions(subject) if versions is None else versions
    current = {(row.instance_type._meta.label_lower, row.id): row.history_id for row in rows}
    signed = _signed_objects(_version_keys(signoff))
    return [
        ChangedRecord(label, object_id, signed.get((label, object_id)), current.get((label, object_id)))
        for label, object_id in sorted(set(current) | set(signed))
        if signed.get((label, object_id)) != current.get((label, object_id))
    ]


def _signed_objects(keys: list[VersionKey]) -> dict[tuple[str, int], int]:
    """Map (model label, object id) to the signed history id."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for label, history_id in keys:
        by_label[label].append(history_id)
    result: dict[tuple[str, int], int] = {}
    for label, ids in by_label.items():
        try:
            rows = history_model(label)._default_manager.filter(history_id__in=ids).values_list("id", "history_id")
        except LookupError:
            continue
        result.update({(label, object_id): history_id for object_id, history_id in rows})
    return result


# --- verification ------------------------------------------------------------------------

UNSIGNED_NOTE = "unsigned (before signing existed)"


@dataclass(frozen=True)
class Broken:
    """The first thing that does not verify: a sign-off, or the chain against an anchor (``signoff`` None)."""

    signoff: SignOff | None
    reason: str
    detail: str
    management_system_id: int | None = None
    sequence: int | None = None

    def as_dict(self) -> dict[str, Any]:
        s = self.signoff
        if s is None:
            return {
                "id": None,
                "management_system": self.management_system_id,
                "sequence": self.sequence,
                "kind": "",
                "subject": None,
                "signed_at": None,
                "reason": self.reason,
                "detail": self.detail,
            }
        return {
            "id": s.pk,
            "management_system": s.management_system_id,
            "sequence": s.sequence,
            "kind": s.kind,
            "subject": {"type": f"{s.subject_type.app_label}.{s.subject_type.model}", "id": s.subject_id},
            "signed_at": _plain(s.signed_at),
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass
class ChainCheck:
    """What checking the chains found: the first broken thing, how many were checked, signed and unsigned."""

    broken: Broken | None = None
    checked: int = 0
    signed: int = 0
    unsigned: int = 0
    heads: dict[int, dict[int, str]] = field(default_factory=dict)  # {management system: {sequence: digest}}
    # {management system: (last sequence, MAC)}: the signatures verified, for the next check (``signatures_mac``).
    remembered: dict[int, tuple[int, str]] = field(default_factory=dict)


def verify(management_system: ManagementSystem | None = None) -> dict[str, Any]:
    """Check every digest, chain link and signature, then each chain against its anchors.

    Answers ``ok``, how many sign-offs were ``checked``, the ``first_broken`` (or None), how many
    are ``signed`` and how many ``unsigned`` (made before signing existed), and for one management
    system its latest readable ``anchor``. Signatures the last finished check verified are not
    verified again while the MAC it stored still matches (``signatures_mac``).
    """
    return _verify(management_system)[0]


def _verify(management_system: ManagementSystem | None) -> tuple[dict[str, Any], ChainCheck]:
    from aims import anchors  # anchors build on this module

    check = check_chains(management_system, remembered=_remembered_signatures(management_system))
    if management_system is not None:
        ids = [management_system.pk]
    else:
        ids = list(ManagementSystem.objects.order_by("pk").values_list("pk", flat=True))
    broken = check.broken
    latest = None
    for ms_id in ids:
        found = anchors.check(ms_id, check.heads.get(ms_id, {}))
        if broken is None and found.broken is not None:
            broken = found.broken
        if management_system is not None:
            latest = found.latest
    result = {
        "ok": broken is None,
        "checked": check.checked,
        "first_broken": broken.as_dict() if broken else None,
        "signed": check.signed,
        "unsigned": check.unsigned,
    }
    if management_system is not None:
        result["anchor"] = latest
    return result, check


# --- signatures verified once -------------------------------------------------------------
# An Ed25519 verification costs more than recomputing a digest. A finished check stores, per
# chain, its last sequence and a MAC (keyed by a key derived from the register's private key)
# over every (sequence, digest, signature) up to it. The next check recomputes that MAC as it
# reads the chain and skips verifying those signatures only if it matches: whoever can write
# to the database cannot forge it without the key, and any changed digest or signature changes
# it (then every signature is verified as before). Digests and links are recomputed every time.


def _mac_key() -> bytes:
    return hashlib.sha256(b"aims-ledger-check:" + signing.private_key().private_bytes_raw()).digest()


def signatures_mac(management_system_id: int, through: int, running: bytes) -> str:
    """The MAC of a chain's (sequence, digest, signature) up to ``through``, given their running SHA-256."""
    message = f"aims-ledger-signatures:{management_system_id}:{through}:".encode() + running
    return hmac.new(_mac_key(), message, hashlib.sha256).hexdigest()


def _remembered_signatures(management_system: ManagementSystem | None) -> dict[int, tuple[int, str]]:
    """Each chain's stored (last sequence, MAC) from its latest finished check, if it verified."""
    checks = LedgerCheck.objects.filter(status=LedgerCheck.Status.DONE, ok=True, signatures_through__gt=0)
    if management_system is not None:
        checks = checks.filter(management_system=management_system)
    remembered: dict[int, tuple[int, str]] = {}
    for ms_id, through, mac in checks.order_by("management_system_id", "-finished_at", "-pk").values_list(
        "management_system_id", "signatures_through", "signatures_mac"
    ):
        remembered.setdefault(ms_id, (through, mac))
    return remembered


def _first_bad_signature(management_system_id: int, through: int) -> tuple[int, tuple[str, str]] | None:
    """The first sign-off up to ``through`` whose signature does not verify: (id, problem), streaming."""
    rows = (
        SignOff.objects.filter(management_system_id=management_system_id, sequence__lte=through)
        .order_by("sequence")
        .values_list("pk", "sequence", "digest", "signature")
    )
    for pk, sequence, digest, signature in rows.iterator(chunk_size=2000):
        if signature and not signing.verify_digest(digest, signature):
            return pk, _signature_problem(sequence)
    return None


def verify_chain(management_system: ManagementSystem | None = None) -> tuple[Broken | None, int]:
    """Check sign-offs chain by chain, in order; return the first broken one and how many were checked."""
    check = check_chains(management_system)
    return check.broken, check.checked


# The sign-off columns verification reads, as plain values.
_COLUMNS = (
    "pk", "management_system_id", "sequence", "kind", "subject_type_id", "subject_id", "versions", "signer_id",
    "signer_role", "signer_title", "statement", "signed_at", "previous_digest", "digest", "canonical_format",
    "verification", "override_reason", "signature",
)  # fmt: skip
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_VERSIONS_SUFFIX = '"versions":['


class _SignedVersions:
    """Signed versions of a batch of sign-offs, each read, converted and encoded once per format."""

    def __init__(self, keys: Iterable[VersionKey], subject_types: dict[int, str] | None = None) -> None:
        self.data = load_versions(keys)
        self.subject_types = {} if subject_types is None else subject_types  # content type id: natural key
        self._encoded: dict[tuple[VersionKey, int], str] = {}
        self._digests: dict[VersionKey, str] = {}
        self._listed: dict[VersionKey, str] = {}

    def encoded(self, key: VersionKey, canonical_format: int) -> str:
        """The canonical JSON of a version as a format-1 to 6 payload holds it (its values are plain already)."""
        cached = self._encoded.get((key, canonical_format))
        if cached is None:
            cached = self._encoded[(key, canonical_format)] = _ENCODER.encode(
                _in_format(self.data[key], canonical_format)
            )
        return cached

    def digest(self, key: VersionKey) -> str:
        cached = self._digests.get(key)
        if cached is None:
            cached = self._digests[key] = hashlib.sha256(_ENCODER.encode(self.data[key]).encode("utf-8")).hexdigest()
        return cached

    def listed(self, key: VersionKey) -> str:
        """The canonical JSON of a version as a format-7 payload lists it: its model, history id and SHA-256."""
        cached = self._listed.get(key)
        if cached is None:
            label, history_id = key
            cached = self._listed[key] = _ENCODER.encode(
                {"model": label, "history_id": history_id, "sha256": self.digest(key)}
            )
        return cached


# The values of a sign-off's payload head other than its format, in the order ``_head_values`` gives them.
_HEAD_NAMES = (
    "management_system_id", "sequence", "previous_digest", "kind", "subject_type", "subject_id", "signer_id",
    "signer_role", "signer_title", "statement", "signed_at", "verification", "override_reason",
)  # fmt: skip
_HEAD_TEMPLATES: dict[int, tuple[str, Callable[[list[str]], tuple[str, ...]]]] = {}


def _head_template(canonical_format: int) -> tuple[str, Callable[[list[str]], tuple[str, ...]]]:
    """A format's whole payload as a ``%`` template, and what picks its slots' values from ``_head_values``.

    Built once per format from ``_payload_head`` itself, each value a placeholder: the template is
    that head's canonical JSON with each placeholder's encoding turned into a slot, then the
    versions (which sort after every other name of the payload) closing it, so the bytes are the
    payload's canonical JSON by construction.
    """
    cached = _HEAD_TEMPLATES.get(canonical_format)
    if cached is None:
        placeholders = {name: f"\x00{name}\x00" for name in _HEAD_NAMES}
        head = _payload_head(canonical_format, **placeholders)
        text = _ENCODER.encode(head).replace("%", "%%")
        found = sorted(
            (text.index(_ENCODER.encode(placeholder)), i)
            for i, placeholder in enumerate(placeholders.values())
            if _ENCODER.encode(placeholder) in text
        )
        for _position, i in found:
            text = text.replace(_ENCODER.encode(placeholders[_HEAD_NAMES[i]]), "%s")
        order = [i for _position, i in found]
        pick = itemgetter(*order) if len(order) > 1 else (lambda values: (values[order[0]],))
        cached = _HEAD_TEMPLATES[canonical_format] = (f"{text[:-1]},{_VERSIONS_SUFFIX}%s]}}", pick)
    return cached


def _json_int(value: Any) -> str:
    return str(value) if type(value) is int else _ENCODER.encode(_plain(value))


def _json_str(value: Any) -> str:
    return _json_string(value) if type(value) is str else _ENCODER.encode(_plain(value))


def _datetime_text(text: str) -> str | None:
    global _datetime_text
    from aims.chain import _datetime_text  # chain builds on this module: imported on first use

    return _datetime_text(text)


def _signed_at_json(value: Any, pk: Any) -> str:
    """The canonical JSON of a sign-off's time: from the text verification selects, else from the value."""
    if type(value) is str:
        encoded = _datetime_text(value)
        if encoded is not None:
            return encoded
        value = SignOff.objects.filter(pk=pk).values_list("signed_at", flat=True).get()  # another form: read it
    return _ENCODER.encode(_plain(value))


def _head_values(row: tuple, subject_type: str) -> list[str]:
    """A sign-off row's head values (``_HEAD_NAMES``), each as its canonical JSON."""
    return [
        _json_int(row[1]), _json_int(row[2]), _json_str(row[12]), _json_str(row[3]), _json_str(subject_type),
        _json_int(row[5]), _json_int(row[7]), _json_str(row[8]), _json_str(row[9]), _json_str(row[10]),
        _signed_at_json(row[11], row[0]), _json_str(row[15]), _json_str(row[16]),
    ]  # fmt: skip


def _row_digest(row: tuple, keys: list[VersionKey], versions: _SignedVersions) -> str:
    """A sign-off's digest recomputed from its plain row: the same bytes as ``digest_of(signed_payload(...))``.

    ``row`` holds ``_COLUMNS``; its time may be a datetime or the text ``check_chains`` selects.
    """
    canonical_format = row[14]
    subject_type = versions.subject_types.get(row[4])
    if subject_type is None:
        content_type = ContentType.objects.get_for_id(row[4])
        subject_type = versions.subject_types[row[4]] = f"{content_type.app_label}.{content_type.model}"
    template, pick = _head_template(canonical_format)
    if canonical_format >= 7:
        listed = ",".join([versions.listed(key) for key in keys])
    else:
        listed = ",".join([versions.encoded(key, canonical_format) for key in keys])
    text = template % (*pick(_head_values(row, subject_type)), listed)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_chains(
    management_system: ManagementSystem | None = None,
    *,
    chunk_size: int = 2000,
    remembered: dict[int, tuple[int, str]] | None = None,
) -> ChainCheck:
    """Recompute every digest, chain link and signature, chain by chain in order; stop at the first broken one.

    Streams the sign-offs as plain rows in chunks and reads each chunk's signed versions in one
    go (plain values, converted once, each encoded or hashed once however many sign-offs signed it).
    ``remembered`` ({management system: (sequence, MAC)}, from the last check) lets it skip the
    signatures that check verified when the MAC of what it reads still matches (``signatures_mac``).
    """
    remembered = remembered or {}
    check = ChainCheck()
    chain = _ChainState(None, remembered)
    subject_types: dict[int, str] = {}
    for chunk in _plain_rows(management_system, chunk_size):
        keys_of = [[(str(label), int(history_id)) for label, history_id in _json_list(row[6])] for row in chunk]
        versions = _SignedVersions({key for keys in keys_of for key in keys}, subject_types)
        for row, keys in zip(chunk, keys_of, strict=True):
            if chain.ms_id != row[1]:
                if (problem := chain.close(check)) is not None:
                    return _broken(check, *problem)
                chain = _ChainState(row[1], remembered)
            check.checked += 1
            problem = _check_row(row, keys, chain.previous, versions)
            if problem:
                earlier = chain.deferred_problem(row[2] - 1)  # a signature before it that did not verify comes first
                return _broken(check, *(earlier or (row[0], problem)))
            found = chain.signature(row)
            if found:
                return _broken(check, *found)
            if row[17]:
                check.signed += 1
            else:
                check.unsigned += 1
            check.heads.setdefault(row[1], {})[row[2]] = row[13]
            chain.previous = row
    if (problem := chain.close(check)) is not None:
        return _broken(check, *problem)
    return check


def _plain_rows(management_system: ManagementSystem | None, chunk_size: int) -> Iterable[list[tuple]]:
    """The sign-offs' ``_COLUMNS`` as the database driver returns them, in chunks, without Django's converters.

    ``versions`` comes as its JSON text (or, from another driver, its value) and ``signed_at`` as text
    in one form on SQLite and PostgreSQL (``chain.verify``'s), which ``_row_digest`` encodes without
    parsing; a server-side cursor on PostgreSQL.
    """
    from aims import chain  # chain builds on this module

    signoffs = SignOff.objects.order_by("management_system_id", "sequence")
    if management_system is not None:
        signoffs = signoffs.filter(management_system=management_system)
    text = chain.datetime_as_text(signoffs.db)
    columns = [text("signed_at") if name == "signed_at" and text else name for name in _COLUMNS]
    for chunk, _convert in chain._stream(signoffs.values_list(*columns), chunk_size):
        yield chunk


def _json_list(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _broken(check: ChainCheck, pk: int, problem: tuple[str, str]) -> ChainCheck:
    check.broken = Broken(SignOff.objects.select_related("subject_type").get(pk=pk), *problem)
    return check


class _ChainState:
    """One chain as it is read: the previous row, whether signing began, the signatures deferred to a stored MAC."""

    def __init__(self, ms_id: int | None, remembered: dict[int, tuple[int, str]]) -> None:
        self.ms_id, self.previous, self.signing_began = ms_id, None, False
        self.through, self.mac = remembered.get(ms_id, (0, "")) if ms_id is not None else (0, "")
        self.running = hashlib.sha256()
        self.deferring = self.through > 0

    def signature(self, row: tuple) -> tuple[int, tuple[str, str]] | None:
        """The first sign-off (id, problem) whose signature does not verify, up to this row, or None."""
        pk, sequence, digest, signature = row[0], row[2], row[13], row[17]
        self.running.update(f"{sequence}:{digest}:{signature}\n".encode())
        if not signature:
            if self.signing_began:
                earlier = self.deferred_problem(sequence - 1)
                return earlier or (
                    pk,
                    (
                        "unsigned",
                        f"Sign-off #{sequence} has no signature although sign-offs before it are signed: "
                        "it was written or rewritten outside the application.",
                    ),
                )
            return None
        self.signing_began = True
        if self.deferring and sequence <= self.through:
            if sequence == self.through:
                self.deferring = False
                if signatures_mac(self.ms_id, sequence, self.running.digest()) != self.mac:
                    return _first_bad_signature(self.ms_id, sequence)
            return None
        return None if signing.verify_digest(digest, signature) else (pk, _signature_problem(sequence))

    def deferred_problem(self, through: int) -> tuple[int, tuple[str, str]] | None:
        """While signatures wait for the MAC at the stored sequence, verify those up to ``through`` now."""
        if not self.deferring or through < 1:
            return None
        self.deferring = False
        return _first_bad_signature(self.ms_id, through)

    def close(self, check: ChainCheck) -> tuple[int, tuple[str, str]] | None:
        """At the chain's end: verify signatures still deferred (it ended early), remember what was verified."""
        if self.ms_id is None or self.previous is None:
            return None
        if self.deferring:
            found = self.deferred_problem(self.previous[2])
            if found:
                return found
        last = self.previous[2]
        check.remembered[self.ms_id] = (last, signatures_mac(self.ms_id, last, self.running.digest()))
        return None


def _signature_problem(sequence: int) -> tuple[str, str]:
    return "signature mismatch", (
        f"The signature of sign-off #{sequence} is not the register's signature of its digest "
        f"(key fingerprint {signing.fingerprint()}): the sign-off was rewritten or signed with another key."
    )


def _check_row(row: tuple, keys: list[VersionKey], previous: tuple | None, versions: _SignedVersions):
    missing = [key for key in keys if key not in versions.data]
    if missing:
        label, history_id = missing[0]
        return "missing history row", f"{label} history row {history_id} no longer exists ({len(missing)} missing)."
    if _row_digest(row, keys, versions) != row[13]:
        return "digest mismatch", "The signed data or the sign-off itself was altered after signing."
    expected_previous = previous[13] if previous else GENESIS_DIGEST
    expected_sequence = previous[2] + 1 if previous else 1
    if row[12] != expected_previous or row[2] != expected_sequence:
        return "chain link mismatch", (
            f"Sign-off #{row[2]} does not link to the sign-off before it "
            f"(expected #{expected_sequence} after {expected_previous[:12]}…): one was removed or reordered."
        )
    return None


def describe_broken(broken: dict[str, Any]) -> str:
    """One line naming what is broken, for the command line and logs."""
    if broken.get("id") is None:
        return (
            f"the chain of management system {broken['management_system']} at #{broken['sequence']}: "
            f"{broken['reason']}. {broken['detail']}"
        )
    subject = broken["subject"]
    return (
        f"sign-off id {broken['id']} (#{broken['sequence']} of management system {broken['management_system']}, "
        f"kind {broken['kind']}, subject {subject['type']} {subject['id']}, signed {broken['signed_at']}): "
        f"{broken['reason']}. {broken['detail']}"
    )


# --- export (ledger.json of a pack) ---------------------------------------------------------------

EXPORT_FORMAT = "aims-ledger/1"


def chain_export(management_system: ManagementSystem, until: datetime) -> dict[str, Any]:
    """Every sign-off of the chain signed by ``until``, each with its canonical signed payload.

    Anyone can recompute each digest (SHA-256 of the canonical JSON of ``payload``: sorted keys,
    no whitespace, UTF-8; from format 7 the payload lists the SHA-256 of each signed version's
    canonical JSON, and the entry's ``versions`` holds those versions), check each chain link (``payload.previous_digest`` and
    ``payload.sequence``) and each signature (Ed25519 over ``aims-signoff:<digest>``) without the
    application. A payload whose history rows are gone is null, with the problem named.
    """
    export = chain_export_stream(management_system, until)
    export["signoffs"] = list(export["signoffs"])
    return export


EXPORT_BATCH = 500  # sign-offs whose signed versions are read and written at a time


def chain_export_stream(
    management_system: ManagementSystem, until: datetime, *, batch_size: int = EXPORT_BATCH
) -> dict[str, Any]:
    """``chain_export`` with ``signoffs`` an iterator that reads the chain ``batch_size`` sign-offs at a time.

    A pack's ``ledger.json`` is written from it entry by entry: memory holds a batch of sign-offs
    and the versions they signed, not the whole chain (tens of thousands of payloads in a large
    management system). The head is read first, so an entry signed meanwhile is not exported.
    """
    chain = SignOff.objects.filter(management_system=management_system, signed_at__lte=until)
    head = chain.order_by("-sequence").values("sequence", "digest").first()
    return {
        "format": EXPORT_FORMAT,
        "management_system": management_system.pk,
        "as_of": _plain(until),
        "genesis_digest": GENESIS_DIGEST,
        "digest": "SHA-256 of the canonical JSON of payload (sorted keys, no whitespace, UTF-8); from format 7 "
        "payload.versions[i].sha256 is the SHA-256 of the canonical JSON of versions[i]",
        "signature": "Ed25519 over the ASCII bytes 'aims-signoff:' followed by the digest in hex, base64",
        "signoffs": _export_entries(chain, head["sequence"] if head else 0, batch_size),
        "head": {"sequence": head["sequence"], "digest": head["digest"]} if head else None,
    }


def _export_entries(chain: models.QuerySet[SignOff], last: int, batch_size: int) -> Iterator[dict[str, Any]]:
    """The export's entries in sequence order up to ``last``, read a batch of sign-offs at a time."""
    after = 0
    while after < last:
        signoffs = list(
            chain.filter(sequence__gt=after, sequence__lte=last)
            .select_related("subject_type")
            .order_by("sequence")[:batch_size]
        )
        if not signoffs:
            return
        after = signoffs[-1].sequence
        loaded = load_versions(key for s in signoffs for key in _version_keys(s))
        for signoff in signoffs:
            yield _export_entry(signoff, loaded)


def _export_entry(signoff: SignOff, loaded: dict[VersionKey, dict[str, Any]]) -> dict[str, Any]:
    keys = _version_keys(signoff)
    entry: dict[str, Any] = {
        "sequence": signoff.sequence,
        "digest": signoff.digest,
        "previous_digest": signoff.previous_digest,
        "signature": signoff.signature,
        "kind": signoff.kind,
    }
    if all(key in loaded for key in keys):
        versions = [loaded[key] for key in keys]
        entry["payload"] = _plain(signed_payload(signoff, versions))
        if signoff.canonical_format >= 7:  # the payload lists each version's SHA-256: here is what it hashes
            entry["versions"] = versions
    else:
        entry["payload"] = None
        entry["problem"] = "missing history row"
    return entry


# --- checks in the background (the ledger page shows the latest) ------------------------------

# A queued or running check younger than this is reused by "verify now" instead of queueing another.
CHECK_REUSE_SECONDS = 600


def latest_check(management_system: ManagementSystem) -> LedgerCheck | None:
    """The management system's most recently requested check (one query)."""
    return LedgerCheck.objects.filter(management_system=management_system).order_by("-requested_at", "-pk").first()


def check_request(management_system: ManagementSystem, *, user: AbstractBaseUser | None) -> tuple[LedgerCheck, bool]:
    """Queue a verification of the chain (a Celery task), or return the one still queued or running.

    Answers the check and whether it was queued now.
    """
    recent = timezone.now() - timedelta(seconds=CHECK_REUSE_SECONDS)
    pending = (
        LedgerCheck.objects.filter(
            management_system=management_system,
            status__in=[LedgerCheck.Status.QUEUED, LedgerCheck.Status.RUNNING],
            requested_at__gte=recent,
        )
        .order_by("-requested_at")
        .first()
    )
    if pending is not None:
        return pending, False
    check = LedgerCheck.objects.create(management_system=management_system, requested_by=user)
    transaction.on_commit(lambda: _enqueue(check))
    return check, True


def _enqueue(check: LedgerCheck) -> None:
    from kombu.exceptions import OperationalError

    from aims.tasks import verify_ledger  # the task runs check_run

    try:
        verify_ledger.delay(check.pk)
    except (OperationalError, OSError) as error:
        LedgerCheck.objects.filter(pk=check.pk, status=LedgerCheck.Status.QUEUED).update(
            status=LedgerCheck.Status.FAILED,
            finished_at=timezone.now(),
            failure=f"The job queue was unreachable ({type(error).__name__}): nothing was checked. Try again.",
        )


def check_run(check: LedgerCheck) -> LedgerCheck:
    """Verify the check's chain now (``verify``) and store the outcome with its times."""
    check.status, check.started_at = LedgerCheck.Status.RUNNING, timezone.now()
    check.save(update_fields=["status", "started_at"])
    try:
        result, chains = _verify(check.management_system)
    except Exception as error:
        check.status, check.finished_at = LedgerCheck.Status.FAILED, timezone.now()
        check.failure = f"The check stopped: {type(error).__name__}."
        check.save(update_fields=["status", "finished_at", "failure"])
        raise
    check.status, check.finished_at = LedgerCheck.Status.DONE, timezone.now()
    check.ok, check.checked = result["ok"], result["checked"]
    check.signed, check.unsigned = result["signed"], result["unsigned"]
    check.first_broken, check.anchor = result["first_broken"], _plain(result.get("anchor"))
    if check.ok and check.management_system_id in chains.remembered:
        check.signatures_through, check.signatures_mac = chains.remembered[check.management_system_id]
    check.save()
    return check
