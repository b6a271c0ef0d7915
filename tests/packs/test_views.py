"""Pack pages: who may request and download, status polling, recorded downloads, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from packs import services
from packs.models import AuditPack, PackDownload
from tests.kit import assert_constant_queries, get_ok, matrix
from tests.packs.helpers import make_pack, make_ready_pack

PACK_ROLES = ["owner", "officer", "leader", "auditor"]
SEE = {**dict.fromkeys(PACK_ROLES, 200), "contributor": 403, "expired_auditor": 404, "outsider": 404}
REQUEST = {**SEE, **dict.fromkeys(PACK_ROLES, 302)}


@pytest.fixture
def ready_pack(world):
    return make_ready_pack(world)


@matrix(SEE, name="name")
def test_who_may_see_the_packs_page(world, client_as, name, expected):
    assert client_as(name).get(reverse("packs:list", args=[world.acme.pk])).status_code == expected


@matrix(REQUEST, name="name")
def test_members_allowed_to_request_a_pack_enqueue_it_after_commit_and_others_cannot(
    world, client_as, name, expected, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(services, "enqueue_render", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(name).post(reverse("packs:list", args=[world.acme.pk]), {"kind": "stage1"})
    assert response.status_code == expected
    if expected == 302:
        pack = AuditPack.objects.get()
        assert pack.requested_by == world.users[name] and pack.status == "queued" and enqueued == [pack.pk]
    else:
        assert not AuditPack.objects.exists() and enqueued == []


def test_future_as_of_date_is_refused_next_to_the_field(world, client_as):
    response = client_as("auditor").post(
        reverse("packs:list", args=[world.acme.pk]), {"kind": "full", "as_of": "2999-01-01"}
    )
    assert response.status_code == 400 and "in the future" in response.content.decode()
    assert not AuditPack.objects.exists()


@pytest.mark.parametrize("part", ["pdf", "bundle"])
def test_download_is_an_attachment_with_nosniff_and_is_recorded(world, client_as, ready_pack, part):
    response = client_as("auditor").get(reverse("packs:download", args=[world.acme.pk, ready_pack.pk, part]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body[:4] == (b"%PDF" if part == "pdf" else b"PK\x03\x04")
    record = PackDownload.objects.get()
    assert (record.user, record.pack, record.part) == (world.auditor, ready_pack, part)


@matrix(SEE, name="name")
def test_only_members_allowed_to_download_a_pack_do_and_are_recorded(world, client_as, ready_pack, name, expected):
    response = client_as(name).get(reverse("packs:download", args=[world.acme.pk, ready_pack.pk, "pdf"]))
    assert response.status_code == expected
    downloaders = list(PackDownload.objects.values_list("user__username", flat=True))
    assert downloaders == ([name] if expected == 200 else [])


def test_pack_of_another_management_system_is_not_found(world, client_as, ready_pack):
    url = reverse("packs:download", args=[world.northwind.pk, ready_pack.pk, "pdf"])
    assert client_as("outsider").get(url).status_code == 404


def test_status_endpoint_reports_progress(world, client_as):
    pack = make_pack(world)
    data = client_as("auditor").get(reverse("packs:status", args=[world.acme.pk, pack.pk])).json()
    assert data["status"] == "queued" and data["progress"] == 0 and "download_url" not in data


def test_ready_pack_shows_size_pages_digest_and_download_buttons(world, client_as, ready_pack):
    page = client_as("officer").get(reverse("packs:list", args=[world.acme.pk])).content.decode()
    assert ready_pack.sha256 in page and "Download PDF" in page and f"{ready_pack.pages}</dd>" in page


def test_packs_page_query_count_does_not_grow_with_packs(world, client_as):
    make_pack(world)
    packs_page = get_ok(client_as("auditor"), reverse("packs:list", args=[world.acme.pk]))

    def request_more_packs():
        for _ in range(5):
            make_pack(world, user=world.officer)

    assert_constant_queries(packs_page, request_more_packs)


def test_as_of_date_before_the_management_system_existed_is_refused(world, client_as):
    response = client_as("auditor").post(
        reverse("packs:list", args=[world.acme.pk]), {"kind": "full", "as_of": "2001-01-01"}
    )
    assert response.status_code == 400 and "was created on" in response.content.decode()


def test_as_of_today_is_never_later_than_now(world, client_as, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(services, "enqueue_render", lambda pack_id: None)
    today = timezone.localdate().isoformat()
    client_as("auditor").post(reverse("packs:list", args=[world.acme.pk]), {"kind": "full", "as_of": today})
    assert AuditPack.objects.get().as_of <= timezone.now()


def test_failed_pack_can_be_retried_and_is_queued_again(
    world, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(services, "enqueue_render", enqueued.append)
    pack = make_pack(world)
    services.pack_fail(pack.pk, reason="Rendering failed (OSError: disk full).")
    page = client_as("auditor").get(reverse("packs:list", args=[world.acme.pk])).content.decode()
    assert "disk full" in page and "Retry" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("auditor").post(reverse("packs:retry", args=[world.acme.pk, pack.pk]))
    assert response.status_code == 302
    pack.refresh_from_db()
    assert pack.status == "queued" and pack.failure_reason == "" and enqueued == [pack.pk]


def test_pack_still_rendering_within_the_time_limit_cannot_be_retried(world, client_as):
    pack = make_pack(world)
    client_as("auditor").post(reverse("packs:retry", args=[world.acme.pk, pack.pk]))
    pack.refresh_from_db()
    assert pack.status == "queued" and pack.history.count() == 1


def test_stuck_packs_are_requeued_by_the_command(world, settings, monkeypatch):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    monkeypatch.setattr(services, "enqueue_render", lambda pack_id: None)
    stuck = make_pack(world)
    AuditPack.objects.filter(pk=stuck.pk).update(status="rendering", started_at=timezone.now() - timedelta(hours=1))
    fresh = make_pack(world)
    call_command("requeue_stuck_packs")
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == "queued" and stuck.history.latest("history_id").history_change_reason.startswith("Requeued")
    assert fresh.history.count() == 1


def test_the_standalone_verifier_is_downloadable_and_linked_from_the_packs_page(world, client_as):
    from aims import signing
    from packs.render import VERIFIER_PATH

    response = client_as("auditor").get(reverse("pack_tools:verifier"))
    assert response.status_code == 200 and response["Content-Disposition"] == 'attachment; filename="aims-verify.py"'
    assert b"".join(response.streaming_content) == VERIFIER_PATH.read_bytes()
    html = client_as("auditor").get(reverse("packs:list", args=[world.acme.pk])).content.decode()
    assert reverse("pack_tools:verifier") in html and signing.fingerprint() in html
