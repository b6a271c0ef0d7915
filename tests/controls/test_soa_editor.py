"""The SoA page lists rows with their linked AI systems in brief; one row is edited on its own page.

The editor lists the row's linked AI systems and a search among the management system's;
saving changes the links of the listed systems only, so nothing a search did not show is lost.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from controls import services
from controls.models import Applicability
from controls.selectors import FOUND_SHOWN, LINKED_SHOWN, SOA_SYSTEMS_SHOWN
from tests.controls.helpers import row_of
from tests.factories import make_ai_system
from tests.kit import assert_constant_queries, get_ok

pytestmark = pytest.mark.django_db


def editor_url(row, **query):
    url = reverse("controls:soa_row_edit", args=[row.management_system_id, row.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def systems(world, count, prefix="System"):
    return [make_ai_system(world.acme, user=world.officer, name=f"{prefix} {i:03d}") for i in range(count)]


def link(world, row, linked):
    row = Applicability.objects.get(pk=row.pk)
    return services.applicability_update(row, user=world.officer, expected_version=row.version, ai_systems=linked)


def post_data(row, *, ticked, shown, **fields):
    row = Applicability.objects.get(pk=row.pk)
    data = {
        "applicable": row.applicable,
        "justification": row.justification,
        "implementation_status": row.implementation_status,
        "owner": row.owner_id or "",
        "implementation_notes": row.implementation_notes,
        "last_reviewed": "",
        "version": row.version,
        "change_reason": "",
        **fields,
    }
    prefixed = {f"row-{row.pk}-{k}": v for k, v in data.items()}
    prefixed[f"row-{row.pk}-ai_systems"] = [s.pk for s in ticked]
    prefixed[f"row-{row.pk}-shown_systems"] = [s.pk for s in shown]
    return prefixed


def linked_ids(row):
    return set(Applicability.objects.get(pk=row.pk).ai_systems.values_list("pk", flat=True))


def test_soa_page_names_the_first_linked_systems_and_counts_the_rest(world, client_as):
    made = systems(world, SOA_SYSTEMS_SHOWN + 3)
    row = link(world, row_of(world.acme, "A.6.2.8"), made)
    html = client_as("officer").get(reverse("controls:soa", args=[world.acme.pk])).content.decode()
    assert f"{len(made)} AI systems" in html
    shown = sorted(made, key=lambda s: s.reference)[:SOA_SYSTEMS_SHOWN]
    for system in shown:
        assert f">{system.reference}</a>" in html
    assert f">{sorted(made, key=lambda s: s.reference)[-1].reference}</a>" not in html
    assert f'href="{editor_url(row)}">and 3 more' in html
    assert 'type="checkbox"' not in html  # no editor on the list page
    # The auditor reads the same brief list, without links to edit.
    auditor = client_as("auditor").get(reverse("controls:soa", args=[world.acme.pk])).content.decode()
    assert "and 3 more" in auditor and f'href="{editor_url(row)}"' not in auditor


def test_soa_page_size_and_queries_do_not_grow_with_ai_systems(world, client_as):
    client = client_as("officer")
    first = systems(world, 2, "Seed")
    for key in ("A.2.2", "A.6.2.8"):
        link(world, row_of(world.acme, key), first)
    page = get_ok(client, reverse("controls:soa", args=[world.acme.pk]))
    before = len(page().content)

    def link_many():
        more = first + systems(world, 30)
        for row in Applicability.objects.filter(management_system=world.acme)[:10]:
            link(world, row, more)

    assert_constant_queries(page, link_many)
    # Ten rows now link 32 systems each: each row names at most a few, so the page hardly grows.
    assert len(page().content) < before + 10 * SOA_SYSTEMS_SHOWN * 400


def test_the_editor_lists_linked_systems_and_others_with_the_linked_ticked(world, client_as):
    linked, other = systems(world, 2, "Linked"), systems(world, 2, "Other")
    row = link(world, row_of(world.acme, "A.6.2.8"), linked)
    response = client_as("officer").get(editor_url(row))
    assert response.status_code == 200
    html = response.content.decode()
    for system in linked:
        assert f'value="{system.pk}" checked>' in html
    for system in other:
        assert f'value="{system.pk}">' in html and f'value="{system.pk}" checked>' not in html
    assert 'form="soa-system-search"' in html  # the search works without scripts
    assert "js/soa-picker.js" in html and "<script>" not in html and "style=" not in html


def test_search_lists_matching_systems_with_linked_ones_still_shown(world, client_as):
    linked = systems(world, 1, "Linked")
    others = systems(world, 3, "Fraud scorer") + systems(world, 3, "Chat")
    row = link(world, row_of(world.acme, "A.6.2.8"), linked)
    page = client_as("officer").get(editor_url(row, q="fraud"))
    assert [s.pk for s in page.context["found"]] == [s.pk for s in others[:3]]
    assert [s.pk for s in page.context["linked"]] == [linked[0].pk]
    by_reference = client_as("officer").get(editor_url(row, q=others[4].reference))
    assert [s.pk for s in by_reference.context["found"]] == [others[4].pk]
    api = client_as("officer").get(
        reverse("controls:soa_row_systems", args=[world.acme.pk, row.pk]), {"q": "FRAUD SCORER 001"}
    )
    assert api.json() == {
        "query": "FRAUD SCORER 001",
        "results": [
            {"id": others[1].pk, "reference": others[1].reference, "name": "Fraud scorer 001", "linked": False}
        ],
        "more": False,
    }


def test_saving_keeps_links_the_editor_did_not_list_and_changes_the_listed_ones(world, client_as):
    kept, dropped, added = systems(world, 3, "Kept"), systems(world, 1, "Dropped"), systems(world, 1, "Added")
    row = link(world, row_of(world.acme, "A.6.2.8"), kept + dropped)
    # The officer searched for "Dropped" and "Added": only those were listed; one unticked, one ticked.
    data = post_data(row, ticked=added, shown=dropped + added, justification="")
    response = client_as("officer").post(editor_url(row), data)
    assert response.status_code == 302, response.content.decode()
    assert response["Location"].endswith(f"#row-{row.pk}")
    assert linked_ids(row) == {s.pk for s in kept + added}
    history = Applicability.objects.get(pk=row.pk).history.first()
    assert history.history_user == world.officer


def test_a_system_of_another_management_system_cannot_be_linked(world, client_as):
    row = row_of(world.acme, "A.6.2.8")
    foreign = make_ai_system(world.northwind, name="Not ours")
    data = post_data(row, ticked=[foreign], shown=[foreign])
    response = client_as("officer").post(editor_url(row), data)
    assert response.status_code == 200
    assert "ai_systems" in response.context["form"].errors
    assert linked_ids(row) == set()


def test_editor_and_search_make_constant_queries_however_many_systems(world, client_as):
    client = client_as("officer")
    row = link(world, row_of(world.acme, "A.6.2.8"), systems(world, 2, "Seed"))
    fetches = {
        "editor": get_ok(client, editor_url(row)),
        "editor search": get_ok(client, editor_url(row, q="sys")),
        "search": get_ok(client, reverse("controls:soa_row_systems", args=[world.acme.pk, row.pk]), {"q": "sys"}),
    }

    def grow():
        made = systems(world, LINKED_SHOWN + 5)
        link(world, row, made[: LINKED_SHOWN + 2])
        systems(world, FOUND_SHOWN + 2, "Other sys")

    assert_constant_queries(fetches, grow)
    page = fetches["editor"]()
    assert len(page.context["linked"]) == LINKED_SHOWN and page.context["picker"].linked_count == LINKED_SHOWN + 2
    assert len(page.context["found"]) == FOUND_SHOWN and page.context["picker"].found_more


@pytest.mark.parametrize(
    "persona,expected", [("auditor", 403), ("contributor", 403), ("officer", 200), ("outsider", 404)]
)
def test_the_editor_and_its_search_follow_edit_permissions(world, client_as, persona, expected):
    row = row_of(world.acme, "A.6.2.8")
    client = client_as(persona)
    search = client.get(reverse("controls:soa_row_systems", args=[world.acme.pk, row.pk]), {"q": "x"})
    assert {client.get(editor_url(row)).status_code, search.status_code} == {expected}
