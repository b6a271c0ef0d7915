"""Forms of the login's second step and the Account page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator


def _code_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=64,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
    )


class LoginCodeForm(forms.Form):
    """The second step of a login: the authenticator's current code, or a recovery code."""

    code = _code_field(
        "Code", "The 6-digit code your authenticator app shows now, or one of your recovery codes (each works once)."
    )
    code.widget.attrs["autofocus"] = True


class AuthenticatorSetupForm(forms.Form):
    """Confirm a new authenticator with the code it shows; when replacing one, also a code of the current one."""

    code = _code_field("Code shown by the app", "Enter the 6-digit code the app shows for this account now.")
    current_code = _code_field(
        "Code from your current authenticator",
        "You are replacing an authenticator: give its code (or a recovery code) to show it is you.",
    )

    def __init__(self, *args, replacing: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not replacing:
            del self.fields["current_code"]


class AuthenticatorRemoveForm(forms.Form):
    """Removing the authenticator asks for a current code."""

    code = _code_field("Current code", "A code from your authenticator app, or a recovery code.")


class ApiTokenForm(forms.Form):
    """A new API token: what it is for, and how long it works."""

    name = forms.CharField(
        label="What the token is for", max_length=100, help_text="e.g. “CI export” or “Risk dashboard”."
    )
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        help_text="The token stops working after this many days.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        most = settings.AIMS_API_TOKEN_MAX_DAYS
        days = self.fields["days"]
        days.validators.append(MaxValueValidator(most, f"A token lasts at most {most} days."))
        days.widget.attrs["max"] = most
        days.initial = settings.AIMS_API_TOKEN_DAYS
        days.help_text = f"The token stops working after this many days (at most {most})."
