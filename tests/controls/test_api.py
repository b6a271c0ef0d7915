"""API of the catalog, SoA rows, approval, sign-offs and verification."""

from __future__ import annotations

import pytest
from django.db import connection

from aims.models import SignOff
from controls import services
from controls.models import Applicability
from tests.controls.helpers import decide_all, row_of
from tests.factories import make_ai_system
from tests.kit import assert_constant_queries, get_ok, second_factor

pytestmark = pytest.mark.django_db


def test_controls_endpoint_lists_the_catalog(api_as):
    response = api_as("auditor").get("/api/v1/controls/", {"page_size": 100, "framework": "iso42001-2023-annex-a"})
    assert response.status_code == 200
    assert response.data["count"] == 38
    first = response.data["results"][0]
    assert (first["key"], first["area"], first["objective"]) == ("A.2.2", "A.2", "A.2.1")


def test_soa_endpoint_filters_by_management_system_and_hides_other_systems(world, api_as):
    response = api_as("owner").get("/api/v1/soa/", {"management_system": world.acme.pk, "page_size": 100})
    assert response.data["count"] == 38
    assert {r["management_system"] for r in response.data["results"]} == {world.acme.pk}
    assert api_as("owner").get("/api/v1/soa/", {"management_system": world.northwind.pk}).data["count"] == 0
    other = row_of(world.northwind, "A.2.2")
    assert api_as("owner").get(f"/api/v1/soa/{other.pk}/").status_code == 404


def test_officer_patches_a_row_with_if_match(world, api_as):
    row = row_of(world.acme, "A.2.2")
    client = api_as("officer")
    got = client.get(f"/api/v1/soa/{row.pk}/")
    assert got["ETag"] == '"1"'
    body = {
        "applicable": "included",
        "justification": "AI policy approved 2026.",
        "implementation_status": "implemented",
    }
    assert client.patch(f"/api/v1/soa/{row.pk}/", body, format="json").status_code == 428
    response = client.patch(f"/api/v1/soa/{row.pk}/", body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.data
    assert response["ETag"] == '"2"' and response.data["applicable"] == "included"
    stale = client.patch(f"/api/v1/soa/{row.pk}/", {"justification": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    history = client.get(f"/api/v1/soa/{row.pk}/history/")
    assert [v["type"] for v in history.data["results"]] == ["changed", "created"]


def test_patch_breaking_soa_rules_is_refused_with_the_field_error(world, api_as):
    row = row_of(world.acme, "A.10.4")
    body = {"applicable": "excluded", "justification": "No customers.", "implementation_status": "implemented"}
    response = api_as("officer").patch(f"/api/v1/soa/{row.pk}/", body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert "Not applicable" in response.data["implementation_status"][0]
    assert Applicability.objects.get(pk=row.pk).version == 1


def test_soa_rows_cannot_be_created_or_deleted(world, api_as):
    row = row_of(world.acme, "A.2.2")
    assert api_as("owner").delete(f"/api/v1/soa/{row.pk}/", HTTP_IF_MATCH='"1"').status_code == 405
    assert api_as("owner").post("/api/v1/soa/", {"management_system": world.acme.pk}).status_code == 405


def _soa_etag(client, ms) -> str:
    response = client.get(f"/api/v1/management-systems/{ms.pk}/soa-version/")
    assert response.status_code == 200 and response["ETag"] == f'"{response.data["version"]}"'
    return response["ETag"]


def test_approve_soa_then_sign_offs_and_verify(world, api_as):
    url = f"/api/v1/management-systems/{world.acme.pk}/approve-soa/"
    body = {"statement": "Approved.", "confirmed": True}
    leader = api_as("leader")
    refused = leader.post(
        url, body, format="json", HTTP_IF_MATCH=_soa_etag(leader, world.acme), HTTP_X_OTP=second_factor(world.leader)
    )
    assert refused.status_code == 400 and "not decided yet" in str(refused.data)
    decide_all(world.acme, world.officer)
    etag = _soa_etag(leader, world.acme)
    assert api_as("officer").post(url, body, format="json", HTTP_IF_MATCH=etag).status_code == 403
    assert api_as("outsider").post(url, body, format="json", HTTP_IF_MATCH=etag).status_code == 404
    missing = leader.post(url, body, format="json")
    assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
    no_code = leader.post(url, body, format="json", HTTP_IF_MATCH=etag)
    assert no_code.status_code == 400 and "X-OTP" in no_code.json()
    wrong = leader.post(url, body, format="json", HTTP_IF_MATCH=etag, HTTP_X_OTP="000000")
    assert wrong.status_code == 400 and "not valid" in wrong.json()["X-OTP"][0]
    response = leader.post(url, body, format="json", HTTP_IF_MATCH=etag, HTTP_X_OTP=second_factor(world.leader))
    assert response.status_code == 201 and response.data["verification"] == "recovery_code"
    assert response.data["sequence"] == 1 and len(response.data["versions"]) == 38
    listed = api_as("auditor").get("/api/v1/sign-offs/", {"management_system": world.acme.pk})
    assert [s["digest"] for s in listed.data["results"]] == [SignOff.objects.get().digest]
    assert api_as("outsider").get("/api/v1/sign-offs/").data["count"] == 0
    verify = api_as("auditor").get(f"/api/v1/management-systems/{world.acme.pk}/verify/")
    assert verify.json() == {
        "ok": True, "checked": 1, "first_broken": None, "signed": 1, "unsigned": 0, "anchor": None,
    }  # fmt: skip
    assert api_as("outsider").get(f"/api/v1/management-systems/{world.acme.pk}/verify/").status_code == 404


def test_soa_approval_is_refused_when_a_row_changed_since_the_version_was_read(world, api_as):
    decide_all(world.acme, world.officer)
    leader = api_as("leader")
    etag = _soa_etag(leader, world.acme)
    row = row_of(world.acme, "A.2.2")
    api_as("officer").patch(
        f"/api/v1/soa/{row.pk}/", {"implementation_notes": "Changed meanwhile"}, format="json", HTTP_IF_MATCH='"2"'
    )
    url = f"/api/v1/management-systems/{world.acme.pk}/approve-soa/"
    code = second_factor(world.leader)
    stale = leader.post(
        url, {"statement": "Approved.", "confirmed": True}, format="json", HTTP_IF_MATCH=etag, HTTP_X_OTP=code
    )
    assert stale.status_code == 412 and "changed since you opened it" in stale.json()["detail"]
    assert not SignOff.objects.exists()
    fresh = _soa_etag(leader, world.acme)
    assert fresh != etag
    # The code was not spent on the refused sign-off: the same one signs the fresh version.
    signed = leader.post(
        url, {"statement": "Approved.", "confirmed": True}, format="json", HTTP_IF_MATCH=fresh, HTTP_X_OTP=code
    )
    assert signed.status_code == 201


def test_verify_endpoint_reports_the_first_broken_sign_off(world, api_as):
    decide_all(world.acme, world.officer)
    leader = api_as("leader")
    leader.post(
        f"/api/v1/management-systems/{world.acme.pk}/approve-soa/",
        {"statement": "OK", "confirmed": True},
        format="json",
        HTTP_IF_MATCH=_soa_etag(leader, world.acme),
        HTTP_X_OTP=second_factor(world.leader),
    )
    signoff = SignOff.objects.get()
    table = Applicability.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET justification = 'forged' WHERE history_id = %s", [signoff.versions[0][1]])  # noqa: S608
    body = api_as("auditor").get(f"/api/v1/management-systems/{world.acme.pk}/verify/").json()
    assert body["ok"] is False and body["checked"] == 1
    assert body["first_broken"]["id"] == signoff.pk and body["first_broken"]["reason"] == "digest mismatch"


def test_soa_list_query_count_does_not_grow_with_linked_objects(world, api_as):
    soa = get_ok(api_as("officer"), "/api/v1/soa/", {"management_system": world.acme.pk, "page_size": 50})

    def link_rows():
        systems = [make_ai_system(world.acme, user=world.officer, name=f"System {i}") for i in range(4)]
        for row in Applicability.objects.filter(management_system=world.acme)[:10]:
            services.applicability_update(
                row, user=world.officer, expected_version=row.version, owner=world.contributor, ai_systems=systems
            )

    assert_constant_queries(soa, link_rows)  # warmed first: the user's memberships are cached


def test_soa_list_counts_the_linked_systems_and_the_row_lists_them(world, api_as):
    row = row_of(world.acme, "A.6.2.8")
    systems = [make_ai_system(world.acme, user=world.officer, name=f"Linked {i}") for i in range(3)]
    services.applicability_update(row, user=world.officer, expected_version=row.version, ai_systems=systems)
    client = api_as("auditor")
    listed = client.get("/api/v1/soa/", {"management_system": world.acme.pk, "page_size": 100}).data["results"]
    by_id = {r["id"]: r for r in listed}
    assert by_id[row.pk]["ai_systems_count"] == 3 and "ai_systems" not in by_id[row.pk]
    assert {r["ai_systems_count"] for r in listed if r["id"] != row.pk} == {0}
    detail = client.get(f"/api/v1/soa/{row.pk}/").data
    assert detail["ai_systems_count"] == 3
    assert detail["ai_systems"] == [s.pk for s in sorted(systems, key=lambda s: s.reference)]
    # A PATCH answers with the row as saved, its links counted.
    patched = api_as("officer").patch(
        f"/api/v1/soa/{row.pk}/", {"ai_systems": [systems[0].pk]}, format="json", HTTP_IF_MATCH=f'"{row.version + 1}"'
    )
    assert patched.status_code == 200, patched.data
    assert patched.data["ai_systems"] == [systems[0].pk] and patched.data["ai_systems_count"] == 1


def test_soa_list_size_does_not_grow_with_the_linked_systems(world, api_as):
    client = api_as("officer")
    params = {"management_system": world.acme.pk, "page_size": 50}
    before = client.get("/api/v1/soa/", params).content
    systems = [make_ai_system(world.acme, user=world.officer, name=f"System {i}") for i in range(40)]
    for row in Applicability.objects.filter(management_system=world.acme)[:5]:
        services.applicability_update(row, user=world.officer, expected_version=row.version, ai_systems=systems)
    after = client.get("/api/v1/soa/", params).content
    # Five rows now link 40 systems each: only their counts changed ("0" became "40").
    assert len(after) - len(before) <= 5 * len("40")
    schema = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert "ai_systems" not in schema["ApplicabilityList"]["properties"]
    assert {"ai_systems", "ai_systems_count"} <= set(schema["Applicability"]["properties"])
    assert schema["ApplicabilityList"]["properties"]["ai_systems_count"]["type"] == "integer"
