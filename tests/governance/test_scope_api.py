"""The scope API: reading, PATCH with If-Match, exclusions, history, approval (blockers, step-up, freezing)."""

from __future__ import annotations

from aims.models import SignOff
from governance.models import Scope
from governance.scope import services
from tests.governance.scope_helpers import make_issue_and_requirement, make_scope, make_system
from tests.kit import otp_header


def test_patch_needs_the_version_read_and_links_only_records_of_the_same_system(world, api_as):
    scope = make_scope(world.acme, world.officer)
    issue, requirement = make_issue_and_requirement(world.acme, world.officer)
    client = api_as("officer")
    url = f"/api/v1/scope/{scope.pk}/"
    listed = client.get("/api/v1/scope/", {"management_system": world.acme.pk}).json()
    assert [row["reference"] for row in listed["results"]] == ["SCO-001"]
    assert client.patch(url, {"sites": "X"}, format="json").status_code == 428
    stale = client.patch(url, {"sites": "X"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412 and Scope.objects.get(pk=scope.pk).sites != "X"
    body = {"sites": "Riverside", "context_issues": [issue.pk], "requirements": [requirement.pk]}
    changed = client.patch(url, body, format="json", HTTP_IF_MATCH=f'"{scope.version}"')
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == f'"{scope.version + 1}"' and changed.json()["context_issues"] == [issue.pk]
    theirs = make_issue_and_requirement(world.northwind, world.outsider)[0]
    foreign = client.patch(url, {"context_issues": [theirs.pk]}, format="json", HTTP_IF_MATCH=changed["ETag"])
    assert foreign.status_code == 400
    history = client.get(f"{url}history/").json()["results"]
    assert history[0]["changes"][0]["field"] in {"sites", "context_issues", "requirements"}
    assert client.post("/api/v1/scope/", {"management_system": world.acme.pk}, format="json").status_code == 400


def test_exclusions_are_added_changed_and_removed_on_the_scope_version(world, api_as):
    scope = make_scope(world.acme, world.officer)
    client = api_as("officer")
    url = f"/api/v1/scope/{scope.pk}/exclusions/"
    added = client.post(url, {"excluded": "Office tools"}, format="json", HTTP_IF_MATCH=f'"{scope.version}"')
    assert added.status_code == 201, added.content
    exclusion = added.json()["exclusions"][-1]
    assert exclusion["excluded"] == "Office tools" and exclusion["rationale"] == ""
    patched = client.patch(f"{url}{exclusion['id']}/", {"rationale": "No patient data."}, format="json",
                           HTTP_IF_MATCH=added["ETag"])  # fmt: skip
    assert patched.status_code == 200 and patched.json()["exclusions"][-1]["rationale"] == "No patient data."
    assert client.post(f"{url}{exclusion['id']}/remove/", format="json", HTTP_IF_MATCH=added["ETag"]).status_code == 412
    removed = client.post(f"{url}{exclusion['id']}/remove/", format="json", HTTP_IF_MATCH=patched["ETag"])
    assert removed.status_code == 200 and len(removed.json()["exclusions"]) == 1
    assert client.post(f"{url}999999/remove/", format="json", HTTP_IF_MATCH=removed["ETag"]).status_code == 404


def test_approve_answers_400_with_the_blockers_then_signs_and_freezes(world, api_as):
    scope = services.scope_create(management_system=world.acme, user=world.officer, units="", sites="", activities="")
    system = make_system(world.acme, world.officer, "Triage assistant")
    client = api_as("leader")
    url = f"/api/v1/scope/{scope.pk}/approve/"

    def post(version: int):
        return client.post(url, {"statement": "Approved."}, format="json", HTTP_IF_MATCH=f'"{version}"',
                           HTTP_X_OTP=otp_header(world, "leader")["x-otp"])  # fmt: skip

    refused = post(scope.version)
    assert refused.status_code == 400 and "at least one activity" in refused.content.decode()
    scope = services.scope_update(scope, user=world.officer, expected_version=scope.version, units="A", sites="B",
                                  activities="C")  # fmt: skip
    assert post(scope.version - 1).status_code == 412
    assert client.post(
        url, {"statement": "Approved."}, format="json", HTTP_IF_MATCH=f'"{scope.version}"'
    ).status_code in (400, 403)
    signed = post(scope.version)
    assert signed.status_code == 201, signed.content
    assert SignOff.objects.get(kind="scope_approval").pk == signed.json()["id"]
    body = client.get(f"/api/v1/scope/{scope.pk}/").json()
    assert body["ai_systems"] == [system.pk] and body["systems"]["approved"] and not body["changed_since_signed"]
    make_system(world.acme, world.officer, "Dosing advisor")
    systems = client.get(f"/api/v1/scope/{scope.pk}/").json()["systems"]
    assert systems["changed_since_approval"] and [s["name"] for s in systems["added"]] == ["Dosing advisor"]
