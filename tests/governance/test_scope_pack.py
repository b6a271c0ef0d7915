"""The "AIMS scope" pack section: the scope as of the pack's date, its document control block, the frozen AI
systems and, when the inventory differs on that date, what changed since approval."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aims.pack_sections import ALL_KINDS, pack_section
from governance.models import Scope
from governance.scope import services
from packs import gather, render
from packs.models import AuditPack
from tests.governance.scope_helpers import approve, make_issue_and_requirement, make_scope, make_system
from tests.improvement.packs.helpers import recorded_at
from tests.kit import assert_constant_queries
from tests.packs.helpers import make_pack


def _section_html(pack: AuditPack) -> str:
    html = render.render_pack_html(gather.gather_pack(pack))
    start = html.index('id="sec-aims_scope"')
    return html[start : html.index("</section>", start)]


def test_the_section_is_in_every_pack_under_clause_4_3_before_the_scope_statement():
    section = pack_section("aims_scope")
    assert section.clause == "4.3" and section.kinds == ALL_KINDS and section.title == "AIMS scope"
    assert pack_section("document_register").order < section.order < pack_section("scope").order


def test_the_pack_shows_the_approved_scope_as_of_its_date_and_what_changed_since_approval(world):
    ms, officer = world.acme, world.officer
    start = timezone.now() - timedelta(days=10)
    with recorded_at(start):
        make_system(ms, officer, "Triage <assistant>")
        scope = make_scope(ms, officer)
    with recorded_at(start + timedelta(days=1)):
        approve(scope, world.leader)
    with recorded_at(start + timedelta(days=3)):
        make_system(ms, officer, "Dosing advisor")

    before = _section_html(make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=start + timedelta(days=2)))
    assert "SCO-001" in before and "Approved" in before and "Version 3 approved by" in before
    assert "Triage &lt;assistant&gt;" in before and "Unchanged since approval" in before
    assert "Dosing advisor" not in before and "Research projects" in before

    after = _section_html(make_pack(world, kind=AuditPack.Kind.FULL))
    assert "Scope changed since approval" in after and "Dosing advisor: added since approval" in after
    assert "doc-control" in after and "Approved" in after  # the scope's parts did not change: the approval holds

    services.scope_update(Scope.objects.get(pk=scope.pk), user=officer, expected_version=3, sites="Riverside")
    edited = _section_html(make_pack(world, kind=AuditPack.Kind.STAGE2))
    assert "Changed since approval" in edited and "Version 4; version 3 approved" in edited

    never = _section_html(make_pack(world, as_of=start - timedelta(days=1)))
    assert "No structured scope was recorded" in never


def test_gathering_the_section_makes_the_same_number_of_queries_for_few_and_many_parts(world):
    ms = world.acme
    make_system(ms, world.officer, "Triage assistant")
    scope = make_scope(ms, world.officer)
    issue, requirement = make_issue_and_requirement(ms, world.officer)
    services.scope_update(scope, user=world.officer, expected_version=scope.version, context_issues=[issue],
                          requirements=[requirement])  # fmt: skip
    approve(scope, world.leader)
    make_system(ms, world.officer, "Added later")

    def grow() -> None:
        current = Scope.objects.get(pk=scope.pk)
        for n in range(3):
            make_system(ms, world.officer, f"Grown {n}")
            services.exclusion_add(current, user=world.officer, expected_version=current.version, excluded=f"E{n}")
            current = Scope.objects.get(pk=scope.pk)
            more = make_issue_and_requirement(ms, world.officer)
            services.scope_update(current, user=world.officer, expected_version=current.version,
                                  context_issues=[*current.context_issues.all(), more[0]],
                                  requirements=[*current.requirements.all(), more[1]])  # fmt: skip
            current = Scope.objects.get(pk=scope.pk)

    pack = make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=timezone.now() + timedelta(hours=1))
    section = pack_section("aims_scope")

    def fetch() -> None:
        data = gather.PackData(pack=pack, management_system=ms, sections=[section], generated_at=timezone.now())
        section.gather(data)

    assert_constant_queries(fetch, grow)
