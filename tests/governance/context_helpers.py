"""Records of the context family for tests: a context issue, an interested party and a requirement."""

from __future__ import annotations

from typing import Any

from governance.context import services


def make_issue(ms: Any, user: Any, **fields: Any) -> Any:
    values = {"title": "New AI regulation", "origin": "external", "category": "legal", **fields}
    return services.context_issue_create(management_system=ms, user=user, **values)


def make_party(ms: Any, user: Any, **fields: Any) -> Any:
    values = {"name": "Information Commissioner's Office", "kind": "regulator", **fields}
    return services.interested_party_create(management_system=ms, user=user, **values)


def make_requirement(ms: Any, user: Any, party: Any = None, **fields: Any) -> Any:
    party = party or make_party(ms, user)
    values = {
        "party": party, "title": "Carry out a DPIA", "requirement_type": "legal", "source_reference": "UK GDPR Art. 35",
        "jurisdiction": "United Kingdom", **fields,
    }  # fmt: skip
    return services.requirement_create(management_system=ms, user=user, **values)


def context_rows(world: Any) -> dict[str, Any]:
    """One row per API resource of the family, in Acme (for ``tests/api/helpers.one_of_everything``)."""
    requirement = make_requirement(world.acme, world.officer)
    return {
        "context-issues": make_issue(world.acme, world.officer),
        "interested-parties": requirement.party,
        "requirements": requirement,
    }
