"""The cover gives the facts a certification body sizes an audit by, as they stood on the pack's date."""

from __future__ import annotations

import subprocess

from django.utils import timezone

from governance.models import Scope
from governance.people import services as people
from governance.scope import services as scope_services
from packs import gather, render
from packs.models import AuditPack
from packs.services import ledger_head
from registers.models import AISystem
from registers.services import ai_system_update
from tests.factories import make_ai_system
from tests.governance.scope_helpers import make_scope
from tests.kit import assert_constant_queries
from tests.packs.helpers import make_pack

HIGH = AISystem.RiskClass.HIGH
LIMITED = AISystem.RiskClass.LIMITED


def _system(world, name: str, roles: tuple[str, ...], risk_class: str, **fields) -> AISystem:
    return make_ai_system(
        world.acme, user=world.officer, name=name, eu_ai_act_risk_class=risk_class,
        roles=[{"role": role} for role in roles], **fields,
    )  # fmt: skip


def _cover_text(pack: AuditPack) -> str:
    """The cover page of the rendered PDF, read back with pdftotext."""
    data = gather.gather_pack(pack)
    data.parts["ledger"] = ledger_head(pack.management_system, pack.as_of)
    pdf = render.html_to_pdf(render.render_pack_html(data)).content
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(text.stdout.decode().split())


def test_the_cover_sizes_the_audit_as_of_the_pack_date_and_ignores_what_came_after(world):
    _system(world, "Triage assistant", ("deployer", "ai_customer"), HIGH)
    _system(world, "Discharge letters", ("provider", "deployer", "ai_producer"), LIMITED)
    _system(world, "Research sandbox", ("provider",), HIGH, in_scope=False)
    make_scope(world.acme, world.officer)  # sites: Riverside Hospital, Hillcrest Hospital; two units
    for name in ("Ana Lopez", "Ben Okafor", "Cy Young"):
        people.person_create(management_system=world.acme, user=world.officer, name=name)
    gone = people.person_create(management_system=world.acme, user=world.officer, name="Dee Left")
    people.person_mark_left(gone, user=world.officer, expected_version=gone.version, reason="Left the trust")
    pack = make_pack(world, kind=AuditPack.Kind.STAGE1, as_of=timezone.now())

    later = _system(world, "Dosing advisor", ("provider",), HIGH)
    ai_system_update(later, user=world.officer, expected_version=later.version, eu_ai_act_risk_class=LIMITED)
    scope = Scope.objects.get(management_system=world.acme)
    scope_services.scope_update(scope, user=world.officer, expected_version=scope.version, sites="Anywhere")
    people.person_create(management_system=world.acme, user=world.officer, name="Eve Later")

    text = _cover_text(pack)
    assert "What the audit covers on" in text
    assert "AI systems in scope 2 of 3 in the AI system inventory" in text
    assert "EU AI Act: Provider 1, Deployer 2" in text and "ISO/IEC 22989: AI producer 1, AI customer 1" in text
    assert "High-risk (Art. 6(2) and Annex III): 1" in text and "Transparency obligations (Art. 50): 1" in text
    assert "Sites 2: Riverside Hospital; Hillcrest Hospital" in text and "Anywhere" not in text
    assert "Organisational units 2: Clinical directorates; Digital and data directorate" in text
    assert "People 3 in the people register (1 more marked as left)" in text
    # owner, officer, leader, contributor: the auditors (one expired) are not counted
    assert "4 members with access to the register (auditors not counted)" in text
    assert "How to check this pack" in text and "python aims-verify.py" in text  # the cover's end is on page 1


def test_the_cover_says_when_no_scope_or_system_is_recorded(world):
    text = _cover_text(make_pack(world, kind=AuditPack.Kind.STAGE2))
    assert "AI systems in scope 0 of 0" in text and "No AI system in scope." in text
    assert "Sites No AIMS scope recorded by this date." in text


def test_the_cover_is_read_with_the_same_queries_for_few_and_many_systems_and_people(world):
    make_scope(world.acme, world.officer)
    _system(world, "Triage assistant", ("deployer",), HIGH)

    def grow() -> None:
        for n in range(4):
            _system(world, f"System {n}", ("provider", "ai_producer"), LIMITED)
            people.person_create(management_system=world.acme, user=world.officer, name=f"Person {n}")

    assert_constant_queries(lambda: gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE1)), grow)
