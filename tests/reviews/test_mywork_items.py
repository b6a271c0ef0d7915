"""What "my work" lists for each persona: only what waits for them, only in the management system asked."""

from __future__ import annotations

from django.utils import timezone

from aims import work
from assessments.models import Risk
from tests.reviews.mywork_helpers import make_work


def items_of(user, ms):
    return work.work_for(user, ms, timezone.localdate())


def titles(items, kind=None):
    return [item.title for item in items if kind is None or item.kind == kind]


def test_each_persona_sees_what_waits_for_them_and_nothing_of_another_management_system(world):
    made = make_work(world)
    leader = items_of(world.leader, world.acme)
    officer = items_of(world.officer, world.acme)
    contributor = items_of(world.contributor, world.acme)
    auditor = items_of(world.auditor, world.acme)

    # Leadership: the critical risk and the unapproved criteria to sign, signatures first.
    assert f"Accept {made.leader_risk.reference} Triage model misses sepsis" in titles(leader, work.SIGNATURE)
    assert "Approve risk criteria version 1" in titles(leader, work.SIGNATURE)
    assert leader[0].kind == work.SIGNATURE and not titles(leader, work.ACTION)
    # The officer: their overdue corrective action (and the nonconformity they own), with its due date.
    [action] = [item for item in officer if item.title.startswith(made.action.reference)]
    assert (action.kind, action.due, action.state(timezone.localdate())) == (
        work.ACTION,
        made.action.due_date,
        "overdue",
    )
    assert not titles(officer, work.SIGNATURE)  # nothing above an officer's authority, no criteria to approve
    # The contributor: only what they own: their low risk to accept and to review; not the critical one.
    assert titles(contributor, work.SIGNATURE) == [
        f"Accept {made.owned_risk.reference} Chatbot answers in the wrong language"
    ]
    assert titles(contributor, work.REVIEW) == [
        f"Review {made.owned_risk.reference} Chatbot answers in the wrong language"
    ]
    assert len(contributor) == 2
    # The auditor has nothing to sign, nor anything else.
    assert auditor == []
    # Northwind's records never show in Acme, and Acme's never in Northwind.
    for items in (leader, officer, contributor):
        assert all(i.management_system_id == world.acme.pk and "Northwind" not in i.title for i in items)
        assert all(i.url.startswith(f"/ms/{world.acme.pk}/") for i in items)
    northwind = items_of(world.leader, world.northwind)
    assert f"Accept {made.northwind_risk.reference} Northwind pricing model discriminates" in titles(northwind)
    assert all("Triage" not in t and "Chatbot" not in t for t in titles(northwind))
    assert items_of(world.outsider, world.acme) == []  # not a member: nothing, whatever exists there


def test_keys_are_stable_across_runs_and_change_when_the_thing_to_sign_changes(world):
    made = make_work(world)
    first = [item.key for item in items_of(world.leader, world.acme)]
    assert first == [item.key for item in items_of(world.leader, world.acme)] and len(set(first)) == len(first)

    from assessments import services

    risk = Risk.objects.get(pk=made.leader_risk.pk)
    services.risk_update(
        risk, user=world.officer, expected_version=risk.version, reason="Rescored", residual_likelihood=5
    )
    again = [item.key for item in items_of(world.leader, world.acme)]
    changed = set(first) ^ set(again)
    assert len(changed) == 2 and all(key.startswith("risk_acceptance:") for key in changed)


def test_a_sign_off_waiting_for_its_own_last_editor_says_so(world):
    from tests.reviews.mywork_helpers import critical_risk

    critical_risk(world.acme, world.leader, title="Scored by the leader")
    [item] = [i for i in items_of(world.leader, world.acme) if "Scored by the leader" in i.title]
    assert work.OWN_CHANGE_NOTE in item.detail
