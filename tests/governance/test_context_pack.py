"""The "Context and legal register" pack section: in Stage 1 and full packs at order 13, as of the pack's date,
escaped, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from aims.pack_sections import FULL, STAGE1, STAGE2, PackData, pack_section, sections_for
from governance.context import pack as context_pack
from governance.context import services
from packs.models import AuditPack
from tests.factories import RiskFactory, make_ai_system
from tests.governance.context_helpers import make_issue, make_party, make_requirement
from tests.kit import assert_constant_queries
from tests.packs.helpers import make_pack


def gathered(pack: AuditPack) -> PackData:
    data = PackData(pack=pack, management_system=pack.management_system, sections=[], generated_at=timezone.now())
    context_pack.gather_context_legal(data)
    return data


def html(pack: AuditPack) -> str:
    data = gathered(pack)
    return render_to_string(pack_section("context_legal").template, {"data": data, "pack": pack})


def grow(world, n: int) -> None:
    system = make_ai_system(world.acme, user=world.officer, name=f"System {n}")
    risk = RiskFactory(management_system=world.acme, user=world.officer)
    for i in range(n):
        make_issue(world.acme, world.officer, title=f"Issue {n}-{i}", risks=[risk])
        party = make_party(world.acme, world.officer, name=f"Party {n}-{i}")
        make_requirement(world.acme, world.officer, party, title=f"Req {n}-{i}", ai_systems=[system], risks=[risk])


def test_the_section_is_in_stage_1_and_full_packs_after_the_scope():
    section = pack_section("context_legal")
    assert (section.title, section.clause, section.order) == ("Context and legal register", "4.1, 4.2", 13)
    assert "context_legal" in [s.key for s in sections_for(STAGE1)] and "context_legal" in [
        s.key for s in sections_for(FULL)
    ]
    assert "context_legal" not in [s.key for s in sections_for(STAGE2)]


def test_the_section_shows_the_registers_as_of_the_pack_date_escaped(world):
    system = make_ai_system(world.acme, user=world.officer, name="Radiology <b>triage</b>")
    issue = make_issue(world.acme, world.officer, title="AI Act <script>alert(1)</script>", category="legal")
    requirement = make_requirement(
        world.acme, world.officer, title="Keep logs six months", source_reference="EU AI Act Art. 26(6)",
        ai_systems=[system], addressed="partly", how_addressed="90 days today",
    )  # fmt: skip
    before = make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=timezone.now())
    services.requirement_update(
        requirement, user=world.officer, expected_version=1, addressed="yes", how_addressed="Six months"
    )
    services.context_issue_retire(issue, user=world.officer, expected_version=1, reason="Done")
    after = make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=timezone.now() + timedelta(seconds=1))

    then = html(before)
    assert "AI Act &lt;script&gt;alert(1)&lt;/script&gt;" in then and "<script>" not in then
    assert "EU AI Act Art. 26(6)" in then and "90 days today" in then and "Radiology &lt;b&gt;triage&lt;/b&gt;" in then
    assert requirement.party.name.replace("'", "&#x27;") in then
    now = html(after)
    assert "Six months" in now and "90 days today" not in now and "alert(1)" not in now


def test_gathering_the_section_makes_the_same_number_of_queries_for_few_and_many_records(world):
    grow(world, 1)
    pack = make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=timezone.now() + timedelta(days=1))
    assert_constant_queries(lambda: gathered(pack), lambda: grow(world, 4))
