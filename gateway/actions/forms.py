"""Forms of connectors and of the decision on an action; the services write."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from aims.forms import RetireForm
from gateway.actions.services import COMMENT_MAX
from gateway.models import Connector
from gateway.models.actions import validate_tools
from registers.forms import RegisterForm


class ConnectorForm(RegisterForm):
    """A connector: its name, endpoint, credential variable, the tools it performs."""

    tools = forms.CharField(
        label="Allowed tools",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One tool name per line (or separated by commas), e.g. send_patient_message.",
    )

    class Meta:
        model = Connector
        fields = tuple(name for name in Connector.editable_fields if name != "allowed_tools")
        widgets = {"url": forms.TextInput(attrs={"placeholder": "https://messaging.internal/send"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial["tools"] = "\n".join(self.instance.allowed_tools or [])
        # The tools field goes where the model lists it: after the credential variable.
        order = [*self.fields]
        order.remove("tools")
        order.insert(order.index("credential_env") + 1, "tools")
        self.order_fields(order)

    def clean_tools(self) -> list[str]:
        tools = [name for name in re.split(r"[\s,]+", self.cleaned_data.get("tools") or "") if name]
        validate_tools(tools)
        return tools

    def register_fields(self) -> dict:
        return {**super().register_fields(), "allowed_tools": self.cleaned_data["tools"]}


class ConnectorRetireForm(RetireForm):
    """Retire the version the user saw, with the reason."""


class DecisionForm(forms.Form):
    """Approve or deny a pending action, with a comment (required to deny)."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")], widget=forms.HiddenInput)
    comment = forms.CharField(
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the decision and in the gateway's log; needed to deny.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "deny" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say why the action is denied.")
        return data
