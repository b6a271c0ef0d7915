"""The job queue is down when a pack is requested: the request is kept, marked "not queued"
at once, the answer is a clear 503 (page and API), and a retry queues it as soon as the
queue is back. The broker is really unreachable (tests/broker.py), not mocked."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from packs.models import AuditPack
from tests.packs.helpers import make_pack

# The pack is marked as soon as its transaction commits, before the answer is written:
# only a real commit (not a test's rolled-back transaction) shows that.
pytestmark = pytest.mark.django_db(transaction=True)
FAST = 10  # seconds: a request must not hang on a dead broker


def _packs_url(world) -> str:
    return reverse("packs:list", args=[world.acme.pk])


def test_page_request_while_the_queue_is_down_keeps_the_pack_and_answers_503_with_a_retry(
    world, client_as, broker_down
):
    started = time.monotonic()
    response = client_as("auditor").post(_packs_url(world), {"kind": "stage1"})
    assert time.monotonic() - started < FAST
    assert response.status_code == 503
    pack = AuditPack.objects.get()
    assert pack.status == AuditPack.Status.NOT_QUEUED and pack.kind == "stage1"
    page = response.content.decode()
    assert f"The job queue is unreachable, so pack #{pack.pk} was not queued. Nothing is lost" in page
    assert "Not queued" in page and reverse("packs:retry", args=[world.acme.pk, pack.pk]) in page
    latest = pack.history.latest("history_id")
    assert latest.history_user == world.auditor and latest.history_change_reason.startswith("Not queued")


def test_api_request_while_the_queue_is_down_answers_503_json_with_the_retry_url(world, api_as, broker_down):
    response = api_as("officer").post(
        "/api/v1/audit-packs/", {"management_system": world.acme.pk, "kind": "full"}, format="json"
    )
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    body = response.json()
    pack = AuditPack.objects.get()
    assert body["code"] == "queue_unavailable" and "Nothing is lost" in body["detail"]
    assert body["pack"]["id"] == pack.pk and body["pack"]["status"] == "not_queued"
    assert body["retry_url"].endswith(f"/api/v1/audit-packs/{pack.pk}/retry/")
    assert response["Retry-After"] and response["Location"].endswith(f"/api/v1/audit-packs/{pack.pk}/")


def test_retry_while_the_queue_is_still_down_answers_503_again_and_when_back_queues_it(
    world, client_as, api_as, broker_down, settings
):
    pack = make_pack(world)
    AuditPack.objects.filter(pk=pack.pk).update(status=AuditPack.Status.NOT_QUEUED)
    retry = reverse("packs:retry", args=[world.acme.pk, pack.pk])
    assert client_as("auditor").post(retry).status_code == 503
    assert api_as("auditor").post(f"/api/v1/audit-packs/{pack.pk}/retry/").status_code == 503
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.NOT_QUEUED

    broker_down()  # the queue is back (a private queue no worker reads: only sending is tested here)
    settings.AIMS_PACK_QUEUE = f"aims-test-unread-{pack.pk}-{time.monotonic_ns()}"
    response = api_as("auditor").post(f"/api/v1/audit-packs/{pack.pk}/retry/")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.QUEUED and pack.failure_reason == ""


def test_a_pack_rendering_normally_cannot_be_retried_through_the_api(world, api_as):
    pack = make_pack(world)
    response = api_as("auditor").post(f"/api/v1/audit-packs/{pack.pk}/retry/")
    assert response.status_code == 400
    pack.refresh_from_db()
    assert pack.status == AuditPack.Status.QUEUED and pack.history.count() == 1


def test_outsider_cannot_retry_someone_elses_pack(world, api_as):
    pack = make_pack(world)
    AuditPack.objects.filter(pk=pack.pk).update(status=AuditPack.Status.NOT_QUEUED)
    assert api_as("outsider").post(f"/api/v1/audit-packs/{pack.pk}/retry/").status_code == 404
    assert api_as("contributor").post(f"/api/v1/audit-packs/{pack.pk}/retry/").status_code == 403
