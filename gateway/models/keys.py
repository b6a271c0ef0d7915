"""Gateway keys and model routes: the register side of the governed AI gateway.

A **gateway key** lets one AI system call the gateway (``Authorization: Bearer <key>``). It is
shown once; the database keeps a lookup prefix and the SHA-256 of the whole key, so a copy of
the database authenticates nobody. A key expires, and is revoked at once with a reason; neither
a revoked nor an expired key ever authenticates again. Keys are never deleted: the gateway's
events name them.

A **model route** says where the calls for a model record go: an OpenAI-compatible base URL,
the upstream model name, timeouts, and the *name* of the environment variable holding the
upstream credential (the credential itself is never stored).
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

from aims.models import RegisterModel

__all__ = ["ENV_VAR_NAME", "GatewayKey", "ModelRoute", "validate_env_var_name"]

# A conventional environment variable name: upper case letters, digits and underscores.
ENV_VAR_NAME = re.compile(r"[A-Z][A-Z0-9_]{1,99}")


def validate_env_var_name(value: str) -> None:
    """Refuse anything but an environment variable name (a pasted credential, above all)."""
    if not ENV_VAR_NAME.fullmatch(value or ""):
        raise ValidationError(
            "Give the name of the environment variable that holds the credential (e.g. OPENAI_API_KEY), "
            "never the credential itself: capital letters, digits and underscores.",
            code="env_var_name",
        )


class GatewayKey(RegisterModel):
    """A bearer key through which one AI system calls the gateway; stored hashed, expiring, revocable."""

    reference_prefix = "GWK"
    editable_fields = ("name",)

    ai_system = models.ForeignKey(
        "registers.AISystem", on_delete=models.PROTECT, related_name="gateway_keys", verbose_name="AI system"
    )
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. 'Triage service, production'.")
    prefix = models.CharField(
        max_length=20, unique=True, editable=False, help_text="The key's first characters, to find and recognise it."
    )
    digest = models.CharField("SHA-256 of the key", max_length=64, editable=False)
    expires_at = models.DateTimeField("expires", editable=False, help_text="The key stops working at this moment.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_reason = models.CharField("reason for revoking", max_length=300, blank=True, editable=False)
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)

    class Meta(RegisterModel.Meta):
        verbose_name = "gateway key"
        ordering = ["-created_at", "-pk"]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def state(self) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired else "active"

    def clean(self) -> None:
        super().clean()
        if self.ai_system_id and self.ai_system.management_system_id != self.management_system_id:
            raise ValidationError({"ai_system": "The AI system belongs to another management system."})


class ModelRoute(RegisterModel):
    """Where the gateway sends the calls for one model record: upstream URL, model, timeouts, credential name."""

    reference_prefix = "RTE"
    editable_fields = (
        "base_url", "upstream_model", "credential_env", "connect_timeout", "read_timeout", "enabled",
    )  # fmt: skip

    model_record = models.OneToOneField(
        "registers.ModelRecord", on_delete=models.PROTECT, related_name="route", verbose_name="model record"
    )
    base_url = models.CharField(
        "upstream base URL",
        max_length=300,
        help_text="An OpenAI-compatible API, e.g. https://api.openai.com/v1 (http or https).",
    )
    upstream_model = models.CharField(
        "upstream model name", max_length=200, help_text="The model name the upstream expects, e.g. gpt-4o-mini."
    )
    credential_env = models.CharField(
        "credential variable",
        max_length=100,
        blank=True,
        validators=[validate_env_var_name],
        help_text="The NAME of the environment variable holding the upstream API key, e.g. OPENAI_API_KEY; "
        "empty if the upstream needs none. Never the key itself.",
    )
    connect_timeout = models.DecimalField(
        "connect timeout (s)",
        max_digits=5,
        decimal_places=1,
        default=5,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(120))],
    )
    read_timeout = models.DecimalField(
        "read timeout (s)",
        max_digits=5,
        decimal_places=1,
        default=60,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(600))],
    )
    enabled = models.BooleanField(default=True, help_text="Calls to a disabled route are refused.")

    class Meta(RegisterModel.Meta):
        verbose_name = "model route"

    def __str__(self) -> str:
        return f"{self.reference} {self.upstream_model}".strip()

    def clean(self) -> None:
        super().clean()
        if self.model_record_id and self.model_record.management_system_id != self.management_system_id:
            raise ValidationError({"model_record": "The model record belongs to another management system."})
        if self.base_url:
            try:
                URLValidator(schemes=["http", "https"])(self.base_url)
            except ValidationError:
                raise ValidationError(
                    {"base_url": "Enter an http:// or https:// URL of an OpenAI-compatible API."}
                ) from None
            if "@" in urlsplit(self.base_url).netloc:
                raise ValidationError({"base_url": "Put no credential in the URL: name its variable instead."})
