"""Writes for the management system, memberships, API tokens and every register row.

Every tracked write records the acting user and a change reason in history; a write
based on a stale ``version`` is refused with ``StaleVersionError`` and changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import models, transaction
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from aims import access, hooks
from aims.accounts import security_log
from aims.history import record_version
from aims.models import (
    ApiToken,
    ManagementSystem,
    Membership,
    ReferenceCounter,
    RegisterModel,
    RetirableModel,
    Role,
    SignOff,
)

R = TypeVar("R", bound=RegisterModel)
REASON_MAX = 100


class StillReferencedError(ValidationError):
    """A record something refers to (a sign-off, evidence, another record) cannot be deleted: retire it."""

    def __init__(self, obj: models.Model, references: list[str]) -> None:
        self.obj = obj
        self.references = references
        verb = getattr(obj, "retire_verb", "Retire").lower()
        super().__init__(
            f"{obj} cannot be deleted: {'; '.join(references)} refer{'s' if len(references) == 1 else ''} to it. "
            f"{verb.capitalize()} it instead, with a reason: it stays readable with its history."
        )


class StaleVersionError(Exception):
    """The record changed since the caller read it."""

    def __init__(self, obj: models.Model, expected: int | None) -> None:
        self.obj = obj
        self.expected = expected
        self.current = getattr(obj, "version", None)
        super().__init__(
            f"{obj} was changed by someone else since you opened it (you had version "
            f"{expected}, it is now version {self.current}). Nothing was saved: reload it, "
            "then apply your change again."
        )


def _reason(reason: str) -> str:
    """The reason on one line, without control characters (PostgreSQL refuses NUL), at most REASON_MAX long."""
    printable = "".join(ch for ch in (reason or "") if ch.isprintable() or ch.isspace())
    return " ".join(printable.split())[:REASON_MAX]


def _stamp(obj: models.Model, *, user: AbstractBaseUser | None, reason: str) -> None:
    obj._history_user = user
    obj._change_reason = _reason(reason)


def _check_version(obj: models.Model, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError(obj, expected_version)


# --- register rows ---------------------------------------------------------------------


def highest_reference(model: type[RegisterModel], management_system: ManagementSystem) -> int:
    """The highest number any reference of the register ever had in the management system (reads its history)."""
    prefix = model.reference_prefix
    used = model.history.filter(management_system_id=management_system.pk).values_list("reference", flat=True)
    numbers = [int(m.group(1)) for ref in set(used) if (m := re.fullmatch(rf"{prefix}-(\d+)", ref))]
    return max(numbers, default=0)


def _counter(model: type[RegisterModel], management_system: ManagementSystem) -> ReferenceCounter:
    """The register's counter, locked until the transaction ends; made from the history the first time."""
    key = {
        "management_system": management_system,
        "register": model._meta.label_lower,
        "prefix": model.reference_prefix,
    }
    # A row this transaction inserts is its own until it ends, as a row it selected FOR UPDATE is.
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        **key, defaults={"last": lambda: highest_reference(model, management_system)}
    )
    return counter


def next_reference(model: type[RegisterModel], management_system: ManagementSystem) -> str:
    """Next free reference (e.g. AIS-007) of a model in a management system, never reused.

    Asking twice gives the same reference until a row takes it. The register's counter says
    up to which number every reference is taken or was used; numbers past it taken since (rows
    numbered by a bulk path) are skipped with one indexed lookup each, and the counter moves on.
    So a register of a thousand rows costs what one of ten does.
    """
    prefix = model.reference_prefix
    with transaction.atomic(savepoint=False):  # nothing here to roll back alone: no savepoint of its own
        counter = _counter(model, management_system)
        number = counter.last + 1
        live = model._default_manager.filter(management_system_id=management_system.pk)
        while live.filter(reference=f"{prefix}-{number:03d}").exists():
            number += 1
        if number - 1 != counter.last:
            counter.last = number - 1
            counter.save(update_fields=["last"])
    return f"{prefix}-{number:03d}"


def _reference_used(obj: RegisterModel) -> None:
    """The counter moves up to a row's number (if it had not yet): once created or deleted, never reused."""
    match = re.fullmatch(rf"{re.escape(obj.reference_prefix)}-(\d+)", obj.reference or "")
    if match is None:
        return
    counter = _counter(type(obj), obj.management_system)
    if int(match.group(1)) > counter.last:
        counter.last = int(match.group(1))
        counter.save(update_fields=["last"])


def _save_tracked(obj: R, *, created: bool, m2m: Mapping[str, Iterable[Any]] | None) -> R:
    obj.full_clean()
    obj.skip_history_when_saving = True
    try:
        obj.save()
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
    finally:
        del obj.skip_history_when_saving
    record_version(obj, created=created)
    return obj


def register_create(
    model: type[R],
    /,
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    m2m: Mapping[str, Iterable[Any]] | None = None,
    **fields: Any,
) -> R:
    """Create a register row with the next reference, validated, versioned as the user."""
    with transaction.atomic():
        ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
        _check_links(management_system, m2m)
        obj = model(management_system=management_system, **fields)
        obj.reference = next_reference(model, management_system)
        _stamp(obj, user=user, reason=reason)
        _save_tracked(obj, created=True, m2m=m2m)
        _reference_used(obj)
        return obj


def register_update(
    obj: R,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    m2m: Mapping[str, Iterable[Any]] | None = None,
    **fields: Any,
) -> R:
    """Apply changes to a register row if nobody changed it since expected_version."""
    with transaction.atomic():
        current = type(obj).objects.select_for_update().get(pk=obj.pk)
        _check_version(current, expected_version)
        _check_links(current.management_system, m2m)
        for name, value in fields.items():
            setattr(current, name, value)
        current.version += 1
        _stamp(current, user=user, reason=reason)
        _save_tracked(current, created=False, m2m=m2m)
    return current


def return_to_draft(
    version: R, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str, waiting: str
) -> R:
    """Send a version that waits for approval (``status`` in_review) back to draft, saying why (kept in history).

    ``waiting`` names that state in the refusal, e.g. "in review" or "awaiting approval".
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why it goes back to draft."})
    with transaction.atomic():
        current = type(version).objects.select_for_update().get(pk=version.pk)
        if expected_version is not None and int(expected_version) != current.version:
            raise StaleVersionError(current, expected_version)
        if current.status != "in_review":
            raise ValidationError(f"Only a version {waiting} is returned to draft.")
        return register_update(
            current, user=user, expected_version=None, reason=f"Returned to draft: {reason}", status="draft"
        )


def approve_superseding(
    version: R, *, versions: models.QuerySet, user: AbstractBaseUser | None, signoff: SignOff, superseded_reason: str
) -> R:
    """Record a signed approval of one version: the approved one of ``versions`` superseded, this one approved.

    For numbered versions with ``status`` (approved / superseded), ``superseded_at``, ``approved_at`` and
    ``approved_by``, such as document versions and gateway policies; each in a version of its history.
    """
    now = signoff.signed_at
    for previous in versions.select_for_update().filter(status="approved").exclude(pk=version.pk):
        register_update(
            previous, user=user, expected_version=None, reason=superseded_reason, status="superseded",
            superseded_at=now,
        )  # fmt: skip
    return register_update(
        type(version).objects.select_for_update().get(pk=version.pk), user=user, expected_version=None,
        reason=f"Approved (sign-off #{signoff.sequence})", status="approved", approved_at=now, approved_by=user,
    )  # fmt: skip


def register_delete(
    obj: RegisterModel, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Deleted"
) -> None:
    """Delete a register row nothing refers to; its history stays, with who deleted it and why.

    A row that a sign-off, evidence or another record refers to is refused with
    ``StillReferencedError``: it is retired instead (``register_retire``).
    """
    with transaction.atomic():
        current = type(obj).objects.select_for_update().get(pk=obj.pk)
        _check_version(current, expected_version)
        references = references_to(current)
        if references:
            raise StillReferencedError(current, references)
        _stamp(current, user=user, reason=reason)
        _reference_used(current)
        try:
            current.delete()
        except (models.ProtectedError, models.RestrictedError) as refusal:
            # A reference made since the check above (or one no finder names): still a refusal, not a crash.
            raise StillReferencedError(current, references_in(refusal)) from refusal


def register_retire(
    obj: RetirableModel, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str, **fields: Any
) -> RetirableModel:
    """Retire (or withdraw) a record with a reason: a new version, still readable, listed as closed."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": f"Say why {obj.reference} is {obj.retired_label.lower()}."})
    if obj.is_retired:
        raise ValidationError(f"{obj.reference} was already {obj.retired_label.lower()} on {obj.retired_at:%d %b %Y}.")
    return register_update(
        obj,
        user=user,
        expected_version=expected_version,
        reason=f"{obj.retired_label}: {reason}",
        retired_at=timezone.now(),
        retired_reason=reason[:300],
        **fields,
    )


def references_to(obj: models.Model, *, limit: int = 5) -> list[str]:
    """What refers to a record: its sign-offs, what the apps' reference finders report, and other records.

    A record's own children (``owned_children``, e.g. a risk's treatment actions) are part of
    it; what refers to them counts. History rows and permission grants do not count.
    """
    found = list(_sign_off_references(obj))
    for finder in hooks.reference_finders():
        found.extend(finder(obj))
    found.extend(_related_references(obj, limit=limit))
    owned = getattr(type(obj), "owned_children", ())
    for name in owned:
        for child in getattr(obj, name).all():
            found.extend(_related_references(child, limit=limit, skip={type(obj)}))
    return found


def is_referenced(obj: models.Model) -> bool:
    """Whether anything refers to a record (``references_to(obj)`` would name something), in one query.

    Each place ``references_to`` looks (sign-offs, the apps' finders through their probes, other
    records and what refers to the record's own children) becomes an ``EXISTS`` of one ``SELECT``,
    so a record's page learns whether to offer Delete or Retire without a query per relation.
    The sign-offs' and relations' part depends only on the model, so it is compiled once (``_model_exists``).
    """
    from django.db import connections

    querysets = []
    for finder in hooks.reference_finders():
        probe = hooks.reference_probe(finder)
        found = probe(obj) if probe is not None else bool(finder(obj))
        if isinstance(found, models.QuerySet):
            querysets.append(found)
        elif found:
            return True
    using = obj._state.db or "default"
    parts, params = _exists_clauses(querysets)
    model_parts, model_params = _model_exists(obj, using)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {' OR '.join(model_parts + parts)}", model_params + params)
        return bool(cursor.fetchone()[0])


def _exists_clauses(querysets: Iterable[models.QuerySet]) -> tuple[list[str], list[Any]]:
    """``EXISTS (...)`` of each queryset's first row, and their parameters in order."""
    parts, params = [], []
    for queryset in querysets:
        sql, values = queryset.order_by().values("pk")[:1].query.sql_with_params()
        parts.append(f"EXISTS ({sql})")
        params.extend(values)
    return parts, params


# Stands for the record's primary key while a model's clauses are compiled: its places among the
# parameters are where each record's own key goes (as ``aims.prepared`` does for the gateway's look-ups).
# Positive and within a 32-bit integer (Django compiles an out-of-range value as "no rows"); no
# record's key comes near it.
_PK_MARKER = 2_138_574_913
_model_clauses: dict[tuple[type[models.Model], str, int], tuple[list[str], list[Any]] | None] = {}


def _model_querysets(obj: models.Model) -> list[models.QuerySet]:
    """Sign-offs of ``obj`` and other records pointing at it or at its owned children, one queryset each."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(obj)
    querysets = [SignOff.objects.filter(subject_type_id=content_type.pk, subject_id=obj.pk)]
    querysets.extend(_related_querysets(obj, lambda relation: {relation.field.name: obj}))
    for name in getattr(type(obj), "owned_children", ()):
        children = getattr(obj, name).all()
        querysets.extend(
            _related_querysets(
                children.model, lambda relation, c=children: {f"{relation.field.name}__in": c}, skip={type(obj)}
            )
        )
    return querysets


def _model_exists(obj: models.Model, using: str) -> tuple[list[str], list[Any]]:
    """The ``EXISTS`` clauses of ``_model_querysets(obj)`` and their parameters.

    Compiling about twenty querysets cost a record's page several milliseconds each time, while
    their SQL depends only on the model: it is compiled once, for a stand-in record whose key is a
    marker, and the marker's places among the parameters take each record's key. A model whose
    clauses do not all carry the key as a parameter (a relation to another field) is compiled each time.
    """
    from django.contrib.contenttypes.models import ContentType

    # The model's content type id is in the SQL: a database whose content types were made again
    # (a test's flush) gets its clauses compiled again.
    key = (type(obj), using, ContentType.objects.db_manager(using).get_for_model(obj).pk)
    if key not in _model_clauses:
        try:
            parts, params = _exists_clauses(_model_querysets(type(obj)(pk=_PK_MARKER)))
        except EmptyResultSet:
            _model_clauses[key] = None
        else:
            keyed = params.count(_PK_MARKER) >= len(parts)  # every clause filters on the key
            _model_clauses[key] = (parts, params) if keyed else None
    cached = _model_clauses[key]
    if cached is None:
        return _exists_clauses(_model_querysets(obj))
    parts, params = cached
    return list(parts), [obj.pk if value == _PK_MARKER else value for value in params]


def _relations(model: type[models.Model] | models.Model, skip: set[type] | None = None) -> list[Any]:
    """The relations through which other records point at records of ``model`` (as ``references_to`` counts them)."""
    owned = set(getattr(model, "owned_children", ()))
    return [
        relation
        for relation in model._meta.related_objects
        if relation.get_accessor_name() not in owned
        and _counts_as_reference(relation)
        and not (skip and relation.related_model in skip)
    ]


def _related_querysets(
    model: type[models.Model] | models.Model, lookup: Any, skip: set[type] | None = None
) -> list[models.QuerySet]:
    return [relation.related_model._default_manager.filter(**lookup(relation)) for relation in _relations(model, skip)]


def references_in(refusal: models.ProtectedError | models.RestrictedError) -> list[str]:
    """Name the rows the database's on_delete rule says still refer to a record."""
    rows = refusal.protected_objects if isinstance(refusal, models.ProtectedError) else refusal.restricted_objects
    return [f"{row._meta.verbose_name} {getattr(row, 'reference', '') or row}" for row in list(rows)[:5]]


def _sign_off_references(obj: models.Model) -> list[str]:
    from django.contrib.contenttypes.models import ContentType

    sequences = list(
        SignOff.objects.filter(subject_type=ContentType.objects.get_for_model(obj), subject_id=obj.pk)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    if not sequences:
        return []
    return [f"sign-off{'s' if len(sequences) > 1 else ''} {', '.join(f'#{n}' for n in sequences)}"]


def _counts_as_reference(relation: Any) -> bool:
    related = relation.related_model
    if hasattr(related, "instance_type") or hasattr(related, "history_object"):
        return False  # simple-history's rows
    if issubclass(related, UserObjectPermissionBase | GroupObjectPermissionBase):
        return False  # access grants go with the record
    return True


def _related_references(obj: models.Model, *, limit: int, skip: set[type] | None = None) -> list[str]:
    """Other records pointing at this one through a foreign key or a many-to-many link."""
    found = []
    for relation in _relations(type(obj), skip):
        related = relation.related_model._default_manager.filter(**{relation.field.name: obj})
        rows = list(related[: limit + 1])
        if rows:
            label = relation.related_model._meta.verbose_name_plural
            names = [getattr(row, "reference", "") or str(row) for row in rows[:limit]]
            more = " and more" if len(rows) > limit else ""
            found.append(f"{label} {', '.join(names)}{more}")
    return found


def _check_links(management_system: ManagementSystem, m2m: Mapping[str, Iterable[Any]] | None) -> None:
    """Refuse links to records of another management system."""
    errors = {}
    for name, values in (m2m or {}).items():
        foreign = [
            v for v in values if getattr(v, "management_system_id", management_system.pk) != management_system.pk
        ]
        if foreign:
            errors[name] = [f"{', '.join(str(v) for v in foreign)} belongs to another management system."]
    if errors:
        raise ValidationError(errors)


def check_assignee(management_system: ManagementSystem, user: AbstractBaseUser | None, field: str = "owner") -> None:
    """Refuse an owner or assignee who is not an active member allowed to edit (auditors, leadership, outsiders)."""
    if user is None:
        return
    membership = access.membership_for(user, management_system.pk)
    if membership is None:
        raise ValidationError({field: f"{user.get_username()} is not a member of this management system."})
    if not access.may_own(membership.role):
        raise ValidationError(
            {
                field: f"{user.get_username()} has the {membership.get_role_display().lower()} role in this "
                "management system and cannot own or be assigned records: choose an owner, compliance officer "
                "or contributor."
            }
        )


# --- management systems and members ---------------------------------------------------


def management_system_create(
    *,
    user: AbstractBaseUser | None,
    organisation: str,
    name: str,
    scope_statement: str = "",
    owner: AbstractBaseUser | None = None,
) -> ManagementSystem:
    """Create a management system with its role groups; the owner becomes its first member."""
    with transaction.atomic():
        ms = ManagementSystem(organisation=organisation, name=name, scope_statement=scope_statement)
        ms.full_clean()
        _stamp(ms, user=user, reason="Management system created")
        ms.save()
        access.ensure_role_groups(ms)
        owner = owner or user
        if owner is not None:
            membership_add(management_system=ms, actor=user, user=owner, role=Role.OWNER)
        hooks.management_system_created(ms, user)
    return ms


def management_system_update(
    ms: ManagementSystem,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> ManagementSystem:
    """Change a management system's name, scope or status."""
    with transaction.atomic():
        current = ManagementSystem.objects.select_for_update().get(pk=ms.pk)
        _check_version(current, expected_version)
        for name, value in fields.items():
            setattr(current, name, value)
        current.version += 1
        current.full_clean()
        _stamp(current, user=user, reason=reason)
        current.save()
    return current


def membership_add(
    *,
    management_system: ManagementSystem,
    actor: AbstractBaseUser | None,
    user: AbstractBaseUser,
    role: str,
    expires_at: datetime | None = None,
    granted_by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Membership:
    """Give a user a role in a management system (people join by accepting an invitation).

    ``actor`` is recorded in history; ``granted_by`` (the actor by default) is who gave the role.
    """
    with transaction.atomic():
        if Membership.objects.filter(management_system=management_system, user=user).exists():
            raise ValidationError({"user": f"{user.get_username()} is already a member."})
        membership = Membership(
            management_system=management_system,
            user=user,
            role=role,
            granted_by=granted_by or actor,
            expires_at=expires_at,
        )
        membership.full_clean(exclude=["granted_by"])
        _stamp(membership, user=actor, reason=reason or f"Added as {Role(role).label}")
        membership.save()
        access.sync_membership_group(membership)
    access.forget_cached_access(user)
    return membership


def _grants_note(revoked: list[str]) -> str:
    if not revoked:
        return ""
    return f"; edit grant{'s' if len(revoked) > 1 else ''} on {len(revoked)} record{'s' if len(revoked) > 1 else ''} revoked"


def membership_update(
    membership: Membership, *, actor: AbstractBaseUser | None, role: str, expires_at: datetime | None
) -> Membership:
    """Change a member's role or expiry; a new role ends every per-object grant; the last owner cannot be demoted.

    The grants revoked are listed in ``membership.revoked_grants`` and counted in the history's reason.
    """
    with transaction.atomic():
        current = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        previous_role = current.role
        if previous_role == Role.OWNER and role != Role.OWNER:
            _refuse_last_owner(current)
        current.role = role
        current.expires_at = expires_at
        current.full_clean(exclude=["granted_by"])
        revoked = access.revoke_member_grants(current.user, current.management_system) if role != previous_role else []
        reason = f"Role {Role(role).label}" if role != previous_role else "Access changed"
        _stamp(current, user=actor, reason=reason + _grants_note(revoked))
        current.save()
        access.sync_membership_group(current, previous_role=previous_role)
    access.forget_cached_access(current.user)
    current.revoked_grants = revoked
    return current


JOB_TITLE_MAX_LENGTH = 120


def membership_set_job_title(membership: Membership, *, actor: AbstractBaseUser | None, job_title: str) -> Membership:
    """Record a member's job title in this organisation (asked once, recorded with each signature)."""
    job_title = " ".join((job_title or "").split())
    if not job_title:
        raise ValidationError({"job_title": "Give a job title."})
    if len(job_title) > JOB_TITLE_MAX_LENGTH:
        raise ValidationError({"job_title": f"At most {JOB_TITLE_MAX_LENGTH} characters."})
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if current.job_title == job_title:
            return current
        current.job_title = job_title
        _stamp(current, user=actor, reason="Job title")
        current.save()
    access.forget_cached_access(current.user)
    return current


def membership_remove(membership: Membership, *, actor: AbstractBaseUser | None) -> list[str]:
    """Remove a member and every per-object grant they hold there; return the records whose grants ended.

    The last owner cannot be removed.
    """
    with transaction.atomic():
        if membership.role == Role.OWNER:
            _refuse_last_owner(membership)
        revoked = access.revoke_member_grants(membership.user, membership.management_system)
        access.drop_membership_group(membership)
        _stamp(membership, user=actor, reason="Removed" + _grants_note(revoked))
        membership.delete()
    access.forget_cached_access(membership.user)
    return revoked


def _refuse_last_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(management_system_id=membership.management_system_id, role=Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise ValidationError({"role": "A management system needs at least one owner: add another owner first."})


# --- API tokens --------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, user: AbstractBaseUser, name: str = "", days: int | None = None, actor: AbstractBaseUser | None = None
) -> tuple[ApiToken, str]:
    """Create a bearer token valid for ``days`` (default ``AIMS_API_TOKEN_DAYS``); return it with the raw key, shown once."""
    days = settings.AIMS_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.AIMS_API_TOKEN_MAX_DAYS:
        raise ValidationError({"days": f"A token lasts from 1 to {settings.AIMS_API_TOKEN_MAX_DAYS} days."})
    raw = "aims_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days),
    )
    security_log.record(
        security_log.TOKEN_CREATED,
        user=actor or user,
        owner=user.get_username(),
        token=token.prefix,
        name=name,
        expires=token.expires_at.date().isoformat(),
    )
    return token, raw


def api_token_revoke(token: ApiToken, *, actor: AbstractBaseUser | None = None) -> ApiToken:
    """Revoke a token; it stops working at once."""
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    security_log.record(security_log.TOKEN_REVOKED, user=actor, owner=token.user.get_username(), token=token.prefix)
    return token
