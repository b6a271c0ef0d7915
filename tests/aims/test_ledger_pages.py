"""The ledger page: the latest background check with its time, "verify now", the chain a page at a time."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError

from aims import ledger, ledger_views, tasks
from aims.models import LedgerCheck
from controls import services
from controls.models import Applicability
from tests.controls.helpers import decide_all
from tests.kit import assert_constant_queries, get_ok, log_in

pytestmark = pytest.mark.django_db


def _approve(world, statement: str = "Approved."):
    return services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement=statement, confirmed=True
    )


def _check(world) -> LedgerCheck:
    """A check of Acme's chain, run as the worker runs it."""
    return ledger.check_run(LedgerCheck.objects.create(management_system=world.acme))


def _page(world, client):
    return client.get(reverse("ledger:verify", args=[world.acme.pk]))


@pytest.fixture
def queued(monkeypatch):
    """What "verify now" sends to the queue (the check ids), instead of a broker."""
    sent = []
    monkeypatch.setattr(tasks.verify_ledger, "delay", sent.append)
    return sent


@pytest.fixture
def no_inline_verification(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the page verified the chain inline")

    monkeypatch.setattr(ledger, "verify", refuse)
    monkeypatch.setattr(ledger, "check_chains", refuse)


def test_ledger_page_shows_the_last_check_with_its_time_and_lists_the_chain(world, client_as, no_inline_verification):
    decide_all(world.acme, world.officer)
    first, second = _approve(world, "First."), _approve(world, "Second.")
    check = LedgerCheck.objects.create(management_system=world.acme)
    check.status, check.ok, check.checked, check.signed = LedgerCheck.Status.DONE, True, 2, 2
    check.finished_at = check.requested_at
    check.save()
    response = _page(world, client_as("auditor"))
    html = response.content.decode()
    assert "Verified: the chain is intact" in html and "2 sign-offs checked" in html
    assert f'datetime="{check.finished_at:%Y-%m-%dT%H:%M:%S}' in html
    assert [s.pk for s in response.context["chain"]] == [first.pk, second.pk]
    assert first.digest[:16] in html and "genesis" in html
    assert html.count("view what was signed") == 2 and "?as_of=" in html


def test_a_check_run_by_the_worker_is_what_the_page_shows(world, client_as):
    decide_all(world.acme, world.officer)
    _approve(world)
    check = _check(world)
    assert (check.status, check.ok, check.checked, check.signed, check.first_broken) == ("done", True, 1, 1, None)
    assert check.started_at <= check.finished_at
    html = _page(world, client_as("auditor")).content.decode()
    assert "Verified: the chain is intact" in html and "1 sign-off checked" in html


def test_before_any_check_the_page_says_not_verified_yet(world, client_as, no_inline_verification):
    decide_all(world.acme, world.officer)
    _approve(world)
    html = _page(world, client_as("auditor")).content.decode()
    assert "Not verified yet." in html and "Verified: the chain is intact" not in html


def test_ledger_page_names_the_broken_sign_off_of_the_last_check(world, client_as):
    decide_all(world.acme, world.officer)
    signoff = _approve(world)
    table = Applicability.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE history_id = %s", [signoff.versions[3][1]])  # noqa: S608
    check = _check(world)
    assert check.ok is False and check.first_broken["id"] == signoff.pk
    response = _page(world, client_as("leader"))
    html = response.content.decode()
    assert f"Verification failed at sign-off #1 (id {signoff.pk}): missing history row." in html
    assert [s.is_broken for s in response.context["chain"]] == [True]


def test_verify_now_queues_one_check_and_the_task_runs_it(world, client_as, queued, django_capture_on_commit_callbacks):
    decide_all(world.acme, world.officer)
    _approve(world)
    client = client_as("auditor")
    url = reverse("ledger:verify_now", args=[world.acme.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("ledger:verify", args=[world.acme.pk])
    check = LedgerCheck.objects.get()
    assert queued == [check.pk] and check.status == "queued" and check.requested_by == world.auditor
    html = _page(world, client).content.decode()
    assert "A check is queued" in html and "Verification queued" in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)  # while one is queued, no second one
    assert queued == [check.pk] and LedgerCheck.objects.count() == 1
    assert tasks.verify_ledger(check.pk) == {"check": check.pk, "ok": True, "checked": 1}
    assert tasks.verify_ledger(check.pk)["skipped"]  # a redelivered message does not run it twice
    html = _page(world, client).content.decode()
    assert "Verified: the chain is intact" in html and "A check is" not in html


def test_verify_now_when_the_queue_is_unreachable_says_so(
    world, client_as, monkeypatch, django_capture_on_commit_callbacks
):
    def down(check_id):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.verify_ledger, "delay", down)
    client = client_as("auditor")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ledger:verify_now", args=[world.acme.pk]))
    assert LedgerCheck.objects.get().status == "failed"
    assert "could not run" in _page(world, client).content.decode()


def test_verify_now_is_a_post_with_csrf_for_those_who_may_see_the_ledger(world, client_as, queued):
    url = reverse("ledger:verify_now", args=[world.acme.pk])
    assert client_as("auditor").get(url).status_code == 405
    assert client_as("outsider").post(url).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    log_in(strict, world.auditor)
    assert strict.post(url).status_code == 403
    assert not LedgerCheck.objects.exists() and queued == []


def test_the_daily_task_checks_every_chain(world):
    decide_all(world.acme, world.officer)
    _approve(world)
    summary = tasks.verify_ledgers()
    assert world.acme.pk in summary["ok"] and summary["broken"] == []
    assert LedgerCheck.objects.get(management_system=world.acme).checked == 1
    assert settings.CELERY_BEAT_SCHEDULE["verify-ledgers-daily"]["task"] == "aims.verify_ledgers"


def test_the_chain_is_paginated(world, client_as, monkeypatch):
    monkeypatch.setattr(ledger_views, "PAGE_SIZE", 2)
    decide_all(world.acme, world.officer)
    signoffs = [_approve(world, f"Approval {n}.") for n in range(3)]
    client = client_as("auditor")
    first = _page(world, client)
    assert [s.pk for s in first.context["chain"]] == [s.pk for s in signoffs[:2]]
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(reverse("ledger:verify", args=[world.acme.pk]), {"page": 2})
    assert [s.pk for s in second.context["chain"]] == [signoffs[2].pk]


def test_ledger_page_and_sign_offs_endpoint_query_counts_do_not_grow_with_sign_offs(
    world, client_as, api_as, no_inline_verification
):
    decide_all(world.acme, world.officer)
    _approve(world)
    LedgerCheck.objects.create(management_system=world.acme, status="done", ok=True, checked=1)
    fetches = {
        "ledger page": get_ok(client_as("auditor"), reverse("ledger:verify", args=[world.acme.pk])),
        "sign-offs": get_ok(api_as("auditor"), "/api/v1/sign-offs/", {"management_system": world.acme.pk}),
    }

    def approve_again():
        for n in range(3):
            _approve(world, f"Again {n}.")
        LedgerCheck.objects.create(management_system=world.acme, status="queued")

    assert_constant_queries(fetches, approve_again)
