"""The documents API: permission matrix, immutability of approved versions, approval with its reasons, query counts."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from governance.models import DocumentAcknowledgement, DocumentVersion
from tests.governance.documents_helpers import CHECKLIST, document, in_review, make_top_management
from tests.governance.test_documents_permissions import everything, fresh
from tests.kit import PERSONAS, assert_constant_queries, get_ok, otp_header, standing

Status = DocumentVersion.Status
JSON = {"content_type": "application/json"}
HIDDEN = {"list": False, "retrieve": 404, "history": 404, "create": 400, "update": 404, "new version": 400,
          "edit draft": 404, "submit": 404, "return": 404, "retire": 404}  # fmt: skip
READER = {"list": True, "retrieve": 200, "history": 200, "create": 403, "update": 403, "new version": 403,
          "edit draft": 403, "submit": 403, "return": 403, "retire": 403}  # fmt: skip
EDITOR = {**READER, "create": 201, "update": 200, "new version": 201, "edit draft": 200, "submit": 200,
          "return": 200, "retire": 200}  # fmt: skip
EXPECTED = {"owner": EDITOR, "officer": EDITOR, "leader": READER, "contributor": READER, "auditor": READER,
            "expired_auditor": HIDDEN, "outsider": HIDDEN}  # fmt: skip


NEEDS = {"new version": "approved", "return": "in_review"}


def _call(client: Any, action: str, ms: Any, version: DocumentVersion) -> Any:
    doc = version.document
    v = f"/api/v1/document-versions/{version.pk}/"
    d = f"/api/v1/documents/{doc.pk}/"
    match = lambda obj: {"if-match": f'"{obj.version}"'}  # noqa: E731
    calls = {
        "list": lambda: client.get("/api/v1/documents/", {"page_size": 500}),
        "retrieve": lambda: client.get(v),
        "history": lambda: client.get(d + "history/"),
        "create": lambda: client.post("/api/v1/documents/", {
            "management_system": ms.pk, "identifier": f"API-{version.pk}", "title": "By API", "doc_type": "method"}, **JSON),
        "update": lambda: client.patch(d, {"title": "Renamed"}, headers=match(doc), **JSON),
        "new version": lambda: client.post("/api/v1/document-versions/", {"document": doc.pk}, **JSON),
        "edit draft": lambda: client.patch(v, {"body": "# New text\n"}, headers=match(version), **JSON),
        "submit": lambda: client.post(v + "submit/", {}, headers=match(version), **JSON),
        "return": lambda: client.post(v + "return/", {"reason": "More"}, headers=match(version), **JSON),
        "retire": lambda: client.post(d + "retire/", {"reason": "Obsolete"}, headers=match(doc), **JSON),
    }  # fmt: skip
    return calls[action]()


def test_api_permission_matrix(world, api_as):
    shared: dict[tuple[int, str], DocumentVersion] = {}

    def record(ms: Any, state: str, allowed: bool) -> DocumentVersion:
        """A fresh record for a write that will be allowed; else one shared by the refusals, which change nothing."""
        if allowed:
            return fresh(world, ms, state=state)
        if (ms.pk, state) not in shared:
            shared[(ms.pk, state)] = fresh(world, ms, state=state)
        return shared[(ms.pk, state)]

    for persona in PERSONAS:
        client = api_as(persona)
        for where, ms in (("acme", world.acme), ("northwind", world.northwind)):
            for action, want in EXPECTED[standing(persona, where)].items():
                version = record(ms, NEEDS.get(action, "draft"), want in (200, 201) and action != "list")
                before = everything()
                response = _call(client, action, ms, version)
                case = (persona, where, action)
                if action == "list":
                    ids = {row["id"] for row in response.json()["results"]}
                    assert (version.document_id in ids) is want, case
                    continue
                assert response.status_code == want, (case, response.content[:300])
                if want >= 400:
                    assert everything() == before, case
    assert api_as("anonymous").get("/api/v1/document-versions/").status_code == 401


def test_an_approved_version_cannot_be_changed_through_the_api(world, api_as):
    version = fresh(world, state="approved")
    client = api_as("officer")
    response = client.patch(
        f"/api/v1/document-versions/{version.pk}/", {"body": "# Rewritten\n"},
        headers={"if-match": f'"{version.version}"'}, **JSON,
    )  # fmt: skip
    assert response.status_code == 400 and "never changes" in response.content.decode()
    assert DocumentVersion.objects.get(pk=version.pk).body == "# Text\n"
    response = client.post("/api/v1/document-versions/", {"document": version.document_id}, **JSON)
    assert response.status_code == 201 and response.json()["number"] == 2 and response.json()["body"] == "# Text\n"
    assert client.delete(f"/api/v1/document-versions/{version.pk}/").status_code == 405


def _approve(client: Any, world: Any, persona: str, version: DocumentVersion) -> Any:
    return client.post(
        f"/api/v1/document-versions/{version.pk}/approve/", {"statement": "Approved for use."},
        headers={"if-match": f'"{version.version}"', **otp_header(world, persona)}, **JSON,
    )  # fmt: skip


def test_approving_the_policy_through_the_api(world, api_as):
    version = in_review(world, checklist=False)
    leader = api_as("leader")
    refused = _approve(leader, world, "leader", version)
    assert refused.status_code == 403 and "top-management" in refused.json()["detail"]
    make_top_management(world, world.leader)
    blocked = _approve(leader, world, "leader", version)
    assert blocked.status_code == 400 and "checklist" in blocked.content.decode()
    officer = api_as("officer")
    back = officer.post(f"/api/v1/document-versions/{version.pk}/return/", {"reason": "Tick the checklist"},
                        headers={"if-match": f'"{version.version}"'}, **JSON)  # fmt: skip
    assert back.status_code == 200 and back.json()["status"] == "draft"
    edited = officer.patch(f"/api/v1/document-versions/{version.pk}/", CHECKLIST,
                           headers={"if-match": back.headers["ETag"]}, **JSON)  # fmt: skip
    submitted = officer.post(f"/api/v1/document-versions/{version.pk}/submit/", {},
                             headers={"if-match": edited.headers["ETag"]}, **JSON)  # fmt: skip
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    version.refresh_from_db()
    signed = _approve(leader, world, "leader", version)
    assert signed.status_code == 201 and signed.json()["kind"] == "document_version_approval"
    body = leader.get(f"/api/v1/document-versions/{version.pk}/").json()
    assert body["status"] == "approved" and body["approved_by"] == "leader" and body["latest_sign_off"]
    ack = api_as("contributor").post(f"/api/v1/document-versions/{version.pk}/acknowledge/", {}, **JSON)
    assert ack.status_code == 201 and DocumentAcknowledgement.objects.filter(version=version).count() == 1
    assert api_as("contributor").post(f"/api/v1/document-versions/{version.pk}/acknowledge/").status_code == 400
    assert api_as("auditor").post(f"/api/v1/document-versions/{version.pk}/acknowledge/").status_code == 403


def _more(world: Any, n: int) -> None:
    for _ in range(n):
        fresh(world, state="approved")
        fresh(world, state="in_review")


def test_list_pages_and_endpoints_use_a_constant_number_of_queries(world, client_as, api_as):
    _more(world, 1)
    ms = world.acme.pk
    client = client_as("auditor")
    api = api_as("auditor")
    fetches = {
        "page": get_ok(client, reverse("governance:document_list", args=[ms])),
        "filtered": get_ok(
            client, reverse("governance:document_list", args=[ms]), {"state": "approved", "overdue": "no"}
        ),
        "documents": get_ok(api, "/api/v1/documents/", {"management_system": ms}),
        "versions": get_ok(api, "/api/v1/document-versions/", {"management_system": ms}),
        "detail": get_ok(client, reverse("governance:document_detail", args=[ms, document(world).pk])),
    }
    assert_constant_queries(fetches, lambda: _more(world, 3))


def test_filters_agree_between_the_page_and_the_api(world, client_as, api_as):
    approved = fresh(world, state="approved")
    ms = world.acme.pk
    page = client_as("officer").get(reverse("governance:document_list", args=[ms]), {"state": "approved"})
    listed = {d.identifier for d in page.context["page_obj"].object_list}
    api = api_as("officer").get("/api/v1/documents/", {"state": "approved", "management_system": ms}).json()
    assert listed == {row["identifier"] for row in api["results"]} == {approved.document.identifier}
    by_type = api_as("officer").get("/api/v1/documents/", {"doc_type": "policy", "management_system": ms}).json()
    assert [row["key"] for row in by_type["results"]] == ["ai_policy"]


def test_a_required_document_cannot_be_withdrawn_through_the_api(world, api_as):
    policy = document(world)
    response = api_as("officer").post(
        f"/api/v1/documents/{policy.pk}/retire/", {"reason": "Obsolete"}, headers={"if-match": f'"{policy.version}"'},
        **JSON,
    )  # fmt: skip
    assert response.status_code == 400 and "cannot be withdrawn" in response.content.decode()
    policy.refresh_from_db()
    assert policy.retired_at is None
