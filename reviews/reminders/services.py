"""Writes of the reminders family: the daily digest e-mail and a member's choice to receive it.

Each item of "my work" (``aims.work``) is reminded to a member once when it becomes due and once
when it becomes overdue, whatever the number of runs: what was sent is logged in ``ReminderSent``
(unique per member, management system, item key and state) and never sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from aims.models import ManagementSystem
from aims.work import WorkItem, work_for
from reviews.models import ReminderPreference, ReminderSent
from reviews.reminders import selectors

logger = logging.getLogger(__name__)

REMINDED_STATES = (ReminderSent.State.DUE, ReminderSent.State.OVERDUE)


@dataclass
class ReminderSummary:
    """What one run did: the members e-mailed, the members whose e-mail failed (retried next run), the items."""

    sent: list[int] = field(default_factory=list)  # user ids
    failed: list[int] = field(default_factory=list)  # user ids
    items: int = 0

    def as_dict(self) -> dict[str, list[int] | int]:
        return {"sent": self.sent, "failed": self.failed, "items": self.items}


@dataclass(frozen=True)
class Reminder:
    """One line of a digest: a work item in the state it is reminded in, with its absolute link."""

    item: WorkItem
    state: str
    link: str


@dataclass
class DigestSection:
    management_system: ManagementSystem
    reminders: list[Reminder]


def absolute_url(path: str) -> str:
    """A link members can open from their mailbox: ``AIMS_BASE_URL`` followed by the site's path."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.AIMS_BASE_URL.rstrip('/')}/{path.lstrip('/')}"


def reminders_send(*, today: date | None = None) -> ReminderSummary:
    """E-mail each member one digest of what became due or overdue for them and was not yet reminded; log it."""
    today = today or timezone.localdate()
    summary = ReminderSummary()
    for recipient in selectors.recipients():
        user = recipient.user
        try:
            digest = _digest(user, recipient.management_systems, today)
            if digest:
                _send_and_log(user, digest, today)
                summary.sent.append(user.pk)
                summary.items += sum(len(section.reminders) for section in digest)
        except Exception:  # one member's failure (mail server, a provider) must not keep the others' reminders
            logger.exception("Reminders to user %s were not sent; they will be tried again on the next run", user.pk)
            summary.failed.append(user.pk)
    return summary


def _digest(user: AbstractBaseUser, systems: list[ManagementSystem], today: date) -> list[DigestSection]:
    """The sections of the member's digest: per management system, the due or overdue items not yet reminded."""
    candidates: list[tuple[ManagementSystem, dict[tuple[str, str], Reminder]]] = []
    for ms in systems:
        found: dict[tuple[str, str], Reminder] = {}
        for item in work_for(user, ms, today):
            state = item.state(today)
            if state in REMINDED_STATES:
                found.setdefault((item.key, state), Reminder(item, state, absolute_url(item.url)))
        if found:
            candidates.append((ms, found))
    if not candidates:
        return []
    already = selectors.sent_keys(user, (key for _ms, found in candidates for key, _state in found))
    digest = []
    for ms, found in candidates:
        fresh = [r for (key, state), r in found.items() if (ms.pk, key, state) not in already]
        if fresh:
            digest.append(DigestSection(ms, fresh))
    return digest


def _send_and_log(user: AbstractBaseUser, digest: list[DigestSection], today: date) -> None:
    """Hand the digest to the mail backend, then log its items in the same transaction.

    A mail sent but not logged (the database failing just after) is sent again on the next run:
    a reminder twice is better than none.
    """
    message = _message(user, digest, today)
    now = timezone.now()
    rows = [
        ReminderSent(
            user=user,
            management_system=section.management_system,
            key=reminder.item.key,
            state=reminder.state,
            title=reminder.item.title[:300],
            due=reminder.item.due,
            sent_at=now,
        )
        for section in digest
        for reminder in section.reminders
    ]
    with transaction.atomic():
        if not message.send():
            raise OSError("The mail backend did not take the message.")
        # A concurrent run (two beats by mistake) may have logged the same item: keep the first row.
        ReminderSent.objects.bulk_create(rows, ignore_conflicts=True)


def _message(user: AbstractBaseUser, digest: list[DigestSection], today: date) -> EmailMultiAlternatives:
    context = {
        "user": user,
        "name": user.get_full_name() or user.get_username(),
        "digest": digest,
        "count": sum(len(section.reminders) for section in digest),
        "today": today,
        "settings_link": absolute_url(reverse("reviews:reminders", args=[digest[0].management_system.pk])),
    }
    subject = " ".join(render_to_string("reviews/reminders/email/digest_subject.txt", context).split())
    body = render_to_string("reviews/reminders/email/digest_body.txt", context)
    message = EmailMultiAlternatives(subject, body, None, [user.email])
    message.attach_alternative(render_to_string("reviews/reminders/email/digest_body.html", context), "text/html")
    return message


def reminder_preference_set(*, user: AbstractBaseUser, email_digest: bool) -> ReminderPreference:
    """Turn the user's own reminder digest on or off."""
    preference, _created = ReminderPreference.objects.update_or_create(
        user=user, defaults={"email_digest": email_digest}
    )
    return preference
