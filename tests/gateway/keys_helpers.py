"""Gateway keys and routes for tests: a system with a model, a key, a route."""

from __future__ import annotations

from typing import Any

from gateway.keys import services
from registers.models import AISystem
from tests.factories import ModelRecordFactory, make_ai_system


def system_with_model(ms: Any, user: Any = None) -> AISystem:
    model = ModelRecordFactory(management_system=ms, user=user)
    return make_ai_system(ms, user=user, model_records=[model])


def make_key(system: AISystem, user: Any = None, **kwargs: Any) -> tuple[Any, str]:
    return services.key_create(ai_system=system, user=user, name=kwargs.pop("name", "Triage, production"), **kwargs)


def make_route(system: AISystem, user: Any = None, **fields: Any) -> Any:
    fields = {"base_url": "https://llm.example.org/v1", "upstream_model": "gpt-4o-mini",
              "credential_env": "OPENAI_API_KEY", **fields}  # fmt: skip
    return services.route_set(model_record=system.model_records.get(), user=user, **fields)


def api_rows(world: Any) -> dict[str, Any]:
    """One row per API resource of the family, in Acme (for ``tests/api/helpers.one_of_everything``)."""
    system = system_with_model(world.acme, world.officer)
    return {"gateway-keys": make_key(system, world.officer)[0], "model-routes": make_route(system, world.officer)}
