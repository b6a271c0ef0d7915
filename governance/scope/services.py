"""Writes of the scope: its parts, its exclusions, refreshing its AI systems from the inventory, and approval.

The scope is one record per management system (``SCO-001``), written the first time someone saves
it. Exclusions are rows owned by the scope: adding, changing or removing one is also a new version
of the scope (with the exclusion's own history row), so the scope's version and its ETag cover them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from aims import ledger
from aims.models import ManagementSystem, SignOff
from aims.services import StaleVersionError, register_create, register_update
from governance.models import Scope, ScopeExclusion
from governance.scope import selectors
from governance.scope.signoffs import FREEZE_REASON, SCOPE_APPROVAL

LINKS = ("context_issues", "requirements")
REFRESH_REASON = "AI systems refreshed from the inventory"


def _check_version(scope: Scope, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != scope.version:
        raise StaleVersionError(scope, expected_version)


def _split(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Iterable[Any]] | None]:
    links = {name: list(fields.pop(name)) for name in LINKS if name in fields}
    return fields, links or None


def _unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(Scope.editable_fields)
    if unknown:
        raise ValidationError(f"Not a part of the scope: {', '.join(sorted(unknown))}.")


def scope_create(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None, reason: str = "Scope written", **fields: Any
) -> Scope:
    """Write the management system's scope for the first time (one per management system)."""
    _unknown(fields)
    with transaction.atomic():
        if Scope.objects.filter(management_system=management_system).exists():
            raise ValidationError("This management system already has its scope: change it instead.")
        fields.setdefault("statement", management_system.scope_statement)
        values, links = _split(dict(fields))
        return register_create(
            Scope, management_system=management_system, user=user, reason=reason, m2m=links, **values
        )


def scope_update(
    scope: Scope, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Updated", **fields: Any
) -> Scope:
    """Change the scope's parts if nobody changed it since ``expected_version``."""
    _unknown(fields)
    values, links = _split(dict(fields))
    return register_update(scope, user=user, expected_version=expected_version, reason=reason, m2m=links, **values)


def scope_save(
    management_system: ManagementSystem,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str,
    **fields: Any,
) -> Scope:
    """Write the scope: create it on its first save, else change the version the user read."""
    scope = Scope.objects.filter(management_system=management_system).first()
    if scope is None:
        return scope_create(management_system=management_system, user=user, reason=reason, **fields)
    return scope_update(scope, user=user, expected_version=expected_version, reason=reason, **fields)


# --- exclusions (rows owned by the scope) ------------------------------------------------------------


def _write_exclusion(
    exclusion: ScopeExclusion, user: AbstractBaseUser | None, reason: str, *, delete: bool = False
) -> None:
    exclusion._history_user = user
    exclusion._change_reason = reason
    if delete:
        exclusion.delete()
        return
    exclusion.full_clean(exclude=["scope"])
    exclusion.save()


def exclusion_add(
    scope: Scope, *, user: AbstractBaseUser | None, expected_version: int | None, excluded: str, rationale: str = ""
) -> ScopeExclusion:
    """Exclude something from the scope, with why: a new version of the scope."""
    with transaction.atomic():
        exclusion = ScopeExclusion(scope=scope, excluded=excluded, rationale=rationale)
        exclusion.full_clean(exclude=["scope"])
        reason = f"Exclusion added: {excluded}"
        register_update(scope, user=user, expected_version=expected_version, reason=reason)
        _write_exclusion(exclusion, user, reason)
    return exclusion


def exclusion_update(
    exclusion: ScopeExclusion, *, user: AbstractBaseUser | None, expected_version: int | None, **fields: Any
) -> ScopeExclusion:
    """Change an exclusion (what, or why); ``expected_version`` is the scope's."""
    unknown = set(fields) - set(ScopeExclusion.editable_fields)
    if unknown:
        raise ValidationError(f"Not a field of an exclusion: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = ScopeExclusion.objects.select_for_update().get(pk=exclusion.pk)
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean(exclude=["scope"])
        reason = f"Exclusion changed: {current.excluded}"
        register_update(current.scope, user=user, expected_version=expected_version, reason=reason)
        _write_exclusion(current, user, reason)
    return current


def exclusion_remove(
    exclusion: ScopeExclusion, *, user: AbstractBaseUser | None, expected_version: int | None
) -> Scope:
    """Take an exclusion out of the scope (its history stays, and so does any approval that signed it)."""
    with transaction.atomic():
        reason = f"Exclusion removed: {exclusion.excluded}"
        scope = register_update(exclusion.scope, user=user, expected_version=expected_version, reason=reason)
        _write_exclusion(exclusion, user, reason, delete=True)
    return scope


# --- the AI systems in scope ---------------------------------------------------------------------------


def _write_inventory(scope: Scope, *, user: AbstractBaseUser | None, reason: str) -> bool:
    """Write the inventory's in-scope AI systems into the scope if they differ; return whether it wrote."""
    wanted = list(selectors.in_scope_systems(scope.management_system_id))
    if {s.pk for s in wanted} == set(scope.ai_systems.values_list("pk", flat=True)):
        return False
    register_update(scope, user=user, expected_version=None, reason=reason, m2m={"ai_systems": wanted})
    return True


def scope_refresh_ai_systems(scope: Scope, *, user: AbstractBaseUser | None, expected_version: int | None) -> Scope:
    """Take the AI systems in scope from the inventory now (a new version when they differ)."""
    with transaction.atomic():
        current = Scope.objects.select_for_update().get(pk=scope.pk)
        _check_version(current, expected_version)
        _write_inventory(current, user=user, reason=REFRESH_REASON)
    return Scope.objects.get(pk=scope.pk)


def scope_approve(
    scope: Scope,
    *,
    user: AbstractBaseUser,
    statement: str,
    verification: str | Callable[[], str],
    expected_version: int | None = None,
    expected_token: str | None = None,
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Approve the scope: freeze the inventory's in-scope AI systems into it, then sign that version.

    ``expected_version`` (the API's If-Match) or ``expected_token`` (the page's version token) name
    what the signer read, before the freeze; a stale one is refused and nothing is written.
    """
    ledger.require_may_sign(SCOPE_APPROVAL, user, scope)
    with transaction.atomic():
        current = Scope.objects.select_for_update().get(pk=scope.pk)
        _check_version(current, expected_version)
        if expected_token is not None and ledger.version_token(SCOPE_APPROVAL, current) != expected_token:
            raise ledger.SignOffConflict(
                "Scope approval: what you are signing changed since you opened it. Nothing was signed: "
                "review the version that stands now, then sign again."
            )
        _write_inventory(current, user=user, reason=FREEZE_REASON)
        return ledger.sign_off(
            kind=SCOPE_APPROVAL,
            subject=current,
            user=user,
            statement=statement,
            verification=verification,
            override_reason=override_reason,
            job_title=job_title,
        )
