"""Wiring of the mywork family into the kit: the member's home and the "Reviews & readiness" menu."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from aims import hooks

MY_WORK = "reviews:my_work"
# The menu's pages; those another family has not built yet do not resolve and are left out.
ENTRIES = (
    ("", "My work", MY_WORK),
    ("9", "Readiness", "reviews:readiness"),
    ("9.3", "Management reviews", "reviews:review_list"),
    ("", "Reminders", "reviews:reminders"),
)


def menu_entries(management_system_id: int) -> list[dict[str, str]]:
    """The menu's entries with their URLs for one management system (pages that do not exist left out)."""
    found = []
    for clause, title, url_name in ENTRIES:
        try:
            url = reverse(url_name, args=[management_system_id])
        except NoReverseMatch:
            continue
        found.append({"clause": clause, "title": title, "url": url})
    return found


def register() -> None:
    """Called from ReviewsConfig.ready()."""
    hooks.register_member_home(MY_WORK)
    hooks.register_nav_menu(
        "reviews",
        label="Reviews & readiness",
        url_name=MY_WORK,
        path_prefix="reviews/",
        entries=menu_entries,
        order=200,
        index_label="",  # its first entry, My work, is the menu's index page
        not_current_on=(MY_WORK,),  # the navigation's own "My work" link is the current one there
    )
