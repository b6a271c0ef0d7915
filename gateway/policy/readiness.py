"""What the gateway policy contributes to the readiness checks (``aims.readiness``).

AI systems that hold gateway keys call the gateway, and the gateway refuses every call while no
policy is approved: the responsible use of those systems (A.9.2) is then not governed by an
approved policy, and their event log (A.6.2.8) records refusals only.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from aims.readiness import STAGE2_RISK, Finding, ReadinessContext, register_readiness_check
from gateway.models import GatewayKey, PolicyVersion

CHECK_ID = "gateway-policy-approved"


def check_policy_approved(ctx: ReadinessContext) -> list[Finding]:
    """Fail when AI systems hold active gateway keys but no gateway policy is approved."""
    if PolicyVersion.objects.filter(management_system_id=ctx.ms_id, status=PolicyVersion.Status.APPROVED).exists():
        return []
    keyed = (
        GatewayKey.objects.filter(
            management_system_id=ctx.ms_id, revoked_at__isnull=True, expires_at__gt=ctx.now or timezone.now(),
            ai_system__retired_at__isnull=True,
        )
        .values_list("ai_system__reference", "ai_system__name")
        .distinct()
        .order_by("ai_system__reference")
    )  # fmt: skip
    systems = [f"{reference} {name}" for reference, name in keyed]
    if not systems:
        return []
    return [
        Finding(
            f"{', '.join(systems)} {'holds' if len(systems) == 1 else 'hold'} gateway keys but no gateway policy is "
            "approved: the gateway refuses their calls. Draft the policy and have it approved.",
            reverse("gateway:policy_list", args=[ctx.ms_id]),
        )
    ]


def register() -> None:
    register_readiness_check(
        CHECK_ID,
        clause="A.9.2",
        title="AI systems that call the gateway are governed by an approved gateway policy",
        severity=STAGE2_RISK,
        check=check_policy_approved,
        fix_url=lambda ms_id: reverse("gateway:policy_list", args=[ms_id]),
        order=9092,
    )
