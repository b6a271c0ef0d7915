"""The "Management system" menu and its index page: the management system's own records by clause."""

from __future__ import annotations

from django.urls import reverse

from governance import menu


def test_members_see_the_management_system_index_in_clause_order(world, client_as):
    response = client_as("auditor").get(reverse("governance:home", args=[world.acme.pk]))
    assert response.status_code == 200
    shown = [entry["clause"] for entry in response.context["entries"]]
    assert shown == sorted(shown, key=lambda clause: [int(part) for part in clause.split(".")])
    assert shown, "no register of the management system is reachable from the index"
    for entry in response.context["entries"]:
        assert entry["url"].startswith(f"/ms/{world.acme.pk}/governance/")
        assert entry["url"] in response.content.decode()


def test_the_index_of_another_management_system_does_not_exist_for_an_outsider(world, client_as):
    assert client_as("outsider").get(reverse("governance:home", args=[world.acme.pk])).status_code == 404


def test_every_page_carries_the_management_system_menu_with_its_entries(world, client_as):
    page = client_as("contributor").get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert "<summary>Management system</summary>" in page
    assert reverse("governance:home", args=[world.acme.pk]) in page
    for entry in menu.entries(world.acme.pk):
        assert f'href="{entry["url"]}"' in page


def test_the_menu_marks_itself_current_on_a_page_of_the_management_system(world, client_as):
    page = client_as("officer").get(reverse("governance:home", args=[world.acme.pk])).content.decode()
    assert '<summary aria-current="page">Management system</summary>' in page


def test_the_ai_policy_entry_leads_to_the_policy_before_and_after_its_approval(world, client_as):
    from governance.models import Document, DocumentVersion

    url = reverse("governance:ai_policy", args=[world.acme.pk])
    policy = Document.objects.get(management_system=world.acme, key="ai_policy")
    draft = policy.versions.get()
    response = client_as("auditor").get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:version_detail", args=[world.acme.pk, draft.pk])
    assert client_as("outsider").get(url).status_code == 404
    assert draft.status == DocumentVersion.Status.DRAFT
