"""Set-up of the calls tests: an AI system in operation with a routed model, a key and a policy in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.keys import services as key_services
from gateway.models import GatewayEvent, GatewayKey, ModelRoute
from registers.models import AISystem, ModelRecord
from tests.factories import ModelRecordFactory, UserFactory, make_ai_system, make_management_system
from tests.gateway.policy_helpers import policy_in_force

MODEL = "Triage LLM"


@dataclass
class Caller:
    """One AI system that may call the gateway, and what it calls with."""

    owner: Any
    system: AISystem
    model: ModelRecord
    route: ModelRoute
    key: GatewayKey
    plaintext: str

    def events(self, type: str | None = None) -> list[GatewayEvent]:
        """The system's events of calls (its key's issue, the chain's first event, left out), or those of a type."""
        rows = GatewayEvent.objects.filter(ai_system=self.system).exclude(type="key_created").order_by("sequence")
        return list(rows.filter(type=type) if type else rows)


def forget_policies() -> None:
    """Empty the in-process policy cache: test databases reuse ids, so a cached version could look current."""
    from gateway.policy import decide

    decide._cache.clear()


def caller(upstream_url: str, *, policy: bool = True, rules: tuple = (), **system_fields: Any) -> Caller:
    """An AI system in operation, in scope, whose model routes to ``upstream_url``; a key; a policy in force."""
    forget_policies()
    owner = UserFactory()
    ms = make_management_system(owner=owner)
    model = ModelRecordFactory(management_system=ms, user=owner, name=MODEL, provider="Cirrus AI Cloud")
    fields = {"lifecycle_stage": AISystem.LifecycleStage.OPERATION, **system_fields}
    system = make_ai_system(ms, user=owner, model_records=[model], **fields)
    route = key_services.route_set(
        model_record=model, user=owner, base_url=upstream_url, upstream_model="mock-gpt", credential_env="",
        connect_timeout=2, read_timeout=5,
    )  # fmt: skip
    key, plaintext = key_services.key_create(ai_system=system, user=owner, name="Tests")
    if policy:
        policy_in_force(ms, owner, rules=rules)
    return Caller(owner, system, model, route, key, plaintext)
