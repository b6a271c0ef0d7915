"""A gateway policy in force for tests (written straight to the database; the policy family's services sign it)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from aims.services import register_create
from gateway.models import PolicyRule, PolicyVersion


def policy_in_force(
    ms: Any, user: Any = None, *, rules: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (), **fields: Any
) -> PolicyVersion:
    """An approved policy version (superseding the one in force) with ``rules`` in order."""
    for old in PolicyVersion.objects.filter(management_system=ms, status=PolicyVersion.Status.APPROVED):
        old.status = PolicyVersion.Status.SUPERSEDED
        old.save(update_fields=["status"])
    number = PolicyVersion.objects.filter(management_system=ms).count() + 1
    fields = {
        "entity_actions": {
            "EMAIL_ADDRESS": "mask",
            "PHONE_NUMBER": "mask",
            "NHS_NUMBER": "mask",
            "CREDIT_CARD": "block",
        },
        "require_impact_assessment": False,
        **fields,
    }
    version = register_create(
        PolicyVersion, management_system=ms, user=user, reason="Test policy", number=number,
        status=PolicyVersion.Status.APPROVED, approved_at=timezone.now(), approved_by=user, **fields,
    )  # fmt: skip
    for order, rule in enumerate(map(dict, rules), start=1):
        register_create(PolicyRule, management_system=ms, user=user, reason="Test rule", policy=version,
                        order=rule.pop("order", order * 10), **rule)  # fmt: skip
    return version
