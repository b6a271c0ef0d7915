"""The scope pages: the first save writes the scope, stale edits are refused, exclusions, refresh, approval, queries."""

from __future__ import annotations

from django.urls import reverse

from aims.models import SignOff
from governance.models import Scope
from governance.scope import services
from tests.governance.scope_helpers import PARTS, make_issue_and_requirement, make_scope, make_system
from tests.kit import assert_constant_queries, get_ok, sign_data


def test_the_officer_writes_the_scope_edits_it_and_a_stale_form_is_refused(world, client_as):
    ms, client = world.acme, client_as("officer")
    url = reverse("governance:scope_edit", args=[ms.pk])
    empty = client.get(reverse("governance:scope", args=[ms.pk]))
    assert empty.status_code == 200 and "Write the scope" in empty.content.decode()
    assert client.get(url).status_code == 200
    issue, requirement = make_issue_and_requirement(ms, world.officer)
    data = {
        **PARTS,
        "statement": "All AI in patient care.",
        "context_issues": [issue.pk],
        "requirements": [requirement.pk],
    }
    assert client.post(url, data).status_code == 302
    scope = Scope.objects.get(management_system=ms)
    assert scope.reference == "SCO-001" and list(scope.context_issues.all()) == [issue]
    assert client.post(url, {**data, "version": scope.version, "sites": "Riverside"}).status_code == 302
    stale = client.post(url, {**data, "version": scope.version, "sites": "Hillcrest"})
    assert stale.status_code == 409 and Scope.objects.get(pk=scope.pk).sites == "Riverside"
    page = client.get(reverse("governance:scope", args=[ms.pk])).content.decode()
    assert "EU AI Act obligations" in page and "Deployer obligations" in page and "Riverside" in page


def test_exclusions_are_added_edited_and_removed_with_the_scope_version(world, client_as):
    scope = make_scope(world.acme, world.officer)
    client, ms = client_as("officer"), world.acme
    add = reverse("governance:scope_exclusion_add", args=[ms.pk])
    assert client.post(add, {"version": scope.version, "excluded": "Office tools"}).status_code == 302
    exclusion = scope.exclusions.order_by("pk").last()
    scope.refresh_from_db()
    page = client.get(reverse("governance:scope", args=[ms.pk])).content.decode()
    assert "Office tools" in page and "No rationale" in page
    edit = reverse("governance:scope_exclusion_edit", args=[ms.pk, exclusion.pk])
    assert client.post(edit, {"version": scope.version - 1, "excluded": "X", "rationale": "Y"}).status_code == 409
    assert (
        client.post(edit, {"version": scope.version, "excluded": "Office tools", "rationale": "No data."}).status_code
        == 302
    )
    remove = reverse("governance:scope_exclusion_remove", args=[ms.pk, exclusion.pk])
    assert client.get(remove).status_code == 200
    assert client.post(remove, {"version": scope.version + 1}).status_code == 302
    assert not scope.exclusions.filter(pk=exclusion.pk).exists()
    history = client.get(reverse("governance:scope_history", args=[ms.pk])).content.decode()
    assert "Exclusion removed: Office tools" in history and "Exclusion added: Office tools" in history
    other = make_scope(world.northwind, world.outsider)
    theirs = other.exclusions.get()
    assert client.get(reverse("governance:scope_exclusion_edit", args=[ms.pk, theirs.pk])).status_code == 404


def test_the_leader_approves_on_the_page_and_the_officer_refreshes_after_an_inventory_change(world, client_as):
    ms = world.acme
    make_system(ms, world.officer, "Triage assistant")
    scope = make_scope(ms, world.officer)
    leader = client_as("leader")
    approve = reverse("governance:scope_approve", args=[ms.pk])
    assert leader.post(approve, sign_data("scope_approval", scope, signer=world.leader)).status_code == 302
    assert SignOff.objects.filter(kind="scope_approval").count() == 1
    page = leader.get(reverse("governance:scope", args=[ms.pk])).content.decode()
    assert "Unchanged since approval" in page and "Triage assistant" in page
    make_system(ms, world.officer, "Dosing advisor")
    scope.refresh_from_db()
    refresh = reverse("governance:scope_refresh", args=[ms.pk])
    assert client_as("officer").post(refresh, {"version": scope.version}).status_code == 302
    scope.refresh_from_db()
    assert scope.ai_systems.count() == 2 and scope.history.first().history_user_id == world.officer.pk
    page = leader.get(reverse("governance:scope", args=[ms.pk])).content.decode()
    assert "Scope changed since approval" in page and "Changed since approved" in page
    assert leader.post(approve, sign_data("scope_approval", scope, signer=world.leader)).status_code == 302
    assert "Unchanged since approval" in leader.get(reverse("governance:scope", args=[ms.pk])).content.decode()


def test_the_scope_page_overview_and_api_make_as_many_queries_for_many_parts_as_for_few(world, client_as, api_as):
    ms = world.acme
    make_system(ms, world.officer, "Triage assistant")
    scope = make_scope(ms, world.officer)
    issue, requirement = make_issue_and_requirement(ms, world.officer)
    services.scope_update(scope, user=world.officer, expected_version=scope.version, context_issues=[issue],
                          requirements=[requirement])  # fmt: skip
    services.scope_approve(Scope.objects.get(pk=scope.pk), user=world.leader, statement="Ok", verification="password")

    def grow() -> None:
        current = Scope.objects.get(pk=scope.pk)
        for n in range(3):
            make_system(ms, world.officer, f"Grown system {n}")
            services.exclusion_add(current, user=world.officer, expected_version=current.version, excluded=f"E{n}",
                                   rationale="R")  # fmt: skip
            current = Scope.objects.get(pk=scope.pk)
            more = make_issue_and_requirement(ms, world.officer)
            services.scope_update(current, user=world.officer, expected_version=current.version,
                                  context_issues=[*current.context_issues.all(), more[0]],
                                  requirements=[*current.requirements.all(), more[1]])  # fmt: skip
            current = Scope.objects.get(pk=scope.pk)

    client, api = client_as("auditor"), api_as("auditor")
    assert_constant_queries(
        {
            "page": get_ok(client, reverse("governance:scope", args=[ms.pk])),
            "overview": get_ok(client, reverse("aims:ms_home", args=[ms.pk])),
            "api list": get_ok(api, "/api/v1/scope/"),
            "api detail": get_ok(api, f"/api/v1/scope/{scope.pk}/"),
        },
        grow,
    )
