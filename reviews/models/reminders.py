"""Reminder e-mails: each member's choice to receive them, and the log of what was sent to whom."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from aims.models import ManagementSystem

__all__ = ["ReminderPreference", "ReminderSent"]


class ReminderPreference(models.Model):
    """A member's own choice to receive the daily digest of what became due or overdue.

    Not a register and not versioned: it is a personal setting of the account, not a record of
    the management system an auditor would ask for, and nobody else may change it. A user
    without a row receives the digest (the default).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference")
    email_digest = models.BooleanField(
        "e-mail digest",
        default=True,
        help_text="Each morning, one e-mail listing what became due or overdue for you, in every management system.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: digest {'on' if self.email_digest else 'off'}"


class ReminderSent(models.Model):
    """One item of "my work" reminded to one member in one state: sent once when due, once when overdue."""

    class State(models.TextChoices):
        DUE = "due", "Due"
        OVERDUE = "overdue", "Overdue"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders_sent")
    management_system = models.ForeignKey(ManagementSystem, on_delete=models.CASCADE, related_name="reminders_sent")
    key = models.CharField(max_length=255, help_text="The work item's stable key (aims.work.WorkItem.key).")
    state = models.CharField(max_length=10, choices=State.choices)
    title = models.CharField(max_length=300, blank=True, help_text="What the e-mail said, as it said it.")
    due = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "management_system", "key", "state"], name="one_reminder_per_item_and_state"
            )
        ]
        indexes = [models.Index(fields=["user", "management_system", "-sent_at"], name="reminders_sent_latest")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state}) to {self.user}"
