"""Who may do what: the one module that decides access.

Roles are per management system. Each role is a guardian group per management system
holding object permissions on that ManagementSystem; contributors also get per-object
``change_<model>`` grants on the records they own. A user without an active membership
(no membership, or an auditor whose access expired) is an outsider: the management
system and everything in it does not exist for them (404, never 403).
"""

from __future__ import annotations

import copy
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm
from guardian.utils import get_user_obj_perms_model

from aims.models import ManagementSystem, Membership, Role

M = TypeVar("M", bound=models.Model)
User = AbstractBaseUser | AnonymousUser


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    VIEW_HISTORY = "view_history"
    MANAGE_MEMBERS = "manage_members"
    SIGN_OFF = "sign_off"
    REQUEST_PACK = "request_pack"


# What each role may do across a whole management system (guardian codenames on it).
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.OWNER: {"view_registers", "edit_registers", "manage_members", "sign_off", "request_pack"},
    Role.OFFICER: {"view_registers", "edit_registers", "request_pack"},
    Role.LEADERSHIP: {"view_registers", "sign_off", "request_pack"},
    Role.CONTRIBUTOR: {"view_registers"},
    Role.AUDITOR: {"view_registers", "request_pack"},
}

# Roles that may edit records: system-wide (owner, officer) or the ones granted to them (contributor).
EDITOR_ROLES = frozenset({Role.OWNER, Role.OFFICER, Role.CONTRIBUTOR})
# Roles whose per-object edit grants count; a grant held under any other role is ignored.
GRANT_ROLES = frozenset({Role.CONTRIBUTOR})

# Which management-system permission each action needs.
_ACTION_PERMISSION = {
    Action.VIEW: "view_registers",
    Action.VIEW_HISTORY: "view_registers",
    Action.CREATE: "edit_registers",
    Action.EDIT: "edit_registers",
    Action.DELETE: "edit_registers",
    Action.MANAGE_MEMBERS: "manage_members",
    Action.SIGN_OFF: "sign_off",
    Action.REQUEST_PACK: "request_pack",
}


def role_group_name(management_system: ManagementSystem, role: str) -> str:
    return f"aims-{management_system.pk}-{role}"


def ensure_role_groups(management_system: ManagementSystem) -> dict[str, Group]:
    """Create the management system's role groups with their permissions (idempotent)."""
    groups = {}
    for role, codenames in ROLE_PERMISSIONS.items():
        group, created = Group.objects.get_or_create(name=role_group_name(management_system, role))
        if created:
            for codename in codenames:
                assign_perm(f"aims.{codename}", group, management_system)
        groups[role] = group
    return groups


def sync_role_permissions(management_systems: Any = None) -> int:
    """Give every role group of the management systems exactly its role's permissions; return the changes.

    Adding an action to ``ROLE_PERMISSIONS`` then needs no data migration: ``migrate`` runs this
    for every management system (see ``AimsConfig.ready``).
    """
    from aims.models import ManagementSystemGroupObjectPermission as GroupPermission

    systems = list(ManagementSystem.objects.all() if management_systems is None else management_systems)
    held: dict[tuple[int, str], set[str]] = {}
    rows = GroupPermission.objects.filter(content_object__in=systems).values_list(
        "content_object_id", "group__name", "permission__codename"
    )
    for ms_id, group_name, codename in rows:
        held.setdefault((ms_id, group_name), set()).add(codename)
    changes = 0
    for management_system in systems:
        for role, wanted in ROLE_PERMISSIONS.items():
            name = role_group_name(management_system, role)
            group, _created = Group.objects.get_or_create(name=name)
            have = held.get((management_system.pk, name), set())
            for codename in wanted - have:
                assign_perm(f"aims.{codename}", group, management_system)
                changes += 1
            for codename in have - wanted:
                remove_perm(f"aims.{codename}", group, management_system)
                changes += 1
    return changes


def sync_role_permissions_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: bring existing management systems' role groups up to ``ROLE_PERMISSIONS``."""
    if using != "default":
        return
    sync_role_permissions()


def sync_membership_group(membership: Membership, *, previous_role: str | None = None) -> None:
    """Put the member in their role's group (and out of the previous one)."""
    groups = ensure_role_groups(membership.management_system)
    if previous_role and previous_role != membership.role:
        membership.user.groups.remove(groups[previous_role])
    membership.user.groups.add(groups[membership.role])


def drop_membership_group(membership: Membership) -> None:
    """Take the member out of their role's group."""
    groups = ensure_role_groups(membership.management_system)
    membership.user.groups.remove(groups[membership.role])


def _active_memberships(user: User) -> dict[int, Membership]:
    """Return the user's active memberships by management system id, cached on the user.

    One query for the request: each membership comes with its management system, in the
    navigation's order (organisation, name), so a page opens its management system and lists
    the user's others without asking again.
    """
    if not user.is_authenticated or not user.is_active:
        return {}
    cache = getattr(user, "_aims_memberships", None)
    if cache is None:
        now = timezone.now()
        rows = (
            Membership.objects.filter(user=user)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .select_related("management_system")
            .order_by("management_system__organisation", "management_system__name", "management_system_id")
        )
        cache = {m.management_system_id: m for m in rows}
        user._aims_memberships = cache
    return cache


def forget_cached_access(user: User) -> None:
    """Drop cached memberships and permissions (after a membership or grant changes)."""
    for attr in (
        "_aims_memberships",
        "_aims_system_perms",
        "_aims_checker",
        "_perm_cache",
        "_user_perm_cache",
        "_group_perm_cache",
    ):
        if hasattr(user, attr):
            delattr(user, attr)


def _checker(user: User):
    from guardian.core import ObjectPermissionChecker

    checker = getattr(user, "_aims_checker", None)
    if checker is None:
        checker = ObjectPermissionChecker(user)
        user._aims_checker = checker
    return checker


def _system_permissions(user: User, management_system_id: int) -> frozenset[str]:
    """The codenames the user holds on a management system, directly or through a group; cached on the user.

    What guardian's ``ObjectPermissionChecker.get_perms`` answers (the user's grants and their
    groups' on the object, permissions of its content type), in one query instead of two.
    """
    cache = getattr(user, "_aims_system_perms", None)
    if cache is None:
        cache = user._aims_system_perms = {}
    if management_system_id not in cache:
        content_type = ContentType.objects.get_for_model(ManagementSystem)
        params = [content_type.pk, user.pk, management_system_id, user.pk, management_system_id]
        alias = Permission.objects.db
        with connections[alias].cursor() as cursor:
            cursor.execute(_system_permissions_sql(alias), params)
            cache[management_system_id] = frozenset(codename for (codename,) in cursor.fetchall())
    return cache[management_system_id]


@cache
def _system_permissions_sql(alias: str) -> str:
    """The query of ``_system_permissions``, written once: the ORM spends more time building it than
    the database answering it, on every page."""
    quote = connections[alias].ops.quote_name
    from aims.models import ManagementSystemGroupObjectPermission as GroupPermission
    from aims.models import ManagementSystemUserObjectPermission as UserPermission

    def table(model: type[models.Model]) -> str:
        return quote(model._meta.db_table)

    def column(model: type[models.Model], field: str) -> str:
        return quote(model._meta.get_field(field).column)

    # Only names from the models' _meta go into the text; the values are parameters.
    up, gp, p = UserPermission, GroupPermission, Permission
    ug = get_user_model()._meta.get_field("groups").remote_field.through  # the user's groups
    by_user = (
        f"SELECT {column(up, 'permission')} FROM {table(up)} "  # noqa: S608
        f"WHERE {column(up, 'user')} = %s AND {column(up, 'content_object')} = %s"
    )
    by_groups = (
        f"SELECT gp.{column(gp, 'permission')} FROM {table(gp)} gp "  # noqa: S608
        f"INNER JOIN {table(ug)} ug ON ug.{column(ug, 'group')} = gp.{column(gp, 'group')} "
        f"WHERE ug.{column(ug, 'user')} = %s AND gp.{column(gp, 'content_object')} = %s"
    )
    return (
        f"SELECT p.{column(p, 'codename')} FROM {table(p)} p WHERE p.{column(p, 'content_type')} = %s "  # noqa: S608
        f"AND (p.{column(p, 'id')} IN ({by_user}) OR p.{column(p, 'id')} IN ({by_groups}))"
    )


def membership_for(user: User, management_system_id: int) -> Membership | None:
    """Return the user's active membership of a management system, or None."""
    return _active_memberships(user).get(management_system_id)


def role_of(user: User, management_system: ManagementSystem) -> str | None:
    membership = membership_for(user, management_system.pk)
    return membership.role if membership else None


def _management_system_of(obj: models.Model) -> ManagementSystem:
    if isinstance(obj, ManagementSystem):
        return obj
    return obj.management_system


def _has_system_perm(user: User, management_system: ManagementSystem, codename: str) -> bool:
    if membership_for(user, management_system.pk) is None:
        return False
    if user.is_superuser:  # as guardian's checker: a superuser holds every permission (here: as a member)
        return True
    return codename.rpartition(".")[2] in _system_permissions(user, management_system.pk)


def _has_object_grant(user: User, obj: models.Model, action: Action) -> bool:
    """Contributors edit the objects granted to them one by one; other roles' grants do not count."""
    if action is not Action.EDIT or isinstance(obj, ManagementSystem):
        return False
    membership = membership_for(user, obj.management_system_id)
    if membership is None or membership.role not in GRANT_ROLES:
        return False
    codename = f"change_{obj._meta.model_name}"
    return _checker(user).has_perm(codename, obj)


def can(user: User, action: Action, obj: models.Model) -> bool:
    """Answer whether the user may do the action on a management system or a record in one."""
    management_system = _management_system_of(obj)
    if membership_for(user, management_system.pk) is None:
        return False
    if _has_system_perm(user, management_system, _ACTION_PERMISSION[action]):
        return True
    return _has_object_grant(user, obj, action)


def is_visible(user: User, obj: models.Model) -> bool:
    return can(user, Action.VIEW, obj)


def require(user: User, action: Action, obj: M) -> M:
    """Return obj if allowed; 404 when it is invisible to the user, 403 when only the action is refused."""
    if not is_visible(user, obj):
        raise Http404("Not found.")
    if not can(user, action, obj):
        raise PermissionDenied("You do not have permission to do this.")
    return obj


def visible_management_systems(user: User) -> QuerySet[ManagementSystem]:
    """Management systems in which the user has an active membership."""
    return ManagementSystem.objects.filter(pk__in=list(_active_memberships(user)))


def member_management_systems(user: User) -> list[ManagementSystem]:
    """The management systems in which the user has an active membership, by organisation and name.

    Read with the memberships (no query of its own once they are known).
    """
    return [membership.management_system for membership in _active_memberships(user).values()]


def get_management_system(user: User, pk: Any, action: Action = Action.VIEW) -> ManagementSystem:
    """Return the management system or raise 404 (invisible) / 403 (action refused)."""
    try:
        membership = membership_for(user, int(pk))
    except (TypeError, ValueError):
        membership = None
    if membership is None:  # no such management system, or not the user's: the same 404
        raise Http404("Not found.")
    # A copy: the page may change its management system (a form) without changing the navigation's.
    return require(user, action, copy.copy(membership.management_system))


def scope(user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    """Limit a register queryset to the management systems the user may read."""
    return queryset.filter(management_system_id__in=list(_active_memberships(user)))


def get_record(user: User, queryset: QuerySet[M], pk: Any, action: Action = Action.VIEW) -> M:
    """Return one register record or raise 404 (invisible) / 403 (action refused)."""
    try:
        obj = scope(user, queryset).get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError):
        raise Http404("Not found.") from None
    _attach_management_system(user, obj)
    return require(user, action, obj)


def _attach_management_system(user: User, obj: models.Model) -> None:
    """Give a record its management system from the user's memberships, unless it came with it.

    Deciding access, and showing the page's navigation, then reads no management system again.
    """
    try:
        field = type(obj)._meta.get_field("management_system")
    except FieldDoesNotExist:
        return
    if field.related_model is not ManagementSystem or field.is_cached(obj):
        return
    membership = membership_for(user, obj.management_system_id)
    if membership is not None:
        field.set_cached_value(obj, copy.copy(membership.management_system))


def editable_ids(user: User, model: type[models.Model], management_system: ManagementSystem) -> set[int] | None:
    """Ids of records the user may edit in the management system; None means all of them."""
    if _has_system_perm(user, management_system, "edit_registers"):
        return None
    membership = membership_for(user, management_system.pk)
    if membership is None or membership.role not in GRANT_ROLES:
        return set()
    granted = get_objects_for_user(
        user,
        f"{model._meta.app_label}.change_{model._meta.model_name}",
        klass=model.objects.filter(management_system=management_system),
        accept_global_perms=False,
        with_superuser=False,
    )
    return set(granted.values_list("pk", flat=True))


def grant_object_edit(user: AbstractBaseUser, obj: models.Model) -> bool:
    """Let one user edit one record (a contributor and the system they own); say whether a grant was given.

    Only a role that may hold grants gets one: an owner or officer edits everything anyway, and
    a grant given to them would outlive a later change of role.
    """
    # Asked afresh, not from the user's cached memberships: the role may have just changed.
    now = timezone.now()
    role = (
        Membership.objects.filter(user=user, management_system_id=obj.management_system_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("role", flat=True)
        .first()
    )
    if role not in GRANT_ROLES:
        return False
    assign_perm(f"{obj._meta.app_label}.change_{obj._meta.model_name}", user, obj)
    forget_cached_access(user)
    return True


def revoke_object_edit(user: AbstractBaseUser, obj: models.Model) -> None:
    """Take back a user's edit grant on one record."""
    remove_perm(f"{obj._meta.app_label}.change_{obj._meta.model_name}", user, obj)
    forget_cached_access(user)


def revoke_member_grants(user: AbstractBaseUser, management_system: ManagementSystem) -> list[str]:
    """Take back every per-object permission the user holds in a management system; name the records.

    A member's grants belong to the role they were given under: a role change or a removal
    ends them all, so that no grant outlives the role (re-assigning a record grants again).
    """
    revoked: list[str] = []
    for model in _models_of_a_management_system():
        perm_model = get_user_obj_perms_model(model)
        if perm_model.objects.is_generic():
            revoked += _revoke_generic(perm_model, user, model, management_system)
            continue
        owned = (
            Q(content_object=management_system)
            if model is ManagementSystem
            else Q(content_object__management_system=management_system)
        )
        rows = perm_model.objects.filter(owned, user=user).select_related("content_object")
        revoked += sorted({_record_label(row.content_object) for row in rows})
        rows.delete()
    forget_cached_access(user)
    return revoked


def revoke_grants_outside_their_role() -> int:
    """Delete every per-object grant whose holder is not a contributor of the record's management system.

    Grants given before roles were enforced at grant time, or left behind by a role change or a
    removal before those revoked them, would otherwise come back to life when the person is
    made a contributor again. ``migrate`` runs this (see ``AimsConfig.ready``); return how many.
    """
    holders = set(Membership.objects.filter(role__in=GRANT_ROLES).values_list("user_id", "management_system_id"))
    removed = 0
    for model in _models_of_a_management_system():
        perm_model = get_user_obj_perms_model(model)
        # A management system's own rights go to its role groups only, never to one user.
        rightful = holders if model is not ManagementSystem else set()
        stray = [pk for pk, user_id, ms_id in _grant_rows(perm_model, model) if (user_id, ms_id) not in rightful]
        if stray:
            removed += perm_model.objects.filter(pk__in=stray).delete()[0]
    return removed


def _grant_rows(perm_model: type[models.Model], model: type[models.Model]) -> list[tuple[int, int, int]]:
    """(grant id, user id, management system id) of every user grant on the model's rows."""
    ms_field = "pk" if model is ManagementSystem else "management_system_id"
    if not perm_model.objects.is_generic():
        path = "content_object_id" if model is ManagementSystem else "content_object__management_system_id"
        return list(perm_model.objects.values_list("pk", "user_id", path))
    rows = list(
        perm_model.objects.filter(content_type=ContentType.objects.get_for_model(model)).values_list(
            "pk", "user_id", "object_pk"
        )
    )
    systems = dict(
        model._default_manager.filter(pk__in={object_pk for _pk, _user, object_pk in rows}).values_list("pk", ms_field)
    )
    return [(pk, user_id, systems.get(int(object_pk))) for pk, user_id, object_pk in rows]


def revoke_grants_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: no per-object grant outlives the role that may hold it."""
    if using != "default":
        return
    revoke_grants_outside_their_role()


@cache
def _models_of_a_management_system() -> list[type[models.Model]]:
    """The management system itself and every model whose rows belong to one."""
    found: list[type[models.Model]] = [ManagementSystem]
    for model in django_apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "management_system"), None)
        if field is not None and field.related_model is ManagementSystem and not hasattr(model, "instance_type"):
            found.append(model)
    return found


def _revoke_generic(
    perm_model: type[models.Model], user: AbstractBaseUser, model: type[models.Model], ms: ManagementSystem
) -> list[str]:
    """Grants kept in guardian's generic table (models without their own permission table)."""
    rows = perm_model.objects.filter(user=user, content_type=ContentType.objects.get_for_model(model))
    pks = {row.object_pk for row in rows}
    if not pks:
        return []
    records = model._default_manager.filter(pk__in=pks)
    records = records.filter(pk=ms.pk) if model is ManagementSystem else records.filter(management_system=ms)
    records = list(records)
    rows.filter(object_pk__in=[str(record.pk) for record in records]).delete()
    return sorted({_record_label(record) for record in records})


def _record_label(obj: models.Model) -> str:
    return getattr(obj, "reference", "") or str(obj)


def may_create_management_system(user: User) -> bool:
    """Whether the user may create a management system (``AIMS_MS_CREATORS``: staff, superusers or anyone)."""
    if not user.is_authenticated or not user.is_active:
        return False
    rule = getattr(settings, "AIMS_MS_CREATORS", "staff")
    if rule == "anyone":
        return True
    if rule == "superusers":
        return user.is_superuser
    return user.is_staff or user.is_superuser


def may_own(role: str | None) -> bool:
    """Whether a member with this role may own or be assigned records (and so edit them)."""
    return role in EDITOR_ROLES


# --- has_perm agrees with can -------------------------------------------------------------------

_PERMISSION_ACTION = {
    "view_registers": Action.VIEW,
    "edit_registers": Action.EDIT,
    "manage_members": Action.MANAGE_MEMBERS,
    "sign_off": Action.SIGN_OFF,
    "request_pack": Action.REQUEST_PACK,
}
_PREFIX_ACTION = {"view": Action.VIEW, "change": Action.EDIT, "delete": Action.DELETE, "add": Action.CREATE}


def action_for_permission(perm: str) -> Action | None:
    """The access action a Django permission name stands for (``registers.change_aisystem`` -> EDIT)."""
    codename = perm.rpartition(".")[2]
    if codename in _PERMISSION_ACTION:
        return _PERMISSION_ACTION[codename]
    prefix = codename.partition("_")[0]
    return _PREFIX_ACTION.get(prefix)


class AccessBackend:
    """Authorisation backend: ``user.has_perm(perm, obj)`` on a management system or register record
    answers exactly what ``can`` answers, so an expired auditor or a grant outside its role gets nothing.

    Permissions without an object are left to Django's ModelBackend (the admin's superusers).
    """

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is None or not user_obj.is_active:
            return False
        if not isinstance(obj, ManagementSystem) and not hasattr(obj, "management_system_id"):
            return False
        action = action_for_permission(perm)
        return action is not None and can(user_obj, action, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return False
