"""Auditor independence (9.2.2 c): does an auditor own anything in the audit's scope?

An auditor should not audit their own work. What a person owns in the scope: an AI system in
scope; the SoA row of a control in scope; a risk linked to a system or control in scope, or an
action of its treatment; a nonconformity on a requirement or system in scope, or one of its
corrective actions. Six queries, however many auditors and records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from aims.models import ManagementSystem
from assessments.models import Risk, TreatmentAction
from controls.models import Applicability
from improvement.models import CorrectiveAction, Nonconformity
from registers.models import AISystem


def ownership_in_scope(
    *,
    management_system: ManagementSystem,
    users: Iterable[Any],
    requirement_ids: Iterable[int],
    system_ids: Iterable[int],
) -> dict[int, list[str]]:
    """What each of the users owns in the scope, by user id (only users who own something)."""
    user_ids = sorted({user.pk for user in users if user is not None})
    requirements, systems = sorted(set(requirement_ids)), sorted(set(system_ids))
    owned: dict[int, list[str]] = defaultdict(list)
    if not user_ids or not (requirements or systems):
        return {}
    ms = management_system
    for system in AISystem.objects.filter(management_system=ms, pk__in=systems, owner_id__in=user_ids):
        owned[system.owner_id].append(f"{system} (an AI system in scope)")
    soa_rows = Applicability.objects.filter(management_system=ms, control_id__in=requirements, owner_id__in=user_ids)
    for row in soa_rows.select_related("control"):
        owned[row.owner_id].append(f"{row.reference} (the SoA row of {row.control.key})")
    risk_in_scope = Q(ai_systems__in=systems) | Q(controls__in=requirements)
    risks = Risk.objects.filter(risk_in_scope, management_system=ms, retired_at__isnull=True, owner_id__in=user_ids)
    for risk in risks.distinct().order_by("reference"):
        owned[risk.owner_id].append(f"{risk.reference} (a risk linked to the scope)")
    actions = (
        TreatmentAction.objects.filter(
            Q(risk__ai_systems__in=systems) | Q(risk__controls__in=requirements),
            risk__management_system=ms,
            risk__retired_at__isnull=True,
            owner_id__in=user_ids,
        )
        .exclude(status=TreatmentAction.Status.CANCELLED)
        .select_related("risk")
        .distinct()
    )
    for action in actions.order_by("risk__reference", "pk"):
        owned[action.owner_id].append(f"a treatment action of {action.risk.reference}")
    nc_in_scope = Q(requirements__in=requirements) | Q(ai_systems__in=systems)
    ncs = Nonconformity.objects.filter(
        nc_in_scope, management_system=ms, retired_at__isnull=True, owner_id__in=user_ids
    )
    for nc in ncs.distinct().order_by("reference"):
        owned[nc.owner_id].append(f"{nc.reference} (a nonconformity on the scope)")
    corrective = (
        CorrectiveAction.objects.filter(
            Q(nonconformity__requirements__in=requirements) | Q(nonconformity__ai_systems__in=systems),
            nonconformity__management_system=ms,
            owner_id__in=user_ids,
        )
        .exclude(status=CorrectiveAction.Status.CANCELLED)
        .select_related("nonconformity")
        .distinct()
    )
    for action in corrective.order_by("reference"):
        owned[action.owner_id].append(f"{action.reference} (a corrective action of {action.nonconformity.reference})")
    return {user_id: _unique(records) for user_id, records in owned.items()}


def _unique(records: list[str]) -> list[str]:
    return list(dict.fromkeys(records))


def describe(users: Iterable[Any], owned: dict[int, list[str]]) -> str:
    """One sentence per auditor naming what they own in scope."""
    parts = []
    for user in users:
        if user is not None and owned.get(user.pk):
            name = user.get_full_name() or user.get_username()
            parts.append(f"{name} owns {', '.join(owned[user.pk])}")
    return "; ".join(parts)
