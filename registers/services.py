"""Writes for the AI system register; each records the acting user and a reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from aims import access
from aims.models import ManagementSystem
from aims.services import check_assignee, register_create, register_delete, register_retire, register_update
from registers.models import AISystem, AISystemRole, DatasetRecord, ModelRecord, Supplier

LINKS = AISystem.link_fields()


def _split_links(fields: dict[str, Any]) -> dict[str, Iterable[Any]] | None:
    m2m = {name: fields.pop(name) for name in LINKS if name in fields}
    return m2m or None


def _sync_owner_grant(system: AISystem, previous_owner: AbstractBaseUser | None) -> None:
    """The owner of a system may edit it; the previous owner loses that grant."""
    if previous_owner is not None and previous_owner != system.owner:
        access.revoke_object_edit(previous_owner, system)
    if system.owner is not None:
        access.grant_object_edit(system.owner, system)


def clean_roles(roles: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The roles as ``{"scheme", "role", "basis"}``: each role once, its scheme the one it belongs to."""
    cleaned: dict[str, dict[str, str]] = {}
    for item in roles:
        role = str(item.get("role") or "")
        if role not in AISystemRole.Role.values:
            raise ValidationError({"roles": f"{role or 'An empty role'} is not an AI role: choose one of the list."})
        scheme = AISystemRole.scheme_of(role)
        if item.get("scheme") and item["scheme"] != scheme:
            label = AISystemRole.Scheme(scheme).label
            raise ValidationError({"roles": f"{AISystemRole.Role(role).label} is a role of {label}."})
        if role in cleaned:
            raise ValidationError({"roles": f"{AISystemRole.Role(role).label} is given twice: give each role once."})
        cleaned[role] = {"scheme": scheme, "role": role, "basis": " ".join(str(item.get("basis") or "").split())}
    return list(cleaned.values())


def _save_role(row: AISystemRole, user: AbstractBaseUser | None, reason: str, *, delete: bool = False) -> None:
    row._history_user = user
    row._change_reason = reason[:100]
    row.delete() if delete else row.save()


def _replace_roles(system: AISystem, roles: list[dict[str, str]], user: AbstractBaseUser | None, reason: str) -> bool:
    """Make the system's roles these: add, change the basis of, or remove rows; True when anything changed."""
    existing = {row.role: row for row in AISystemRole.objects.filter(ai_system=system)}
    changed = False
    for item in roles:
        row = existing.pop(item["role"], None) or AISystemRole(ai_system=system, role=item["role"])
        if row.pk and row.basis == item["basis"]:
            continue
        row.scheme, row.basis = item["scheme"], item["basis"]
        row.full_clean(exclude=["ai_system"], validate_constraints=False)
        _save_role(row, user, reason)
        changed = True
    for row in existing.values():
        _save_role(row, user, reason, delete=True)
        changed = True
    return changed


def ai_system_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    roles: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> AISystem:
    """Add an AI system to the inventory, with the organisation's roles for it."""
    roles = clean_roles(roles)
    with transaction.atomic():
        check_assignee(management_system, fields.get("owner"))
        m2m = _split_links(fields)
        system = register_create(
            AISystem, management_system=management_system, user=user, reason=reason, m2m=m2m, **fields
        )
        _replace_roles(system, roles, user, reason)
        _sync_owner_grant(system, None)
    return system


def ai_system_update(
    system: AISystem,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    roles: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> AISystem:
    """Change an AI system, refusing a stale version; ``roles``, when given, replace its roles (one new version)."""
    roles = None if roles is None else clean_roles(roles)
    with transaction.atomic():
        if "owner" in fields:
            check_assignee(system.management_system, fields["owner"])
        previous_owner = system.owner
        m2m = _split_links(fields)
        updated = register_update(
            system, user=user, expected_version=expected_version, reason=reason, m2m=m2m, **fields
        )
        if roles is not None:
            _replace_roles(updated, roles, user, reason)
        if "owner" in fields:
            _sync_owner_grant(updated, previous_owner)
    return updated


def ai_system_delete(
    system: AISystem, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Deleted"
) -> None:
    """Remove an AI system from the inventory; its history stays."""
    register_delete(system, user=user, expected_version=expected_version, reason=reason)


def ai_system_retire(
    system: AISystem, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> AISystem:
    """Retire an AI system with a reason: its lifecycle stage becomes Retired and it is listed as closed."""
    return register_retire(
        system,
        user=user,
        expected_version=expected_version,
        reason=reason,
        lifecycle_stage=AISystem.LifecycleStage.RETIRED,
    )


def record_create(
    model: type,
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    **fields: Any,
):
    """Add a model record, dataset record or supplier."""
    _require_simple(model)
    return register_create(model, management_system=management_system, user=user, reason=reason, **fields)


def record_update(
    obj, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Updated", **fields: Any
):
    """Change a model record, dataset record or supplier, refusing a stale version."""
    _require_simple(type(obj))
    return register_update(obj, user=user, expected_version=expected_version, reason=reason, **fields)


def record_delete(obj, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Deleted") -> None:
    """Remove a model record, dataset record or supplier; its history stays."""
    _require_simple(type(obj))
    register_delete(obj, user=user, expected_version=expected_version, reason=reason)


def record_retire(obj, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str):
    """Retire a model record, dataset record or supplier that something still refers to."""
    _require_simple(type(obj))
    return register_retire(obj, user=user, expected_version=expected_version, reason=reason)


def _require_simple(model: type) -> None:
    if model not in (ModelRecord, DatasetRecord, Supplier):
        raise TypeError(f"{model.__name__} has its own service")


def linked(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Pick the AI system link fields out of cleaned form or serializer data."""
    return {name: mapping[name] for name in LINKS if name in mapping}
