"""Template context for the navigation: the user's management systems and the current one."""

from __future__ import annotations

from django.urls import reverse

from aims import access, hooks


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "account_pending", False):
        return {"account_pending": True}  # mid-login or owing enrolment: no way into the registers yet
    systems = list(access.visible_management_systems(user).order_by("organisation", "name"))
    current = getattr(request, "management_system", None)
    context = {"nav_management_systems": systems, "current_management_system": current}
    if current is not None:
        context["current_role"] = access.role_of(user, current)
        context["nav_can_manage_members"] = access.can(user, access.Action.MANAGE_MEMBERS, current)
        context["nav_can_request_pack"] = access.can(user, access.Action.REQUEST_PACK, current)
        context["nav_menus"] = [_menu(menu, current.pk, request.path) for menu in hooks.nav_menus()]
    return context


def _menu(menu: hooks.NavMenu, management_system_id: int, path: str) -> dict:
    url = reverse(menu.url_name, args=[management_system_id])
    current = path.startswith(f"/ms/{management_system_id}/{menu.path_prefix}") and not any(
        path == reverse(name, args=[management_system_id]) for name in menu.not_current_on
    )
    return {
        "label": menu.label,
        "url": url,
        "index_label": menu.index_label,
        "current": current,
        "entries": menu.entries(management_system_id),
    }
