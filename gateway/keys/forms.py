"""Forms of gateway keys and model routes; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.forms import RetireForm
from gateway.keys.services import DEFAULT_DAYS, MAX_DAYS
from gateway.models import ModelRoute
from registers.forms import RegisterForm


class KeyCreateForm(forms.Form):
    """A new key: what it is for and how long it works."""

    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. 'Triage service, production'.")
    expires_in_days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=f"The key stops working after this many days (at most {MAX_DAYS}).",
    )


class KeyRevokeForm(RetireForm):
    """Revoke the version the user saw, with the reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = "Why the key stops working, e.g. “Leaked in a log file”. Kept in its history."


class RouteForm(RegisterForm):
    """Where a model record's calls go: upstream URL and model, credential variable, timeouts."""

    class Meta:
        model = ModelRoute
        fields = ModelRoute.editable_fields
        widgets = {"base_url": forms.URLInput(attrs={"placeholder": "https://api.openai.com/v1"})}
