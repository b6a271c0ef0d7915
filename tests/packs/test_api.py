"""Pack and evidence API: request, status, downloads, multipart upload, permission matrix."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.demo import samples
from evidence.models import Evidence, EvidenceDownload
from packs import services
from packs.models import AuditPack, PackDownload
from tests.kit import assert_constant_queries, get_ok, matrix
from tests.packs.helpers import make_pack, make_ready_pack

PACK_ROLES = ["owner", "officer", "leader", "auditor"]
READ = {**dict.fromkeys(PACK_ROLES, 200), "contributor": 403, "expired_auditor": 404, "outsider": 404}
REQUEST = {**dict.fromkeys(PACK_ROLES, 202), "contributor": 403, "expired_auditor": 400, "outsider": 400}


@matrix(REQUEST, name="name")
def test_pack_request_is_accepted_and_enqueued_after_commit_unless_refused(
    world, api_as, name, expected, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(services, "enqueue_render", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(name).post(
            "/api/v1/audit-packs/", {"management_system": world.acme.pk, "kind": "stage2"}, format="json"
        )
    assert response.status_code == expected, response.content
    if expected == 202:
        assert response.json()["status"] == "queued" and enqueued == [response.json()["id"]]
        assert AuditPack.objects.get().kind == "stage2"
    else:
        assert not AuditPack.objects.exists() and enqueued == []


@matrix(READ, name="name")
def test_pack_detail_and_downloads_follow_the_permission_matrix(world, api_as, name, expected):
    pack = make_ready_pack(world)
    client = api_as(name)
    detail = client.get(f"/api/v1/audit-packs/{pack.pk}/")
    assert detail.status_code == expected
    for part, path in (("pdf", "download"), ("bundle", "bundle")):
        response = client.get(f"/api/v1/audit-packs/{pack.pk}/{path}/")
        assert response.status_code == expected
        if expected == 200:
            assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Disposition"].startswith(
                "attachment"
            )
            assert PackDownload.objects.filter(user=world.users[name], part=part, channel="api").exists()
    if expected == 200:
        data = detail.json()
        assert data["status"] == "ready" and data["sha256"] == AuditPack.objects.get().sha256 and data["pages"] > 0
    else:
        assert not PackDownload.objects.exists()


def test_pack_list_shows_only_packs_the_user_may_download(world, api_as):
    make_pack(world)
    assert api_as("auditor").get("/api/v1/audit-packs/").json()["count"] == 1
    assert api_as("contributor").get("/api/v1/audit-packs/").json()["count"] == 0
    assert api_as("outsider").get("/api/v1/audit-packs/").json()["count"] == 0


def test_download_of_a_pack_not_yet_ready_is_not_found(world, api_as):
    pack = make_pack(world)
    assert api_as("auditor").get(f"/api/v1/audit-packs/{pack.pk}/download/").status_code == 404


def test_evidence_upload_list_detail_and_download(world, api_as):
    officer = api_as("officer")
    response = officer.post(
        "/api/v1/evidence/",
        {
            "management_system": world.acme.pk,
            "title": "Model card",
            "evidence_date": "2026-01-20",
            "file": SimpleUploadedFile("card.json", b'{"a": 1}'),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["content_type"] == "application/json"
        and len(body["sha256"]) == 64
        and body["original_name"] == "card.json"
    )
    auditor = api_as("auditor")
    assert auditor.get("/api/v1/evidence/").json()["count"] == 1
    download = auditor.get(f"/api/v1/evidence/{body['id']}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b'{"a": 1}'
    assert EvidenceDownload.objects.get().channel == "api"
    assert api_as("outsider").get(f"/api/v1/evidence/{body['id']}/").status_code == 404
    assert api_as("expired_auditor").get(f"/api/v1/evidence/{body['id']}/download/").status_code == 404


def test_evidence_api_refuses_disallowed_content_and_cannot_change_evidence(world, api_as):
    officer = api_as("officer")
    response = officer.post(
        "/api/v1/evidence/",
        {
            "management_system": world.acme.pk,
            "title": "x",
            "evidence_date": "2026-01-20",
            "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00" * 20),
        },
        format="multipart",
    )
    assert response.status_code == 400 and "not accepted" in str(response.json()["file"])
    assert not Evidence.objects.exists()
    ok = officer.post(
        "/api/v1/evidence/",
        {
            "management_system": world.acme.pk,
            "title": "y",
            "evidence_date": "2026-01-20",
            "file": SimpleUploadedFile("y.pdf", samples.pdf_bytes()),
        },
        format="multipart",
    ).json()
    assert officer.patch(f"/api/v1/evidence/{ok['id']}/", {"title": "z"}, format="json").status_code == 405
    assert officer.delete(f"/api/v1/evidence/{ok['id']}/").status_code == 405
    auditor_upload = api_as("auditor").post(
        "/api/v1/evidence/",
        {"management_system": world.acme.pk, "title": "a", "evidence_date": "2026-01-20", "url": "https://example.org"},
        format="multipart",
    )
    assert auditor_upload.status_code == 403


def test_pack_and_evidence_lists_use_the_same_number_of_queries_for_few_and_many_rows(world, api_as):
    from datetime import date

    from tests.factories import EvidenceFactory, make_ai_system

    system = make_ai_system(world.acme, user=world.officer)

    def add(n: int) -> None:
        make_pack(world)
        EvidenceFactory(
            management_system=world.acme, user=world.officer, title=f"E{n}", evidence_date=date(2026, 1, 1),
            url="https://example.org/e", links={"ai_systems": [system]},
        )  # fmt: skip

    def as_a_fresh_auditor(url: str):
        # A new client and a freshly loaded user each time: no access cache carried over.
        return lambda: get_ok(api_as("auditor"), url)()

    add(0)
    lists = {url: as_a_fresh_auditor(url) for url in ("/api/v1/audit-packs/", "/api/v1/evidence/")}
    assert_constant_queries(lists, lambda: [add(n) for n in range(1, 6)], warm=False)


def test_future_as_of_date_is_a_field_error(world, api_as):
    response = api_as("auditor").post(
        "/api/v1/audit-packs/",
        {"management_system": world.acme.pk, "kind": "full", "as_of_date": "2999-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "future" in str(response.json()["as_of"])
    assert not AuditPack.objects.exists()


def test_evidence_correction_through_the_api_supersedes_the_earlier_version(world, api_as):
    officer = api_as("officer")
    first = officer.post(
        "/api/v1/evidence/",
        {
            "management_system": world.acme.pk,
            "title": "v1",
            "evidence_date": "2026-01-20",
            "url": "https://example.org/v1",
        },
        format="json",
    ).json()
    second = officer.post(
        "/api/v1/evidence/",
        {
            "management_system": world.acme.pk,
            "title": "v2",
            "evidence_date": "2026-02-20",
            "url": "https://example.org/v2",
            "supersedes": first["id"],
        },
        format="json",
    )
    assert second.status_code == 201, second.content
    assert api_as("auditor").get(f"/api/v1/evidence/{first['id']}/").json()["superseded"] is True
