"""Template context for the navigation: the user's management systems and the current one."""

from __future__ import annotations

from functools import lru_cache

from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

from aims import access, hooks


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "account_pending", False):
        return {"account_pending": True}  # mid-login or owing enrolment: no way into the registers yet
    # The user's memberships, read once for the request when the page opened its management system.
    systems = access.member_management_systems(user)
    current = getattr(request, "management_system", None)
    context = {"nav_management_systems": systems, "current_management_system": current}
    if current is not None:
        context["current_role"] = access.role_of(user, current)
        context["nav_can_manage_members"] = access.can(user, access.Action.MANAGE_MEMBERS, current)
        context["nav_can_request_pack"] = access.can(user, access.Action.REQUEST_PACK, current)
        context["nav_menus"] = [_menu(menu, current.pk, request.path) for menu in hooks.nav_menus()]
    return context


def _menu(menu: hooks.NavMenu, management_system_id: int, path: str) -> dict:
    url, not_current_on, entries = _menu_links(menu, management_system_id, get_script_prefix(), get_urlconf())
    current = path.startswith(f"/ms/{management_system_id}/{menu.path_prefix}") and path not in not_current_on
    return {
        "label": menu.label,
        "url": url,
        "index_label": menu.index_label,
        "current": current,
        "entries": [dict(entry) for entry in entries],  # copies: the cached ones are shared by every request
    }


@lru_cache(maxsize=4096)
def _menu_links(
    menu: hooks.NavMenu, management_system_id: int, script_prefix: str, urlconf: str | None
) -> tuple[str, frozenset[str], tuple[dict[str, str], ...]]:
    """A menu's URLs for one management system, reversed once per process.

    They depend only on the management system's id and on what ``reverse`` depends on (the
    script prefix and the URLconf, both in the key); a menu registered again is a new key.
    """
    url = reverse(menu.url_name, args=[management_system_id])
    not_current_on = frozenset(reverse(name, args=[management_system_id]) for name in menu.not_current_on)
    return url, not_current_on, tuple(menu.entries(management_system_id))


def _forget_menu_links(*, setting: str, **kwargs) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME", "INSTALLED_APPS"}:
        _menu_links.cache_clear()


setting_changed.connect(_forget_menu_links, dispatch_uid="aims.context_processors.menu_links")
