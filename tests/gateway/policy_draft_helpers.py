"""Gateway policy drafts for tests, written through the policy family's services (``gateway.policy.services``)."""

from __future__ import annotations

from typing import Any

from gateway.models import PolicyVersion
from gateway.policy import services
from governance.models import AimsRole
from tests.governance.people_helpers import appoint_user

STATEMENT = "Reviewed and approved."


def make_draft(ms: Any, user: Any, *, rules: list[dict[str, Any]] | tuple = (), **settings: Any) -> PolicyVersion:
    """A draft (copied from the version in force) with ``settings`` and ``rules`` added last."""
    draft = services.policy_draft_start(management_system=ms, user=user)
    settings = {"change_summary": "Tighter rules.", **settings}
    draft = services.policy_update(draft, user=user, expected_version=draft.version, **settings)
    for rule in rules:
        services.rule_add(draft, user=user, **rule)
    return PolicyVersion.objects.get(pk=draft.pk)


def submitted(ms: Any, user: Any, **kwargs: Any) -> PolicyVersion:
    draft = make_draft(ms, user, **kwargs)
    return services.policy_submit(draft, user=user, expected_version=draft.version)


def approved(ms: Any, drafter: Any, approver: Any, **kwargs: Any) -> PolicyVersion:
    """A version drafted by ``drafter``, approved by ``approver`` (a leader, say): in force."""
    version = submitted(ms, drafter, **kwargs)
    services.policy_approve(version, user=approver, statement=STATEMENT, verification="recovery code")
    return PolicyVersion.objects.get(pk=version.pk)


def make_aims_manager(world: Any, persona: str = "officer") -> None:
    """Appoint a persona of Acme to the AIMS manager role (people register)."""
    appoint_user(world.acme, world.officer, world.users[persona], AimsRole.AIMS_MANAGER)


def api_rows(world: Any, *, second: bool = False) -> dict[str, Any]:
    """One row per API resource of the family, in Acme (for ``tests/api/helpers.one_of_everything``).

    ``second=True``: another draft after the first call's, which is withdrawn (one draft at a time).
    """
    if second:
        first = services.open_version(world.acme)
        services.policy_withdraw(first, user=world.officer, expected_version=first.version, reason="Superseded.")
    draft = make_draft(world.acme, world.officer, rules=[{"tool": "lookup", "outcome": "allow"}])
    return {"gateway-policies": draft, "gateway-policy-rules": draft.rules.get()}
