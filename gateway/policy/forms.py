"""Forms of the gateway policy: a draft's settings, a rule, moving a rule, the workflow steps; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from aims.forms import RetireForm
from gateway.models import EntityAction, PolicyRule, PolicyVersion
from gateway.models.policy import check_entity_type
from gateway.policy.selectors import ai_system_choices
from registers.forms import RegisterForm

KNOWN_TYPES = "EMAIL_ADDRESS, PHONE_NUMBER, NHS_NUMBER, UK_NINO, CREDIT_CARD, IBAN_CODE, IP_ADDRESS, URL"


def actions_as_text(actions: dict[str, str]) -> str:
    return "\n".join(f"{name}: {action}" for name, action in sorted((actions or {}).items()))


def parse_actions(text: str) -> dict[str, str]:
    """``EMAIL_ADDRESS: mask`` per line (``=`` works too) into {type: action}; a ValidationError names the bad line."""
    actions: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, action = line.replace("=", ":", 1).partition(":")
        name, action = name.strip().upper(), action.strip().lower()
        problem = check_entity_type(name) if sep else f"Line {number}: write TYPE: action, e.g. EMAIL_ADDRESS: mask."
        if problem:
            raise forms.ValidationError(problem if not sep else f"Line {number}: {problem}")
        if action not in EntityAction.values:
            raise forms.ValidationError(f"Line {number}: {action!r} is not one of {', '.join(EntityAction.values)}.")
        if name in actions:
            raise forms.ValidationError(f"Line {number}: {name} is named twice.")
        actions[name] = action
    return actions


class PolicySettingsForm(RegisterForm):
    """A draft's settings: what it changes, what to do with each type of personal data, the flags."""

    entity_actions = forms.CharField(
        label="Personal data actions",
        widget=forms.Textarea(attrs={"rows": 9, "spellcheck": "false"}),
        required=False,
        max_length=4000,
        help_text=f"One per line, “TYPE: action”, the action one of mask, hash, block or allow. Types the gateway "
        f"detects: {KNOWN_TYPES}.",
    )

    class Meta:
        model = PolicyVersion
        fields = PolicyVersion.editable_fields
        widgets = {"change_summary": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["entity_actions"] = actions_as_text(self.instance.entity_actions)

    def clean_entity_actions(self) -> dict[str, str]:
        return parse_actions(self.cleaned_data.get("entity_actions", ""))


class RuleForm(RegisterForm):
    """One rule: what it matches (empty matches anything) and its outcome."""

    class Meta:
        model = PolicyRule
        fields = PolicyRule.editable_fields
        help_texts = {"order": "Rules are tried from the smallest number; the first match wins."}

    def __init__(self, *args: Any, management_system: Any, **kwargs: Any) -> None:
        super().__init__(*args, management_system=management_system, **kwargs)
        self.fields["ai_system"].queryset = ai_system_choices(management_system)
        self.fields["ai_system"].empty_label = "Any AI system"
        self.fields["order"].required = False
        self.fields["entity_type"].widget.attrs["placeholder"] = "e.g. CREDIT_CARD"

    def clean_entity_type(self) -> str:
        name = (self.cleaned_data.get("entity_type") or "").strip().upper()
        problem = check_entity_type(name) if name else None
        if problem:
            raise forms.ValidationError(problem)
        return name


class StepForm(forms.Form):
    """A workflow step on the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MoveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to = forms.IntegerField(min_value=1, max_value=10_000)


class ReasonForm(RetireForm):
    """Return to draft or withdraw, with the reason."""

    def __init__(self, *args: Any, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if help_text:
            self.fields["reason"].help_text = help_text
