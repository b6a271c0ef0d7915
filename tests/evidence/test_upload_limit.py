"""The size limit stops an upload while it arrives, with CSRF still enforced on the form."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from aims.services import api_token_create
from evidence.demo import samples
from evidence.models import Evidence
from evidence.upload import EvidenceSizeLimitHandler
from tests.evidence.test_uploads import stored_files

pytestmark = pytest.mark.django_db
LIMIT = 4096


@pytest.fixture
def csrf_client(client_as, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = LIMIT
    return client_as("officer", csrf=True)


def _post(client, url, upload, *, with_token=True):
    client.get(url)
    data = {"title": "Model card", "evidence_date": "2026-01-31", "file": upload}
    if with_token:
        data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    return client.post(url, data)


def test_oversize_upload_is_stopped_by_the_handler_and_nothing_is_kept(world, csrf_client, monkeypatch):
    chunks = []
    original = EvidenceSizeLimitHandler.receive_data_chunk
    monkeypatch.setattr(
        EvidenceSizeLimitHandler,
        "receive_data_chunk",
        lambda self, data, start: chunks.append(start) or original(self, data, start),
    )
    big = SimpleUploadedFile("big.pdf", samples.pdf_bytes() + b"0" * (LIMIT * 50))
    response = _post(csrf_client, reverse("evidence:create", args=[world.acme.pk]), big)
    page = response.content.decode()
    assert response.status_code == 400
    assert "The file is larger than the limit: the limit is" in page
    assert "Upload a file or give a link." not in page
    assert 'value="Model card"' in page  # the rest of the form is kept
    assert not Evidence.objects.exists() and stored_files() == []
    assert max(chunks) <= LIMIT  # it stopped at the limit instead of reading the whole file


def test_upload_within_the_limit_still_passes_the_csrf_check(world, csrf_client):
    small = SimpleUploadedFile("card.json", b'{"model": "triage", "version": 3}')
    response = _post(csrf_client, reverse("evidence:create", args=[world.acme.pk]), small)
    assert response.status_code == 302
    assert Evidence.objects.get().original_name == "card.json"


def test_upload_without_the_csrf_token_is_refused(world, csrf_client):
    small = SimpleUploadedFile("card.json", b"{}")
    response = _post(csrf_client, reverse("evidence:create", args=[world.acme.pk]), small, with_token=False)
    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_api_upload_over_the_limit_is_refused_with_the_reason(world, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = LIMIT
    _, raw = api_token_create(user=world.officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    big = SimpleUploadedFile("big.pdf", samples.pdf_bytes() + b"0" * (LIMIT * 50))
    payload = {"management_system": world.acme.pk, "title": "Big", "evidence_date": "2026-01-31", "file": big}
    response = client.post("/api/v1/evidence/", payload, format="multipart")
    assert response.status_code == 400
    assert "larger than the limit" in str(response.json()["file"])
    assert not Evidence.objects.exists() and stored_files() == []
