"""Health endpoints for the load balancer: live without touching anything, ready when the
database, the broker and the file storage all work; no login, and no detail of a failure."""

from __future__ import annotations

import pytest
from django.test import Client

LIVE, READY = "/health/live", "/health/ready"


@pytest.mark.django_db
def test_live_answers_without_login_or_any_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get(LIVE)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_checks_database_broker_and_storage_without_login(settings, tmp_path):
    response = Client().get(READY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert list((tmp_path / "media").rglob("*.txt")) == [], "the storage probe must delete its file"


@pytest.mark.django_db
def test_ready_answers_503_naming_the_broker_when_the_queue_is_down_and_tells_no_more(broker_down):
    response = Client().get(READY)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False and checks["database"]["ok"] and checks["storage"]["ok"]
    assert checks["broker"]["ms"] < 5000, "a probe must fail fast"
    body = response.content.decode()
    assert "127.0.0.1" not in body and "redis" not in body.lower() and "Error" not in body


@pytest.mark.django_db
def test_ready_answers_503_when_files_cannot_be_stored(settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": blocker}},
    }
    response = Client().get(READY)
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


@pytest.mark.django_db
def test_probes_answer_head_and_refuse_writes():
    assert Client().head(LIVE).status_code == 200
    assert Client().post(LIVE).status_code == 405


@pytest.mark.django_db
def test_probes_are_not_redirected_to_https_behind_a_tls_proxy(settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get(LIVE).status_code == 200
    assert Client().get("/login/").status_code == 301
