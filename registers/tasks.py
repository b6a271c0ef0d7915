"""Background jobs for the AI system register: load by id, call a service, nothing else.

A change applied by a task is recorded exactly like one made in the browser: the acting
user and the reason land in the history row, and a stale version changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from aims import access
from aims.services import StaleVersionError
from registers import services
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier

logger = logging.getLogger(__name__)

# JSON carries ids; these fields name a user or records of the same management system.
_LINKED_MODELS = {"model_records": ModelRecord, "dataset_records": DatasetRecord, "suppliers": Supplier}


def _resolve(changes: dict[str, Any]) -> dict[str, Any]:
    """Turn JSON ids in a change into the user and records they name."""
    fields = dict(changes)
    if fields.get("owner") is not None:
        fields["owner"] = get_user_model().objects.get(pk=fields["owner"])
    for name, model in _LINKED_MODELS.items():
        if name in fields:
            # Records of another management system are refused by the service, so look in all.
            fields[name] = list(model.objects.filter(pk__in=fields[name]))
    return fields


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, serializer="json")
def ai_system_apply_change(
    self, system_id: int, user_id: int, changes: dict[str, Any], expected_version: int | None, reason: str
) -> dict[str, Any]:
    """Apply a change to an AI system on behalf of a user, refusing a stale version."""
    system = AISystem.objects.select_related("management_system", "owner").get(pk=system_id)
    user = get_user_model().objects.get(pk=user_id)
    if not access.can(user, access.Action.EDIT, system):
        raise PermissionDenied(f"{user} may not edit {system}.")
    try:
        updated = services.ai_system_update(
            system, user=user, expected_version=expected_version, reason=reason, **_resolve(changes)
        )
    except StaleVersionError as exc:
        # Retrying cannot help: the caller must re-read the system and decide again.
        logger.warning("Change to %s not applied: %s", system, exc)
        return {"applied": False, "version": exc.current, "error": str(exc)}
    return {"applied": True, "version": updated.version}
