"""Lists filter by AI system with a text box, never a list of every AI system; one chosen by id is named."""

from __future__ import annotations

import pytest
from django.urls import reverse

from controls.catalog import catalog_ensure
from improvement.incidents import services as incident_services
from tests.factories import make_ai_system
from tests.governance.context_helpers import make_requirement

pytestmark = pytest.mark.django_db

LISTS = [
    "improvement:incident_list",
    "improvement:nc_list",
    "improvement:audit_list",
    "improvement:finding_list",
    "governance:legal_register",
    "governance:assignment_list",
    "gateway:events",
    "assessments:risk_list",
    "assessments:impact_list",
]


def _incident(world, title, systems):
    return incident_services.incident_create(
        management_system=world.acme, user=world.officer, title=title, description="What happened.", ai_systems=systems
    )


@pytest.mark.parametrize("name", LISTS)
def test_a_list_offers_a_search_box_and_lists_no_ai_system_however_many(world, client_as, name):
    names = [f"Unlisted system {n}" for n in range(3)]
    for system_name in names:
        make_ai_system(world.acme, user=world.officer, name=system_name)
    page = client_as("officer").get(reverse(name, args=[world.acme.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'name="system_search"' in html
    assert not any(system_name in html for system_name in names)


def test_the_incident_list_finds_incidents_by_a_linked_systems_name_and_names_a_system_chosen_by_id(world, client_as):
    catalog_ensure()
    triage = make_ai_system(world.acme, user=world.officer, name="Triage bot")
    other = make_ai_system(world.acme, user=world.officer, name="Scheduler")
    mine = _incident(world, "Triage answered wrongly", [triage])
    theirs = _incident(world, "Scheduler double booked", [other, triage])
    unlinked = _incident(world, "Printer misfired", [])
    url = reverse("improvement:incident_list", args=[world.acme.pk])
    officer = client_as("officer")
    found = officer.get(url, {"system_search": " TRIAGE "}).content.decode()
    assert mine.title in found and theirs.title in found and unlinked.title not in found
    assert found.count(theirs.title) == 1  # linked twice, listed once
    chosen = officer.get(url, {"system": other.pk}).content.decode()
    assert f"Filtered by AI system: {other.reference} Scheduler." in chosen
    assert theirs.title in chosen and mine.title not in chosen
    assert "Filtered by" not in officer.get(url).content.decode()


def test_the_legal_register_search_keeps_the_requirements_that_apply_to_every_system(world, client_as):
    triage = make_ai_system(world.acme, user=world.officer, name="Triage bot")
    other = make_ai_system(world.acme, user=world.officer, name="Scheduler")
    own = make_requirement(world.acme, world.officer, title="Triage duty", ai_systems=[triage])
    every = make_requirement(world.acme, world.officer, party=own.party, title="Duty of every system")
    elsewhere = make_requirement(world.acme, world.officer, party=own.party, title="Scheduler duty", ai_systems=[other])
    url = reverse("governance:legal_register", args=[world.acme.pk])
    page = client_as("officer").get(url, {"system_search": "triage"}).content.decode()
    assert own.title in page and every.title in page and elsewhere.title not in page


def test_the_api_still_filters_by_ai_system_id(world, api_as):
    catalog_ensure()
    triage = make_ai_system(world.acme, user=world.officer, name="Triage bot")
    other = make_ai_system(world.acme, user=world.officer, name="Scheduler")
    _incident(world, "Triage answered wrongly", [triage])
    _incident(world, "Scheduler double booked", [other])
    listed = api_as("officer").get("/api/v1/incidents/", {"management_system": world.acme.pk, "system": other.pk})
    assert listed.status_code == 200
    assert [row["title"] for row in listed.json()["results"]] == ["Scheduler double booked"]
    searched = api_as("officer").get("/api/v1/incidents/", {"management_system": world.acme.pk, "system_search": "tri"})
    assert [row["title"] for row in searched.json()["results"]] == ["Triage answered wrongly"]
