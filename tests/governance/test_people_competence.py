"""Competence gaps, derived expiry, the responsibility matrix, and the pack section as of its date."""

from __future__ import annotations

from datetime import date, timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from aims.pack_sections import PackData
from governance.models import AimsRole, CompetenceRecord
from governance.people import matrix, selectors, services
from governance.people.pack import gather_roles_competence
from packs.models import AuditPack
from tests.factories import make_ai_system
from tests.governance.people_helpers import (
    appoint,
    appoint_user,
    make_competence,
    make_person,
    make_record,
    require,
    role,
)
from tests.kit import assert_constant_queries

OWNER, OVERSIGHT = AimsRole.AI_SYSTEM_OWNER, AimsRole.HUMAN_OVERSIGHT_OPERATOR


def _gaps(ms, on=None) -> set[tuple[str, str, str]]:
    return {(g.person.name, g.competence.name, g.reason) for g in selectors.competence_gaps(ms, on)}


def test_gaps_are_required_competences_without_a_valid_record(world):
    acme, officer = world.acme, world.officer
    today = timezone.localdate()
    literacy = make_competence(acme, officer, "AI literacy", validity_months=12)
    risk = make_competence(acme, officer, "AI risk assessment")
    require(role(acme, OWNER), officer, literacy, risk)
    tom, ann, gone = (make_person(acme, officer, name=n) for n in ("Tom", "Ann", "Gone"))
    for person in (tom, ann, gone):
        appoint(acme, officer, person, OWNER)
    make_record(tom, literacy, officer, achieved_on=today - timedelta(days=400))  # derived expiry: passed
    make_record(tom, risk, officer, achieved_on=today - timedelta(days=30))
    make_record(ann, literacy, officer, achieved_on=today - timedelta(days=10))
    make_record(ann, risk, officer, achieved_on=today + timedelta(days=10))  # not yet achieved
    services.person_mark_left(gone, user=officer, expected_version=gone.version, reason="Left the Trust")
    assert _gaps(acme) == {("Tom", "AI literacy", matrix.EXPIRED), ("Ann", "AI risk assessment", matrix.MISSING)}
    expired = next(g for g in selectors.competence_gaps(acme) if g.is_expired)
    assert expired.expired_on == services.add_months(today - timedelta(days=400), 12)
    # Renewed: the valid record closes the gap even though the old one expired.
    make_record(tom, literacy, officer, achieved_on=today)
    assert _gaps(acme) == {("Ann", "AI risk assessment", matrix.MISSING)}
    assert _gaps(acme, on=today + timedelta(days=11)) == set()
    # A withdrawn record is no record.
    record = CompetenceRecord.objects.get(person=ann, competence=literacy)
    services.retire(record, user=officer, expected_version=record.version, reason="Certificate not genuine")
    assert ("Ann", "AI literacy", matrix.MISSING) in _gaps(acme)


def test_expiry_is_derived_from_the_competence_unless_given(world):
    acme, officer = world.acme, world.officer
    literacy = make_competence(acme, officer, "AI literacy", validity_months=12)
    person = make_person(acme, officer)
    derived = make_record(person, literacy, officer, achieved_on=date(2024, 2, 29))
    assert derived.expires_on == date(2025, 2, 28)
    given = make_record(person, literacy, officer, achieved_on=date(2025, 1, 1), expires_on=date(2025, 6, 30))
    assert given.expires_on == date(2025, 6, 30)
    lasting = make_record(person, make_competence(acme, officer, "Clinical safety"), officer)
    assert lasting.expires_on is None


def test_gap_queries_do_not_grow(world):
    acme, officer = world.acme, world.officer
    literacy = make_competence(acme, officer, "AI literacy")
    require(role(acme, OWNER), officer, literacy, make_competence(acme, officer, "Risk"))

    def grow(n=[0]):  # noqa: B006
        for _ in range(3):
            n[0] += 1
            person = make_person(acme, officer, name=f"P{n[0]}")
            appoint(acme, officer, person, OWNER)
            make_record(person, literacy, officer)

    grow()
    count = assert_constant_queries(lambda: selectors.competence_gaps(acme), grow)
    assert count <= 4


def test_responsibility_matrix_from_current_assignments(world):
    acme, officer = world.acme, world.officer
    chatbot = make_ai_system(acme, user=officer, name="Chatbot")
    triage = make_ai_system(acme, user=officer, name="Triage")
    leader = appoint_user(acme, officer, world.leader, AimsRole.TOP_MANAGEMENT).person
    tom = appoint_user(acme, officer, world.contributor, OWNER, ai_systems=[triage, chatbot]).person
    appoint(acme, officer, tom, OVERSIGHT, ai_systems=[triage])
    old = appoint(acme, officer, make_person(acme, officer, name="Ex"), OVERSIGHT)
    services.assignment_end(
        old, user=officer, expected_version=old.version, reason="Moved", on=timezone.localdate() - timedelta(days=1)
    )
    grid = selectors.responsibility_matrix(acme)
    names = [r.key for r in grid.roles]
    assert len(names) == 6
    rows = {person.name: cells for person, cells in grid.rows}
    assert set(rows) == {leader.name, tom.name}  # the ended assignment is not shown
    assert rows[leader.name][names.index(AimsRole.TOP_MANAGEMENT)].all_systems
    cells = rows[tom.name]
    owner_cell = cells[names.index(OWNER)]
    assert [s.name for s in owner_cell.systems] == ["Chatbot", "Triage"] and not owner_cell.all_systems
    assert [s.name for s in cells[names.index(OVERSIGHT)].systems] == ["Triage"]
    assert cells[names.index(AimsRole.TOP_MANAGEMENT)] is None
    assert {r.key for r in grid.unfilled} == {
        AimsRole.AIMS_MANAGER, AimsRole.INTERNAL_AUDITOR, AimsRole.RISK_OWNER,
    }  # fmt: skip


def _section(world, as_of) -> tuple[PackData, str]:
    pack = AuditPack(management_system=world.acme, kind=AuditPack.Kind.STAGE1, as_of=as_of, requested_by=world.auditor)
    data = PackData(pack=pack, management_system=world.acme, sections=[], generated_at=timezone.now())
    gather_roles_competence(data)
    return data, render_to_string("governance/people/pack/section_roles_competence.html", {"data": data, "pack": pack})


def test_pack_section_shows_matrix_roles_and_gaps_as_of_its_date(world):
    acme, officer = world.acme, world.officer
    literacy = make_competence(acme, officer, "AI <literacy>")
    require(role(acme, OWNER), officer, literacy)
    tom = appoint_user(acme, officer, world.contributor, OWNER, ai_systems=[make_ai_system(acme, name="Triage")])
    before = timezone.now()
    make_record(tom.person, literacy, officer)
    services.role_update(
        role(acme, OWNER), user=officer, expected_version=role(acme, OWNER).version, name="AI product owner"
    )
    data, early = _section(world, before)
    assert [g.competence.name for g in data.roles_competence["gaps"]] == ["AI <literacy>"]
    assert "AI &lt;literacy&gt;" in early and "<literacy>" not in early  # escaped
    assert "AI system owner" in early and "AI product owner" not in early
    assert "Triage" in early and "no record" in early
    assert "Be accountable for an AI system" in early  # responsibilities
    data, late = _section(world, timezone.now())
    assert data.roles_competence["gaps"] == [] and "No competence gap" in late and "AI product owner" in late


def test_pack_section_queries_do_not_grow(world):
    acme, officer = world.acme, world.officer
    literacy = make_competence(acme, officer, "AI literacy")
    require(role(acme, OWNER), officer, literacy)

    def grow(n=[0]):  # noqa: B006
        for _ in range(3):
            n[0] += 1
            person = make_person(acme, officer, name=f"P{n[0]}")
            appoint(acme, officer, person, OWNER, ai_systems=[make_ai_system(acme, name=f"S{n[0]}")])
            make_record(person, literacy, officer)

    grow()
    assert_constant_queries(lambda: _section(world, timezone.now()), grow)
