"""The people demo: Acme Health's people, AIMS roles, competence (one gap) and communication."""

from __future__ import annotations

import pytest

from aims import demo, hooks
from governance.demo import people as people_demo
from governance.models import AimsRole, CommunicationRecord, Person
from governance.people import selectors
from governance.people.selectors import holds_aims_role

STEPS = ("registers.demo",)


@pytest.fixture
def loaded(db, monkeypatch):
    monkeypatch.setattr(hooks, "_DEMO_STEPS", {m: step for m, step in hooks._DEMO_STEPS.items() if m in STEPS})
    loaded = demo.load()
    people_demo.load(loaded)
    return loaded


def test_demo_people_roles_competence_and_communication(loaded):
    ms, users = loaded.acme, loaded.acme_users
    assert holds_aims_role(users["leader"], ms, AimsRole.TOP_MANAGEMENT)  # other families rely on it
    assert holds_aims_role(users["officer"], ms, AimsRole.AIMS_MANAGER)
    assert holds_aims_role(users["contributor"], ms, AimsRole.AI_SYSTEM_OWNER)
    assert not holds_aims_role(users["owner"], ms, AimsRole.TOP_MANAGEMENT)
    grid = selectors.responsibility_matrix(ms)
    assert not grid.unfilled
    top = [p.name for p, cells in grid.rows if cells[[r.key for r in grid.roles].index(AimsRole.TOP_MANAGEMENT)]]
    assert sorted(top) == ["Helen Marsh", "Margaret Osei"]
    assert Person.objects.filter(management_system=ms, account__isnull=True).count() == 3
    gaps = selectors.competence_gaps(ms)
    assert [(g.person.name, g.competence.name, g.reason) for g in gaps] == [("Dr Rachel Kim", "AI literacy", "expired")]
    training = CommunicationRecord.objects.get(management_system=ms, ai_literacy=True)
    assert training.plan_item.ai_literacy and training.acknowledged_by.count() == 2
    people_demo.load(loaded)  # idempotent
    assert Person.objects.filter(management_system=ms).count() == 6
