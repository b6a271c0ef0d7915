"""External actions: the connectors an AI system may act through, and each action it proposed.

A **connector** is a named internal HTTP endpoint (``patient-messaging``): its URL, method, the
*name* of the environment variable holding its credential (never the credential), the tools it
accepts and a timeout. The gateway is the only way an AI system reaches it. Connectors are
retired, never deleted: actions name them.

A **gateway action** is one call of a tool through a connector that an AI system proposed at
``POST /gateway/v1/actions``. The policy in force decided it: allowed (performed at once),
blocked (denied), or waiting for a member of the role the policy names (pending). An approval
is bound to the call: the SHA-256 of the canonical arguments, the policy version and an expiry;
it is used once, when the AI system submits the same call again naming the approval.

``expires_at`` is the deadline of the state the action is in: while pending, the end of the
approval window; once approved, the moment the approval can no longer be used.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone

from aims.models import RegisterModel, RetirableModel
from gateway.models.keys import validate_env_var_name

__all__ = ["TOOL_NAME", "Connector", "GatewayAction"]

# A tool's name as OpenAI's function calling spells it.
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def validate_tools(value: object) -> None:
    """A list of distinct tool names."""
    if not isinstance(value, list) or not all(isinstance(tool, str) and TOOL_NAME.fullmatch(tool) for tool in value):
        raise ValidationError(
            "List the tools by name: letters, digits, '_' and '-', at most 64 characters each.", code="tools"
        )
    if len(set(value)) != len(value):
        raise ValidationError("Name each tool once.", code="tools")


class Connector(RetirableModel):
    """A named internal HTTP endpoint that the gateway calls for the AI systems' actions."""

    reference_prefix = "CON"
    editable_fields = ("name", "description", "url", "method", "credential_env", "allowed_tools", "timeout", "enabled")

    class Method(models.TextChoices):
        POST = "POST", "POST"
        PUT = "PUT", "PUT"
        PATCH = "PATCH", "PATCH"
        GET = "GET", "GET"

    name = models.SlugField(
        max_length=100, help_text="How AI systems name it in their actions, e.g. patient-messaging."
    )
    description = models.CharField(max_length=300, blank=True, help_text="What the endpoint does, for whom.")
    url = models.CharField(
        "URL", max_length=300, help_text="The internal endpoint, e.g. https://messaging.internal/send (http or https)."
    )
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.POST)
    credential_env = models.CharField(
        "credential variable",
        max_length=100,
        blank=True,
        validators=[validate_env_var_name],
        help_text="The NAME of the environment variable holding the endpoint's bearer token, e.g. MESSAGING_TOKEN; "
        "empty if it needs none. Never the token itself.",
    )
    allowed_tools = models.JSONField(
        "allowed tools",
        default=list,
        blank=True,
        validators=[validate_tools],
        help_text="The tools the connector performs, e.g. send_patient_message; any other is refused.",
    )
    timeout = models.DecimalField(
        "timeout (s)",
        max_digits=5,
        decimal_places=1,
        default=10,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(120))],
    )
    enabled = models.BooleanField(default=True, help_text="Actions through a disabled connector are refused.")

    class Meta(RetirableModel.Meta):
        verbose_name = "gateway connector"
        ordering = ["name", "pk"]
        constraints = [
            *RetirableModel.Meta.constraints,
            models.UniqueConstraint(fields=["management_system", "name"], name="gateway_connector_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}".strip()

    def allows(self, tool: str) -> bool:
        return tool in (self.allowed_tools or [])

    def clean(self) -> None:
        super().clean()
        if self.url:
            try:
                URLValidator(schemes=["http", "https"])(self.url)
            except ValidationError:
                raise ValidationError({"url": "Enter an http:// or https:// URL."}) from None
            if "@" in urlsplit(self.url).netloc:
                raise ValidationError({"url": "Put no credential in the URL: name its variable instead."})


class GatewayAction(RegisterModel):
    """One action an AI system proposed through the gateway, the policy's decision and a person's, and its outcome."""

    reference_prefix = "GWA"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        PERFORMED = "performed", "Performed"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    ai_system = models.ForeignKey(
        "registers.AISystem", on_delete=models.PROTECT, related_name="gateway_actions", verbose_name="AI system"
    )
    key = models.ForeignKey(
        "gateway.GatewayKey", on_delete=models.PROTECT, null=True, blank=True, related_name="actions", editable=False
    )
    tool = models.CharField(max_length=100)
    connector = models.ForeignKey(Connector, on_delete=models.PROTECT, related_name="actions")
    arguments = models.JSONField(help_text="The tool's arguments, as the AI system sent them.")
    arguments_sha256 = models.CharField("SHA-256 of the arguments", max_length=64, help_text="Of their canonical JSON.")
    entity_counts = models.JSONField(
        "personal data found", default=dict, blank=True, help_text="Types of personal data in the arguments: counts."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    decision = models.CharField(max_length=20, help_text="The policy's outcome: allow, block or require_approval.")
    policy_version = models.CharField(max_length=80, help_text="The policy version that decided, e.g. policy@3.")
    policy_rule = models.CharField(max_length=400, blank=True, help_text="The rule that decided, in words.")
    approver_role = models.CharField(max_length=20, blank=True, help_text="The member role that decides.")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(max_length=500, blank=True, help_text="The approver's comment, or why it was refused.")
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Pending: end of the approval window. Approved: the approval's use-by time."
    )
    used_at = models.DateTimeField(null=True, blank=True, help_text="When the approval was used (once).")
    result = models.JSONField(null=True, blank=True, help_text="What the connector answered (size-limited).")
    error = models.CharField(max_length=500, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    proposed_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    decided_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    outcome_sequence = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta(RegisterModel.Meta):
        verbose_name = "gateway action"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["management_system", "state"], name="gateway_action_ms_state")]

    def __str__(self) -> str:
        return f"{self.reference} {self.tool}".strip()

    @property
    def is_past_deadline(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def effective_state(self) -> str:
        """The state as it stands now: a pending action or an unused approval past its deadline has expired."""
        if self.state == self.State.PENDING and self.is_past_deadline:
            return self.State.EXPIRED
        if self.state == self.State.APPROVED and self.used_at is None and self.is_past_deadline:
            return self.State.EXPIRED
        return self.state

    def get_effective_state_display(self) -> str:
        return self.State(self.effective_state).label
