"""The incident rule: a burst of refused calls of one AI system drafts an incident, once per burst.

A burst is ``threshold`` refusals (refused or blocked calls: ``refusal`` events) of one AI system
within ``window_minutes``. Each management system has one rule (``GatewayIncidentRule``), with the
settings' defaults (``AIMS_GATEWAY_INCIDENT_THRESHOLD``, ``AIMS_GATEWAY_INCIDENT_WINDOW_MINUTES``)
until an officer changes it. The check runs every five minutes (Celery beat
``gateway.incident_rule``): cheap, one indexed query per AI system with new refusals, and nothing on
the path of a call. A burst drafts one incident (channel "AI gateway", state reported) that names
the events and links to the AI system's gateway page; refusals that follow within the window of its
last one join the same burst and draft nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from aims.models import ManagementSystem
from aims.services import register_create, register_update
from gateway.evidence.account import service_account
from gateway.evidence.figures import refusal_reason
from gateway.models import GatewayEvent, GatewayIncidentBurst, GatewayIncidentRule
from improvement.incidents.services import incident_create
from improvement.models import Incident
from registers.models import AISystem

LOOKBACK = timedelta(days=1)  # a new rule does not draft incidents for older refusals


@dataclass(frozen=True)
class Rule:
    enabled: bool
    threshold: int
    window_minutes: int
    record: GatewayIncidentRule | None = None

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


def rule_of(management_system: ManagementSystem) -> Rule:
    """The management system's rule, or the settings' defaults when nobody has changed it."""
    record = GatewayIncidentRule.objects.filter(management_system=management_system).first()
    if record is None:
        return Rule(True, settings.AIMS_GATEWAY_INCIDENT_THRESHOLD, settings.AIMS_GATEWAY_INCIDENT_WINDOW_MINUTES)
    return Rule(record.enabled, record.threshold, record.window_minutes, record)


def incident_rule_set(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser,
    enabled: bool,
    threshold: int,
    window_minutes: int,
    expected_version: int | None = None,
    reason: str = "",
) -> GatewayIncidentRule:
    """Set the management system's incident rule (created on first change), with the reason kept in its history."""
    fields = {"enabled": enabled, "threshold": threshold, "window_minutes": window_minutes}
    record = rule_of(management_system).record
    if record is None:
        return register_create(
            GatewayIncidentRule, management_system=management_system, user=user,
            reason=reason or "Incident rule set", **fields,
        )  # fmt: skip
    return register_update(
        record, user=user, expected_version=expected_version, reason=reason or "Incident rule changed", **fields
    )


def _refusals(ai_system_id: int, after_sequence: int, since: datetime) -> list[dict[str, Any]]:
    return list(
        GatewayEvent.objects.filter(
            ai_system_id=ai_system_id,
            type=GatewayEvent.Type.REFUSAL,
            sequence__gt=after_sequence,
            occurred_at__gte=since,
        )
        .order_by("sequence")
        .values("sequence", "occurred_at", "decision", "detail")
    )


def _first_burst(events: list[dict[str, Any]], rule: Rule) -> tuple[int, int] | None:
    """The first run of ``threshold`` refusals within the window: the indexes of its first and last refusal."""
    for i in range(len(events) - rule.threshold + 1):
        j = i + rule.threshold - 1
        if events[j]["occurred_at"] - events[i]["occurred_at"] <= rule.window:
            while j + 1 < len(events) and events[j + 1]["occurred_at"] - events[j]["occurred_at"] <= rule.window:
                j += 1
            return i, j
    return None


def incident_rule_check(*, management_system: ManagementSystem, now: datetime | None = None) -> list[Incident]:
    """Draft an incident for each new burst of refusals in the management system; return them."""
    now = now or timezone.now()
    rule = rule_of(management_system)
    if not rule.enabled:
        return []
    candidates = (
        GatewayEvent.objects.filter(
            management_system=management_system, type=GatewayEvent.Type.REFUSAL, occurred_at__gte=now - LOOKBACK
        )
        .values_list("ai_system_id", flat=True)
        .order_by()
        .distinct()
    )
    drafted = []
    for ai_system_id in sorted(set(candidates)):
        incident = _check_system(management_system, ai_system_id, rule, now)
        if incident is not None:
            drafted.append(incident)
    return drafted


def _check_system(management_system: ManagementSystem, ai_system_id: int, rule: Rule, now: datetime) -> Incident | None:
    with transaction.atomic():
        ai_system = AISystem.objects.select_for_update().get(pk=ai_system_id)
        last = GatewayIncidentBurst.objects.filter(ai_system=ai_system).order_by("-last_sequence").first()
        events = _refusals(ai_system_id, last.last_sequence if last else 0, now - LOOKBACK)
        while last is not None and events and events[0]["occurred_at"] - last.last_at <= rule.window:
            last.last_sequence, last.last_at = events[0]["sequence"], events[0]["occurred_at"]
            last.refusals += 1
            events.pop(0)
        if last is not None:
            last.save(update_fields=["last_sequence", "last_at", "refusals"])
        found = _first_burst(events, rule)
        if found is None:
            return None
        burst = events[found[0] : found[1] + 1]
        incident = _draft(management_system, ai_system, burst, rule, now)
        GatewayIncidentBurst.objects.create(
            management_system=management_system, ai_system=ai_system, first_sequence=burst[0]["sequence"],
            last_sequence=burst[-1]["sequence"], first_at=burst[0]["occurred_at"], last_at=burst[-1]["occurred_at"],
            refusals=len(burst), incident=incident,
        )  # fmt: skip
        return incident


def events_url(ai_system: AISystem) -> str:
    """Where the AI system's gateway events are shown (its Gateway tab)."""
    try:
        return reverse("gateway:system_gateway", args=[ai_system.management_system_id, ai_system.pk])
    except NoReverseMatch:
        return ""


def _draft(
    management_system: ManagementSystem, ai_system: AISystem, burst: list[dict[str, Any]], rule: Rule, now: datetime
) -> Incident:
    reasons: dict[str, int] = {}
    for event in burst:
        reasons[refusal_reason(event)] = reasons.get(refusal_reason(event), 0) + 1
    minutes = max(1, round((burst[-1]["occurred_at"] - burst[0]["occurred_at"]).total_seconds() / 60))
    url = events_url(ai_system)
    description = (
        f"The AI gateway refused {len(burst)} calls of {ai_system.reference} {ai_system.name} within {minutes} "
        f"minute{'s' if minutes != 1 else ''} (the rule: {rule.threshold} within {rule.window_minutes} minutes). "
        f"Gateway events #{burst[0]['sequence']} to #{burst[-1]['sequence']} of its chain. "
        f"Reasons: {', '.join(f'{reason} ({n})' for reason, n in sorted(reasons.items()))}."
        + (f" Events: {url}" if url else "")
        + "\n\nDrafted by the gateway's incident rule: triage it (a misconfigured client, misuse, or the policy "
        "doing its job) and record the outcome."
    )
    return incident_create(
        management_system=management_system,
        user=service_account(),
        reason="Drafted by the gateway's incident rule",
        title=f"Repeated refused calls of {ai_system.reference} through the AI gateway"[:200],
        description=description,
        ai_systems=[ai_system],
        occurred_at=burst[0]["occurred_at"],
        detected_at=now,
        channel=Incident.Channel.GATEWAY,
        incident_type=Incident.Type.UNEXPECTED,
        severity=Incident.Severity.LOW,
    )


def incident_rule_check_all(*, now: datetime | None = None) -> list[Incident]:
    """Check the rule of every management system in use."""
    drafted: list[Incident] = []
    for management_system in ManagementSystem.objects.exclude(status=ManagementSystem.Status.RETIRED).order_by("pk"):
        drafted.extend(incident_rule_check(management_system=management_system, now=now))
    return drafted
