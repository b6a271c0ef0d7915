"""The gateway's event ledger: one append-only hash chain of events per AI system, and the bodies kept beside it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aims.models import AppendOnlyError, ManagementSystem

__all__ = ["GatewayBody", "GatewayEvent"]


class GatewayEventQuerySet(models.QuerySet):
    """Events are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError("Gateway events are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Gateway events are append-only: they cannot be deleted.")


class GatewayEvent(models.Model):
    """One thing the gateway did for an AI system, chained to the event before it (``gateway.ledger`` writes it).

    The chain holds digests only: the redacted request and the response are ``GatewayBody`` rows
    found by ``request_sha256`` and ``response_sha256``, and ``entity_counts`` holds the types of
    personal data found and how many of each, never their values.
    """

    class Type(models.TextChoices):
        CALL = "call", "Call"
        CALL_COMPLETED = "call_completed", "Call completed"
        REFUSAL = "refusal", "Refusal"
        REDACTION_SUMMARY = "redaction_summary", "Redaction summary"
        ACTION_PROPOSED = "action_proposed", "Action proposed"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        PERFORMED = "performed", "Performed"
        FAILED = "failed", "Failed"
        KEY_CREATED = "key_created", "Key created"
        KEY_REVOKED = "key_revoked", "Key revoked"
        POLICY_APPROVED = "policy_approved", "Policy approved"

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="gateway_events")
    ai_system = models.ForeignKey("registers.AISystem", on_delete=models.PROTECT, related_name="gateway_events")
    sequence = models.PositiveBigIntegerField(help_text="Position in the AI system's chain, from 1.")
    occurred_at = models.DateTimeField()
    type = models.CharField(max_length=30, choices=Type.choices)
    refers_to_sequence = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The event of the same chain this one completes or answers (a call, a proposal).",
    )
    key_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="The gateway API key used, if any.")
    model_requested = models.CharField(max_length=200, blank=True)
    model_served = models.CharField(max_length=200, blank=True)
    decision = models.CharField(max_length=40, blank=True)
    policy_version = models.CharField(max_length=80, blank=True, help_text="The policy decided by, e.g. policy@3.")
    entity_counts = models.JSONField(default=dict, blank=True, help_text="Personal data found: {type: count}.")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="gateway_approvals"
    )
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    tool = models.CharField(max_length=100, blank=True, help_text="The tool of an action or of a model's tool call.")
    connector = models.CharField(max_length=100, blank=True, help_text="The connector an action goes through.")
    subject = models.CharField(
        max_length=30,
        blank=True,
        help_text="The register record the event concerns: an action, key or policy reference.",
    )
    detail = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why, in words (a refusal's reason, an approver's comment): never personal data.",
    )
    request_sha256 = models.CharField(max_length=64, blank=True)
    response_sha256 = models.CharField(max_length=64, blank=True)
    previous_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    objects = GatewayEventQuerySet.as_manager()

    class Meta:
        ordering = ["ai_system", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["ai_system", "sequence"], name="gateway_event_unique_sequence"),
        ]
        indexes = [
            models.Index(fields=["management_system", "ai_system", "sequence"], name="gateway_event_ms_chain"),
            # The event log's time filters, and each system's figures per period (evidence, the Gateway tab).
            models.Index(fields=["management_system", "occurred_at"], name="gateway_event_ms_time"),
            models.Index(fields=["ai_system", "occurred_at"], name="gateway_event_system_time"),
        ]

    def __str__(self) -> str:
        return f"Gateway event #{self.sequence} ({self.type}, AI system {self.ai_system_id})"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Gateway events are append-only: they cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Gateway events are append-only: they cannot be deleted.")


class GatewayBody(models.Model):
    """A redacted request or a response, found by its SHA-256; deleted when its retention ends or on erasure."""

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="gateway_bodies")
    sha256 = models.CharField(max_length=64)
    content = models.TextField()
    created_at = models.DateTimeField()
    retain_until = models.DateTimeField(null=True, blank=True, help_text="Purged after this moment; empty keeps it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["management_system", "sha256"], name="gateway_body_unique_digest"),
        ]
        indexes = [models.Index(fields=["retain_until"], name="gateway_body_retain_until")]

    def __str__(self) -> str:
        return f"Gateway body {self.sha256[:12]}…"
