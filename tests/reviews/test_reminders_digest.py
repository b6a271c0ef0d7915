"""The daily reminder digest: once per item and state, per member, through Django's mail settings."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from aims import work
from aims.work import ACTION, WorkItem
from reviews.models import ReminderSent
from reviews.reminders import services
from reviews.reminders.tasks import send_reminders

TODAY = date(2025, 3, 10)
REFUSED: set[str] = set()  # addresses the flaky backend refuses


class FlakyBackend(EmailBackend):
    """The test outbox, refusing any message to an address in REFUSED (as a mail server may)."""

    def send_messages(self, messages):
        for message in messages:
            refused = set(message.to) & REFUSED
            if refused:
                raise smtplib.SMTPRecipientsRefused({a: (550, b"No such mailbox") for a in refused})
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.AIMS_BASE_URL = "https://aims.example.org"
    REFUSED.clear()
    yield
    REFUSED.clear()


@pytest.fixture
def tasks():
    """A provider of "my work" listing, for every member of a management system, the tasks added to it."""
    saved = dict(work._PROVIDERS)
    work._PROVIDERS.clear()
    added: dict[int, list[WorkItem]] = {}
    work.register_work_provider("test_tasks", lambda user, ms, today: list(added.get(ms.pk, [])))

    def add(ms, key: str, title: str, due: date | None) -> None:
        added.setdefault(ms.pk, []).append(
            WorkItem(key=key, kind=ACTION, title=title, url=f"/ms/{ms.pk}/t/{key}/", due=due)
        )

    yield add
    work._PROVIDERS.clear()
    work._PROVIDERS.update(saved)


def inbox(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def test_an_item_is_reminded_once_when_due_and_once_more_when_overdue(world, tasks):
    tasks(world.acme, "a1", "Approve the AI policy", TODAY)
    tasks(world.acme, "a2", "Not due yet", TODAY + timedelta(days=3))
    tasks(world.acme, "a3", "No due date", None)
    services.reminders_send(today=TODAY)
    services.reminders_send(today=TODAY)  # the same day again: nothing new
    assert len(inbox(world.officer)) == 1
    body = inbox(world.officer)[0].body
    assert "Approve the AI policy" in body and "Not due yet" not in body and "No due date" not in body
    assert f"https://aims.example.org/ms/{world.acme.pk}/t/a1/" in body  # an absolute link
    assert "Approve the AI policy" in inbox(world.officer)[0].alternatives[0][0]
    mail.outbox.clear()
    services.reminders_send(today=TODAY + timedelta(days=1))  # now overdue: reminded once more
    services.reminders_send(today=TODAY + timedelta(days=2))
    assert [("OVERDUE" in m.body) for m in inbox(world.officer)] == [True]
    sent = ReminderSent.objects.filter(user=world.officer).order_by("pk")
    assert [(r.key, r.state) for r in sent] == [("a1", "due"), ("a1", "overdue")]


def test_only_active_members_who_want_it_get_their_own_systems_items(world, tasks):
    tasks(world.acme, "acme-1", "Acme review", TODAY)
    tasks(world.northwind, "nw-1", "Northwind review", TODAY)
    services.reminder_preference_set(user=world.leader, email_digest=False)
    world.contributor.email = ""
    world.contributor.save()
    summary = services.reminders_send(today=TODAY)
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {f"{n}@example.org" for n in ("owner", "officer", "auditor", "outsider")}
    assert "Northwind review" not in inbox(world.owner)[0].body and "Acme review" in inbox(world.owner)[0].body
    assert "Acme review" not in inbox(world.outsider)[0].body and "Northwind review" in inbox(world.outsider)[0].body
    assert not ReminderSent.objects.filter(user__in=[world.leader, world.expired_auditor, world.contributor]).exists()
    assert summary.items == 4 and summary.failed == []


def test_a_refused_address_does_not_stop_the_others_and_is_retried_next_run(world, tasks):
    tasks(world.acme, "a1", "Close NC-001", TODAY)
    REFUSED.add(world.officer.email)
    summary = services.reminders_send(today=TODAY)
    assert summary.failed == [world.officer.pk] and len(summary.sent) == 4
    assert not inbox(world.officer) and inbox(world.owner)
    assert not ReminderSent.objects.filter(user=world.officer).exists()
    REFUSED.clear()
    mail.outbox.clear()
    services.reminders_send(today=TODAY)
    assert [m.to for m in mail.outbox] == [[world.officer.email]]


def test_the_task_runs_the_service_and_beat_sends_it_daily(world, tasks, monkeypatch):
    from aims.celery import app

    monkeypatch.setattr(services.timezone, "localdate", lambda: TODAY)
    tasks(world.acme, "a1", "Sign the SoA", TODAY)
    assert "reviews.send_reminders" in app.tasks  # the worker knows it
    assert settings.CELERY_BEAT_SCHEDULE["send-reminders-daily"]["task"] == "reviews.send_reminders"
    result = send_reminders.apply().get()  # as a worker runs it
    assert result["items"] == 5 and result["failed"] == [] and len(mail.outbox) == 5
    assert send_reminders.apply().get()["items"] == 0
