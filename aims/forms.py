"""Forms for the management system itself and its members."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from aims.limits import TextLimitsFormMixin, cap_text_fields
from aims.models import ManagementSystem, Membership, Role

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def user_label(user: AbstractBaseUser) -> str:
    """How a user is named in pickers: full name and username, or the username alone."""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs) -> None:
        super().__init__(format=DATETIME_LOCAL, **kwargs)


def _expiry_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label="Access ends",
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Auditors' access should end when the audit does.",
    )


class VersionedFormMixin(forms.Form):
    """The version the user read (optimistic concurrency) and why they changed it; free text has the shared limit."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    change_reason = forms.CharField(
        label="Change reason",
        max_length=100,
        required=False,
    )

    default_reason = "Updated via the web"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_default_reason(self.default_reason)
        cap_text_fields(self.fields)

    def set_default_reason(self, reason: str) -> None:
        """Use this reason when the user gives none, and say so next to the field."""
        self.default_reason = reason
        self.fields["change_reason"].help_text = f"Recorded in the history. Leave empty for “{reason}”."

    def reason(self) -> str:
        return self.cleaned_data.get("change_reason") or self.default_reason


class ManagementSystemForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = ManagementSystem
        fields = ["name", "scope_statement", "status"]
        widgets = {"scope_statement": forms.Textarea(attrs={"rows": 8})}


class ManagementSystemCreateForm(TextLimitsFormMixin, forms.ModelForm):
    class Meta:
        model = ManagementSystem
        fields = ["organisation", "name", "scope_statement"]
        widgets = {"scope_statement": forms.Textarea(attrs={"rows": 6})}


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text="A one-time link is sent there. The person accepts it with an account registered to this address.",
    )
    role = forms.ChoiceField(choices=[("", "Choose a role…"), *Role.choices])
    access_ends_at = _expiry_field()


class MemberChangeForm(forms.ModelForm):
    expires_at = _expiry_field()

    class Meta:
        model = Membership
        fields = ["role", "expires_at"]


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError next to the form's fields, or at the top for the rest."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ConfirmDeleteForm(VersionedFormMixin):
    """Confirms a deletion of the version the user saw, with an optional reason."""

    default_reason = "Deleted via the web"


class RetireForm(forms.Form):
    """Retire or withdraw the version the user saw, with the reason (required: it is the record's closing note)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it is closed, e.g. “Decommissioned after the 2026 review”. Kept in its history.",
    )


class SignOffForm(forms.Form):
    """One sign-off of any kind: the version the signer read, their statement, confirmation and second factor.

    ``override`` adds the four-eyes override: the signer made the last change to what they sign
    and must say why they sign it themselves.
    """

    signed_version = forms.CharField(widget=forms.HiddenInput, max_length=64)
    statement = forms.CharField(
        label="Statement and rationale",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What you are signing, in your words. It is stored with your signature.",
    )
    confirmed = forms.BooleanField(
        label="I have reviewed the version shown and sign it as it stands.",
        required=True,
        error_messages={"required": "Tick the box to confirm you sign the version shown."},
    )
    override_reason = forms.CharField(
        label="Why you sign your own change",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text="You made the last change to what you are signing. A second person should sign it; if you sign "
        "it yourself, say why. The reason is shown with the sign-off.",
    )
    job_title = forms.CharField(
        label="Your job title",
        max_length=120,
        help_text="Recorded with your signature, so that a reader knows in what capacity you signed. "
        "Asked once: your later signatures use it.",
    )
    second_factor = forms.CharField(
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(
        self,
        *args,
        step_up_label: str = "Code from your authenticator app",
        override: bool = False,
        ask_job_title: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if not ask_job_title:
            del self.fields["job_title"]
        self.fields["second_factor"].label = step_up_label
        self.fields["second_factor"].help_text = "Asked at every signature, so that it binds you, now."
        if not override:
            del self.fields["override_reason"]
