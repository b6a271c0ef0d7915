"""Wiring of the event log into the kit: the "Gateway" menu of a management system.

Each gateway page of the management system is one line of ``MENU`` (its title and URL name,
reversed with the management system's id); a page whose family is not installed does not resolve
and is left out, so a family adds its line before or after its pages exist.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from aims import hooks

EVENT_LOG = "gateway:events"
MENU: tuple[tuple[str, str], ...] = (
    ("Event log", EVENT_LOG),
    ("Approval queue", "gateway:action_queue"),
    ("Policy", "gateway:policy_list"),
    ("Connectors", "gateway:connector_list"),
    ("Evidence & checkpoints", "gateway:evidence"),
)


def menu_entries(management_system_id: int) -> list[dict[str, str]]:
    """The Gateway menu's entries with their URLs for one management system (pages that do not exist left out)."""
    found = []
    for title, url_name in MENU:
        try:
            url = reverse(url_name, args=[management_system_id])
        except NoReverseMatch:
            continue
        found.append({"clause": "", "title": title, "url": url})
    return found


def register() -> None:
    """Called from GatewayConfig.ready()."""
    hooks.register_nav_menu(
        "gateway",
        label="Gateway",
        url_name=EVENT_LOG,
        path_prefix="gateway/",
        entries=menu_entries,
        order=150,
        index_label="",  # its first entry, the event log, is the menu's index page
    )
