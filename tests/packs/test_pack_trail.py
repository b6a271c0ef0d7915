"""Stage 2 follows each AI system through the management system: the records that name it, as of the pack's date."""

from __future__ import annotations

from django.utils import timezone

from aims.pack_sections import FULL, STAGE1, STAGE2, pack_section
from assessments import services as risk_services
from packs import gather, render
from packs.models import AuditPack
from tests.assessments.helpers import make_assessment, make_risk
from tests.factories import decide_soa_row, make_ai_system
from tests.improvement.packs.helpers import make_incident, make_nc
from tests.kit import assert_constant_queries, count_queries
from tests.packs.helpers import make_evidence, make_pack


def _trail_html(pack: AuditPack) -> str:
    html = render.render_pack_html(gather.gather_pack(pack))
    start = html.index('id="sec-ai_system_trails"')
    return html[start : html.index("</section>", start)]


def _system_part(html: str, reference: str) -> str:
    start = html.index(f"<h2>{reference} ")
    end = html.find("<h2>", start + 1)
    return html[start : end if end > 0 else len(html)]


def _trail_of(world, name: str, *, control: str = "A.6.2.4"):
    """A system in operation with an impact assessment, a risk, an SoA row, an incident, a nonconformity, evidence."""
    system = make_ai_system(world.acme, user=world.officer, name=name, lifecycle_stage="operation")
    make_assessment(world.acme, world.officer, system, title=f"Impact of {name}")
    risk = make_risk(
        world.acme, world.officer, title=f"Risk of {name}", ai_systems=[system], owner=world.contributor,
        residual_likelihood=2, residual_consequence=2,
    )  # fmt: skip
    decide_soa_row(world.acme, control, user=world.officer, ai_systems=[system], implementation_status="implemented")
    make_incident(world, title=f"Incident of {name}", m2m={"ai_systems": [system]})
    make_nc(world, title=f"Nonconformity of {name}", ai_systems=[system])
    make_evidence(world, title=f"Evidence of {name}", links={"ai_systems": [system]})
    return system, risk


def test_the_trail_section_is_in_stage_2_and_full_packs_after_the_sign_off_chain():
    section = pack_section("ai_system_trails")
    assert (section.title, section.clause, section.kinds) == ("AI system trails", "8, A.6", frozenset({STAGE2, FULL}))
    assert pack_section("signoffs").order < section.order < pack_section("changes").order
    assert STAGE1 not in section.kinds


def test_each_system_lists_the_records_that_name_it_with_their_status_on_the_pack_date(world):
    triage, risk = _trail_of(world, "Triage assistant")
    _trail_of(world, "Discharge letters", control="A.6.2.6")
    idle = make_ai_system(world.acme, user=world.officer, name="Idle pilot")
    risk_services.risk_accept(
        risk, user=world.contributor, expected_version=risk.version, statement="Accepted.", verification="password"
    )
    pack = make_pack(world, kind=AuditPack.Kind.STAGE2, as_of=timezone.now())
    later = make_risk(world.acme, world.officer, title="Risk added after the pack", ai_systems=[triage])

    html = _trail_html(pack)
    triage_part = _system_part(html, triage.reference)
    for text in ("Impact of Triage assistant", "Risk of Triage assistant", "A.6.2.4", "Incident of Triage assistant",
                 "Nonconformity of Triage assistant", "Evidence of Triage assistant"):  # fmt: skip
        assert text in triage_part
    assert "Discharge letters" not in triage_part and "A.6.2.6" not in triage_part
    assert later.title not in html  # recorded after the pack's date
    assert ">Accepted</span>" in triage_part and "sign-off #" in triage_part  # the risk's acceptance
    assert ">Not approved</span>" in triage_part  # the impact assessment was never approved
    assert ">Implemented</span>" in triage_part and ">Open</span>" in triage_part  # SoA row, nonconformity
    assert "In use without an approved impact assessment" in triage_part
    idle_part = _system_part(html, idle.reference)
    assert (
        "None by this date: impact assessments, risks, Statement of Applicability rows," in idle_part
        and "No open risk names this system" in idle_part
    )


def test_gathering_the_trails_does_not_grow_with_systems_and_their_records(world):
    _trail_of(world, "Triage assistant")
    counter = iter(range(100))

    def grow() -> None:
        for n in range(3):
            _trail_of(world, f"System {n}-{next(counter)}", control=("A.6.2.2", "A.6.2.3", "A.6.2.5")[n])

    assert_constant_queries(lambda: gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE2)), grow)


def test_the_trail_gathers_no_section_twice(world):
    """The trail reuses what earlier sections read: adding it to a pack costs no query."""
    _trail_of(world, "Triage assistant")
    pack = make_pack(world, kind=AuditPack.Kind.STAGE2)
    data = gather.gather_pack(pack)
    assert count_queries(lambda: pack_section("ai_system_trails").gather(data)) == 0
