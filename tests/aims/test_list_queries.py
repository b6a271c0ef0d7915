"""Every list page of the menus and every list endpoint of /api/v1/ makes as many queries with more rows.

The pages are read from the navigation itself (what a member can open from the menus, the
register lists beside them), the endpoints from the API router, so a new list is checked
without being named here. Rows: one of every kind (``tests.api.helpers.one_of_everything``),
then a second of every kind (``one_of_everything(world, second=True)``).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from aims.api_urls import router
from registers.views import RECORD_KINDS
from tests.api.helpers import one_of_everything
from tests.kit import count_queries

pytestmark = pytest.mark.django_db

# The risk register and the risk API, counted on their own.
RISK_LISTS = {"page /ms/{ms}/assessments/risks/", "api risks"}
# Lists a second call of one_of_everything adds no row to: one row per management system (itself,
# its scope, its SoA), catalogues and seeded rows (controls, AIMS roles, the AI policy and its
# version), criteria (one version in force) and API tokens (each user lists their own: the
# officer's are made, the owner reads).
SINGLE_ROW_LISTS = {
    f"api {prefix}"
    for prefix in (
        "management-systems", "scope", "soa", "controls", "aims-roles", "documents", "document-versions",
        "risk-criteria", "impact-criteria", "api-tokens",
    )
}  # fmt: skip
NOT_LISTS = ("/ledger/", "/my-work/")  # pages of the menu that are not register lists (checked elsewhere)


def menu_pages(client, ms) -> list[str]:
    """The list pages the navigation links to (and the register lists beside the AI systems)."""
    html = client.get(reverse("aims:ms_home", args=[ms.pk])).content.decode()
    nav = html[html.index('<nav aria-label="Management system">') : html.index("</nav>")]
    urls = dict.fromkeys(re.findall(r'href="(/ms/\d+/[^"#?]*)"', nav))
    for kind in RECORD_KINDS:
        urls.setdefault(reverse("registers:record_list", args=[ms.pk, kind]), None)
    home = reverse("aims:ms_home", args=[ms.pk])
    return [url for url in urls if url != home and not any(part in url for part in NOT_LISTS)]


def api_lists() -> list[str]:
    return [prefix for prefix, viewset, _basename in router.registry if hasattr(viewset, "list")]


def fetches(world, client_as, api_as):
    client, api = client_as("owner"), api_as("owner")
    ms = world.acme
    found = {}
    for url in menu_pages(client, ms):
        if client.get(url).status_code != 200:
            continue  # a menu entry that leads on to one record (the AI policy's document), not a list
        found[f"page {url.replace(f'/ms/{ms.pk}/', '/ms/{ms}/')}"] = (client, url)
    for prefix in api_lists():
        found[f"api {prefix}"] = (api, f"/api/v1/{prefix}/")
    return found


def counts(found) -> dict[str, int]:
    def fetch(client, url):
        def run():
            response = client.get(url)
            assert response.status_code == 200, f"{url}: {response.status_code}"

        return run

    return count_queries({name: fetch(client, url) for name, (client, url) in found.items()})


def sizes(found) -> dict[str, int]:
    """How many rows each endpoint lists (its ``count``, or its length unpaginated)."""
    listed = {}
    for name, (client, url) in found.items():
        if name.startswith("api "):
            body = client.get(url).json()
            listed[name] = body["count"] if isinstance(body, dict) else len(body)
    return listed


def grown_counts(world, client_as, api_as, names):
    one_of_everything(world)
    found = {name: each for name, each in fetches(world, client_as, api_as).items() if names(name)}
    counts(found)  # caches filled once
    few, listed = counts(found), sizes(found)
    one_of_everything(world, second=True)
    many = counts(found)
    # The second call lists a second row of every kind, but on the lists of what has one row per
    # management system or catalogue entry (counted all the same).
    same = {name for name, size in sizes(found).items() if size <= listed[name]}
    assert same <= SINGLE_ROW_LISTS, f"no second row listed by: {same - SINGLE_ROW_LISTS}"
    return few, many


def test_every_list_page_and_endpoint_makes_constant_queries(world, client_as, api_as):
    few, many = grown_counts(world, client_as, api_as, lambda name: name not in RISK_LISTS)
    assert len(few) > 40  # every API list and the menus' pages
    grew = {name: (few[name], many[name]) for name in few if many[name] != few[name]}
    assert not grew, f"queries (one row of each, two rows of each) grow on: {grew}"


def test_the_risk_register_and_risk_api_make_constant_queries(world, client_as, api_as):
    few, many = grown_counts(world, client_as, api_as, lambda name: name in RISK_LISTS)
    assert set(few) == RISK_LISTS
    assert many == few
