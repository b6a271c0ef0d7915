"""Wiring of gateway actions into the kit (called from GatewayConfig.ready())."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def menu_entries(management_system_id: int) -> list[dict[str, str]]:
    """The gateway menu's entries (pages other families have not built yet are left out)."""
    entries = (("Approval queue", "gateway:action_queue"), ("Connectors", "gateway:connector_list"))
    found = []
    for title, url_name in entries:
        try:
            found.append({"clause": "", "title": title, "url": reverse(url_name, args=[management_system_id])})
        except NoReverseMatch:
            continue
    return found


def register() -> None:
    from aims import hooks
    from gateway.actions import work

    work.register()
    hooks.register_nav_menu(
        "gateway",
        label="AI gateway",
        url_name="gateway:action_queue",
        path_prefix="gateway/",
        entries=menu_entries,
        order=150,
        index_label="",
    )
