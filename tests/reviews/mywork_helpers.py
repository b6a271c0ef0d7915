"""What waits for whom in Acme (and in Northwind, where the leader is also leadership), made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from aims import services as aims_services
from aims.models import Role
from tests.factories import RiskFactory
from tests.improvement.nonconformities.helpers import add_action, analyse, contain, make_nc


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def critical_risk(ms: Any, user: Any, **fields: Any) -> Any:
    """A risk whose critical residual level leadership accepts (with a rationale, as the criteria ask)."""
    values = {
        "residual_likelihood": 4,
        "residual_consequence": 5,
        "acceptance_rationale": "No alternative triage route exists yet; watched weekly.",
        **fields,
    }
    return RiskFactory(management_system=ms, user=user, **values)


def overdue_action(ms: Any, user: Any, owner: Any, title: str = "Model card not kept up to date") -> Any:
    """A corrective action owned by ``owner``, five days overdue, of a new nonconformity."""
    nc = analyse(contain(make_nc(ms, user, title=title, owner=owner), user), user)
    return add_action(nc, user, owner, due_date=days(-5))


@dataclass
class Work:
    leader_risk: Any
    owned_risk: Any
    action: Any
    northwind_risk: Any
    northwind_action: Any


def make_work(world: Any) -> Work:
    """Acme: a critical risk for leadership, a low risk the contributor owns (review overdue), the officer's
    overdue corrective action. Northwind: the same kinds of things, the leader being leadership there too."""
    acme, northwind = world.acme, world.northwind
    aims_services.membership_add(
        management_system=northwind, actor=world.outsider, user=world.leader, role=Role.LEADERSHIP
    )
    leader_risk = critical_risk(acme, world.officer, title="Triage model misses sepsis", owner=world.contributor)
    owned_risk = RiskFactory(
        management_system=acme,
        user=world.officer,
        title="Chatbot answers in the wrong language",
        likelihood=1,
        consequence=2,
        residual_likelihood=1,
        residual_consequence=1,
        owner=world.contributor,
        next_review=days(-3),
    )
    action = overdue_action(acme, world.officer, world.officer)
    northwind_risk = critical_risk(northwind, world.outsider, title="Northwind pricing model discriminates")
    northwind_action = overdue_action(northwind, world.outsider, world.outsider, title="Northwind model card stale")
    return Work(leader_risk, owned_risk, action, northwind_risk, northwind_action)
