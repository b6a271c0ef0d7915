"""Template context for the navigation: the user's management systems and the current one."""

from __future__ import annotations

from aims import access


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    systems = list(access.visible_management_systems(user).order_by("organisation", "name"))
    current = getattr(request, "management_system", None)
    return {"nav_management_systems": systems, "current_management_system": current}
