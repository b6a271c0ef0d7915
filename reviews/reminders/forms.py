"""Form of the reminders family: a member's own choice to receive the digest."""

from __future__ import annotations

from django import forms


class ReminderPreferenceForm(forms.Form):
    email_digest = forms.BooleanField(
        label="E-mail me a daily digest of what becomes due or overdue",
        required=False,
        help_text="One e-mail a day at most, for all your management systems; each item is reminded once when it "
        "becomes due and once more if it becomes overdue.",
    )
