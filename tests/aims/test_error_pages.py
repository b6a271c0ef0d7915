"""Refusals render the project's own pages, in the site layout, with a way back."""

import pytest


@pytest.mark.django_db
def test_outsider_gets_the_not_found_page_for_another_management_system(world, client_as):
    response = client_as("outsider").get(f"/ms/{world.acme.pk}/registers/ai-systems/")
    assert response.status_code == 404
    assert b"There is nothing here, or it is not shared with you." in response.content
    assert b"Acme" not in response.content


@pytest.mark.django_db
def test_member_without_the_right_gets_the_not_allowed_page(world, client_as):
    response = client_as("auditor").get(f"/ms/{world.acme.pk}/members/")
    assert response.status_code == 403
    assert b"Your role in this management system does not let you do this." in response.content


@pytest.mark.django_db
def test_members_link_is_shown_only_to_those_who_manage_members(world, client_as):
    url = f"/ms/{world.acme.pk}/"
    members = f'href="/ms/{world.acme.pk}/members/"'.encode()
    assert members in client_as("owner").get(url).content
    assert members not in client_as("officer").get(url).content


@pytest.mark.django_db
def test_audit_packs_link_is_hidden_from_contributors(world, client_as):
    url = f"/ms/{world.acme.pk}/"
    packs = f'href="/ms/{world.acme.pk}/packs/"'.encode()
    assert packs in client_as("auditor").get(url).content
    assert packs not in client_as("contributor").get(url).content
