"""The API of audit programmes, internal audits (checks, report, acknowledgement) and findings: history,
If-Match, step-up on sign-offs, refusals as 400 with the reason, 404 outside the management system."""

from __future__ import annotations

import pytest

from aims.models import SignOff
from improvement.audits import finding_services, signoffs
from improvement.models import AuditProgramme, Finding, InternalAudit, Nonconformity
from tests.factories import make_ai_system
from tests.improvement.audits.helpers import (
    STATEMENT,
    approved_programme,
    clause,
    control,
    make_audit,
    make_programme,
    planner,
    reportable_audit,
    sign_report,
)
from tests.kit import SYSTEMS, matrix, otp_header

JSON = "application/json"


def if_match(obj, **headers):
    return {"if-match": f'"{obj.version}"', **headers}


def test_create_a_programme_with_its_items_read_it_with_its_etag_and_history(world, api_as):
    api = api_as("officer")
    body = {
        "management_system": world.acme.pk,
        "title": "Programme 2026",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "objectives": "Conformity",
        "owner": world.officer.pk,
        "items": [
            {"requirement": clause("9.2.2").pk, "planned_quarter": "2026-Q2"},
            {"process": "Incident handling", "planned_quarter": "2026-Q3"},
        ],
    }
    created = api.post("/api/v1/audit-programmes/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["reference"] == "IAP-001" and data["status"] == "draft" and created["ETag"] == '"1"'
    assert [i["requirement_key"] for i in data["items"]] == ["9.2.2", None]
    history = api.get(f"/api/v1/audit-programmes/{data['id']}/history/").json()["results"]
    assert history[0]["user"] == "officer"


def test_an_item_outside_the_catalogues_or_with_a_bad_quarter_is_a_400(world, api_as):
    body = {"management_system": world.acme.pk, "title": "P", "items": [{"process": "X", "planned_quarter": "soon"}]}
    response = api_as("officer").post("/api/v1/audit-programmes/", body, format="json")
    assert response.status_code == 400 and "2026-Q3" in response.content.decode()
    assert not AuditProgramme.objects.exists()


def test_a_stale_if_match_is_412_and_a_missing_one_428(world, api_as):
    programme = make_programme(world.acme, world.officer)
    url = f"/api/v1/audit-programmes/{programme.pk}/"
    api = api_as("officer")
    assert api.patch(url, {"title": "T"}, format="json").status_code == 428
    assert api.patch(url, {"title": "T"}, format="json", headers={"if-match": '"7"'}).status_code == 412
    assert api.patch(url, {"title": "T"}, format="json", headers=if_match(programme)).status_code == 200


def test_approve_through_the_api_needs_the_step_up_and_refuses_blockers_with_400(world, api_as):
    programme = make_programme(world.acme, planner(), owner=world.officer, items=[])
    url = f"/api/v1/audit-programmes/{programme.pk}/approve/"
    api = api_as("leader")
    refused = api.post(
        url, {"statement": "OK"}, format="json", headers=if_match(programme, **otp_header(world, "leader"))
    )
    assert refused.status_code == 400 and "Plan at least one audit" in refused.content.decode()
    programme = make_programme(world.acme, planner(), owner=world.officer)
    url = f"/api/v1/audit-programmes/{programme.pk}/approve/"
    no_code = api.post(url, {"statement": "OK"}, format="json", headers=if_match(programme))
    assert no_code.status_code == 400 and not SignOff.objects.exists()
    signed = api.post(
        url, {"statement": "OK"}, format="json", headers=if_match(programme, **otp_header(world, "leader"))
    )
    assert signed.status_code == 201 and signed.json()["kind"] == signoffs.PROGRAMME_APPROVAL
    read = api.get(f"/api/v1/audit-programmes/{programme.pk}/").json()
    assert read["status"] == "approved" and read["latest_sign_off"]["id"] == signed.json()["id"]
    assert read["changed_since_signed"] is False


def test_activate_and_close_take_a_reason_and_the_version(world, api_as):
    programme = approved_programme(world)
    url = f"/api/v1/audit-programmes/{programme.pk}/activate/"
    api = api_as("officer")
    assert api.post(url, {}, format="json", headers=if_match(programme)).status_code == 400
    done = api.post(url, {"reason": "Cycle starts"}, format="json", headers=if_match(programme))
    assert done.status_code == 200 and done.json()["status"] == "active"
    assert (
        api_as("contributor")
        .post(
            f"/api/v1/audit-programmes/{programme.pk}/close/",
            {"reason": "x"},
            format="json",
            headers={"if-match": '"4"'},
        )
        .status_code
        == 403
    )


def test_the_coverage_endpoint_flags_clauses_not_covered(world, api_as):
    programme = make_programme(world.acme, world.officer)
    data = api_as("auditor").get(f"/api/v1/audit-programmes/{programme.pk}/coverage/").json()
    assert data["quarters"] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert "clause:9.2.2" not in data["gaps"] and "clause:4.1" in data["gaps"]
    row = next(r for r in data["rows"] if r["key"] == "clause:9.2.2")
    assert row["cells"] == {"2026-Q2": 1} and row["gap"] is False


def test_an_audit_created_through_the_api_has_its_checks_nested(world, api_as):
    programme = approved_programme(world)
    body = {
        "management_system": world.acme.pk,
        "programme": programme.pk,
        "title": "Audit",
        "scope_requirements": [clause("9.2.2").pk, control("A.6.2.8").pk],
        "lead_auditor": world.contributor.pk,
    }
    created = api_as("officer").post("/api/v1/internal-audits/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert sorted(c["requirement_key"] for c in data["checks"]) == ["9.2.2", "A.6.2.8"]
    assert all(c["in_scope"] and c["result"] == "" for c in data["checks"])
    assert data["scope_keys"] == ["9.2.2", "A.6.2.8"] and data["status"] == "planned"


def test_independence_refusal_is_a_400_naming_what_the_auditor_owns(world, api_as):
    system = make_ai_system(world.acme, user=world.officer, owner=world.contributor)
    body = {
        "management_system": world.acme.pk, "programme": approved_programme(world).pk, "title": "Audit",
        "scope_requirements": [clause("9.2.2").pk], "scope_ai_systems": [system.pk], "lead_auditor": world.contributor.pk,
    }  # fmt: skip
    refused = api_as("officer").post("/api/v1/internal-audits/", body, format="json")
    assert refused.status_code == 400
    assert system.reference in refused.json()["lead_auditor"][0]
    assert not InternalAudit.objects.exists()
    body["independence_override"] = "Nobody else knows the system."
    assert api_as("officer").post("/api/v1/internal-audits/", body, format="json").status_code == 201


def test_a_lead_contributor_cannot_give_an_override_through_the_api(world, api_as):
    audit = make_audit(world, lead_auditor=world.contributor)
    response = api_as("contributor").patch(
        f"/api/v1/internal-audits/{audit.pk}/",
        {"independence_override": "Fine"},
        format="json",
        headers=if_match(audit),
    )
    assert response.status_code == 403
    assert InternalAudit.objects.get(pk=audit.pk).independence_override == ""


def test_checks_are_recorded_through_the_sub_resource_with_the_check_s_version(world, api_as):
    audit = make_audit(world, lead_auditor=world.contributor)
    api = api_as("contributor")
    start = api.post(f"/api/v1/internal-audits/{audit.pk}/start/", {}, format="json", headers=if_match(audit))
    assert start.status_code == 200 and start.json()["status"] == "in_progress"
    checks = api.get(f"/api/v1/internal-audits/{audit.pk}/checks/").json()
    url = f"/api/v1/internal-audits/{audit.pk}/checks/{checks[0]['id']}/"
    assert api.patch(url, {"result": "conforming"}, format="json").status_code == 428
    done = api.patch(url, {"result": "conforming", "tested": "Minutes"}, format="json", headers={"if-match": '"1"'})
    assert done.status_code == 200 and done.json()["result"] == "conforming" and done["ETag"] == '"2"'
    assert api.patch(url, {"result": "observation"}, format="json", headers={"if-match": '"1"'}).status_code == 412
    assert api_as("auditor").patch(url, {"result": "x"}, format="json", headers={"if-match": '"2"'}).status_code == 403
    assert api.get(f"/api/v1/internal-audits/{audit.pk}/checks/999999/").status_code == 404


def test_sign_report_and_acknowledge_through_the_api(world, api_as):
    audit = reportable_audit(world)
    url = f"/api/v1/internal-audits/{audit.pk}/"
    refused = api_as("officer").post(
        url + "sign-report/", {"statement": "S"}, format="json", headers=if_match(audit, **otp_header(world, "officer"))
    )
    assert refused.status_code == 403 and "Only the lead auditor" in refused.content.decode()
    signed = api_as("contributor").post(
        url + "sign-report/",
        {"statement": "S"},
        format="json",
        headers=if_match(audit, **otp_header(world, "contributor")),
    )
    assert signed.status_code == 201, signed.content
    audit.refresh_from_db()
    assert audit.status == "reported"
    ack = api_as("leader").post(
        url + "acknowledge/",
        {"statement": "Read"},
        format="json",
        headers=if_match(audit, **otp_header(world, "leader")),
    )
    assert ack.status_code == 201
    read = api_as("auditor").get(url).json()
    assert read["status"] == "closed" and read["changed_since_signed"] is False


def test_a_report_with_a_check_without_result_is_refused_with_400(world, api_as):
    audit = make_audit(world, lead_auditor=world.contributor, conclusion="C")
    response = api_as("contributor").post(
        f"/api/v1/internal-audits/{audit.pk}/sign-report/",
        {"statement": "S"},
        format="json",
        headers=if_match(audit, **otp_header(world, "contributor")),
    )
    assert response.status_code == 400 and "none yet for 9.2.2" in response.content.decode()


def test_a_major_finding_through_the_api_creates_its_nonconformity(world, api_as):
    audit = make_audit(world, lead_auditor=world.contributor)
    body = {
        "management_system": world.acme.pk, "title": "No programme", "finding_type": "major",
        "source": "internal_audit", "audit": audit.pk, "requirements": [clause("9.2.2").pk], **STATEMENT,
    }  # fmt: skip
    created = api_as("contributor").post("/api/v1/findings/", body, format="json")  # the lead records it
    assert created.status_code == 201, created.content
    nc = Nonconformity.objects.get()
    assert created.json()["nonconformity"] == nc.pk and created.json()["nonconformity_reference"] == nc.reference
    refused = api_as("officer").post("/api/v1/findings/", {**body, "requirements": []}, format="json")
    assert refused.status_code == 400 and Finding.objects.count() == 1 and Nonconformity.objects.count() == 1


LIST_AND_READ = {"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200}
LIST_AND_READ |= {"expired_auditor": 404, "outsider": 404, "anonymous": 401}


@matrix(LIST_AND_READ, where=SYSTEMS)
def test_api_reads_are_for_members_and_404_outside(world, api_as, persona, where, expected):
    ms, author = (world.northwind, world.outsider) if where == "northwind" else (world.acme, world.officer)
    programme = make_programme(ms, author)
    from improvement.audits import services

    audit = services.internal_audit_create(
        management_system=ms, user=author, programme=programme, title="A", scope_requirements=[clause("9.2.2")]
    )
    finding = finding_services.finding_create(
        management_system=ms, user=author, title="F", finding_type="observation", source="monitoring", **STATEMENT
    )
    api = api_as(persona)
    for url in [
        f"/api/v1/audit-programmes/{programme.pk}/",
        f"/api/v1/audit-programmes/{programme.pk}/history/",
        f"/api/v1/audit-programmes/{programme.pk}/coverage/",
        f"/api/v1/internal-audits/{audit.pk}/",
        f"/api/v1/internal-audits/{audit.pk}/history/",
        f"/api/v1/internal-audits/{audit.pk}/checks/",
        f"/api/v1/findings/{finding.pk}/",
        f"/api/v1/findings/{finding.pk}/history/",
    ]:
        assert api.get(url).status_code == expected, url
    for listing in ["/api/v1/audit-programmes/", "/api/v1/internal-audits/", "/api/v1/findings/"]:
        response = api.get(listing)
        if expected == 401:
            assert response.status_code == 401
        else:
            listed = {row["id"] for row in response.json()["results"]}
            assert response.status_code == 200 and (bool(listed) is (expected == 200)), listing


@pytest.mark.parametrize("persona", ["leader", "auditor", "contributor"])
def test_api_writes_outside_a_role_are_403_and_change_nothing(world, api_as, persona):
    programme = make_programme(world.acme, world.officer)
    api = api_as(persona)
    assert (
        api.post(
            "/api/v1/audit-programmes/", {"management_system": world.acme.pk, "title": "P"}, format="json"
        ).status_code
        == 403
    )
    assert (
        api.patch(
            f"/api/v1/audit-programmes/{programme.pk}/", {"title": "X"}, format="json", headers=if_match(programme)
        ).status_code
        == 403
    )
    assert AuditProgramme.objects.get().title == programme.title


@pytest.mark.parametrize("action", ["sign-report", "acknowledge", "start"])
def test_audit_actions_are_404_outside_the_management_system(world, api_as, action):
    audit = reportable_audit(world)  # Acme's; the outsider owns Northwind only
    if action == "acknowledge":
        sign_report(audit, world.contributor)
        audit = InternalAudit.objects.get(pk=audit.pk)
    before = (SignOff.objects.count(), audit.version)
    outside = api_as("outsider").post(
        f"/api/v1/internal-audits/{audit.pk}/{action}/",
        {"statement": "S"},
        format="json",
        headers=if_match(audit, **otp_header(world, "outsider")),
    )
    assert outside.status_code == 404
    assert (SignOff.objects.count(), InternalAudit.objects.get(pk=audit.pk).version) == before
