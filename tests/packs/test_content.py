"""Pack content from every register: SoA decisions, risks, evidence references, as-of values, query counts."""

from __future__ import annotations

from django.utils import timezone

from controls.services import applicability_update
from packs import gather, render
from packs.services import ledger_head
from tests.assessments.helpers import make_risk
from tests.factories import make_ai_system
from tests.kit import count_queries
from tests.packs.helpers import decide, make_evidence, make_pack, pdf_text


def rendered_text(pack) -> str:
    data = gather.gather_pack(pack)
    data.parts["ledger"] = ledger_head(pack.management_system, pack.as_of)
    return pdf_text(render.html_to_pdf(render.render_pack_html(data)).content)


def test_pack_shows_soa_decisions_risks_and_evidence_as_of_the_date(world):
    row = decide(world, "A.6.2.4", "included", "Bias testing required by RISK-001.", "implemented")
    decide(world, "A.10.4", "excluded", "We provide AI to no customers.", "not_applicable")
    risk = make_risk(world.acme, world.officer, title="Triage under-prioritises older patients")
    make_evidence(world, title="Bias evaluation Q1", links={"soa_rows": [row], "risks": [risk]})
    pack = make_pack(world, as_of=timezone.now())
    applicability_update(row, user=world.officer, expected_version=row.version, implementation_status="partial")
    text = rendered_text(pack)
    assert "A.6.2.4" in text and "Bias testing required by RISK-001." in text
    assert "We provide AI to no customers." in text and "Excluded" in text
    assert risk.reference in text and "Triage under-prioritises older patients" in text
    assert "EVD-001" in text and "Bias evaluation Q1" in text
    soa_page = text[text.index("Bias testing required") - 400 : text.index("Bias testing required") + 400]
    assert "Implemented" in soa_page and "Partially implemented" not in soa_page  # the value as of the date


def test_gathering_uses_the_same_number_of_queries_for_few_and_many_records(world):
    def count() -> int:
        pack = make_pack(world)
        return count_queries(lambda: gather.gather_pack(pack))

    make_ai_system(world.acme, user=world.officer)
    make_risk(world.acme, world.officer)
    make_evidence(world)
    count()  # content types and other per-process caches filled once
    few = count()
    for n in range(4):
        system = make_ai_system(world.acme, user=world.officer, name=f"System {n}")
        risk = make_risk(world.acme, world.officer, title=f"Risk {n}", ai_systems=[system])
        make_evidence(world, title=f"Evidence {n}", links={"ai_systems": [system], "risks": [risk]})
    assert count() == few


def test_changes_since_the_previous_pack_of_the_same_kind_name_who_changed_what(world):
    from datetime import timedelta

    from packs.models import AuditPack
    from registers.services import ai_system_update

    system = make_ai_system(world.acme, user=world.officer, name="Claims triage")
    previous = make_pack(world, as_of=timezone.now())
    AuditPack.objects.filter(pk=previous.pk).update(status="ready", sha256="0" * 64)
    ai_system_update(
        system,
        user=world.officer,
        expected_version=system.version,
        reason="Moved to operation",
        lifecycle_stage="operation",
    )
    pack = make_pack(world, as_of=timezone.now() + timedelta(seconds=1))
    data = gather.gather_pack(pack)
    assert data.previous_pack == previous
    change = next(c for c in data.changes if getattr(c, "reference", "") == system.reference)
    assert change.history_user_name == "officer" and change.history_change_reason == "Moved to operation"
    assert change.changed_fields == ["lifecycle stage"]
    html = render.render_pack_html(data)
    assert "Moved to operation" in html and "lifecycle stage" in html


def test_a_retired_system_is_listed_as_closed_from_its_retirement_on(world):
    from registers.services import ai_system_retire
    from tests.assessments.helpers import make_assessment

    system = make_ai_system(world.acme, user=world.officer, name="Readmission score")
    make_assessment(world.acme, world.officer, system=system)
    before = make_pack(world, as_of=timezone.now())
    ai_system_retire(system, user=world.officer, expected_version=system.version, reason="Poor calibration.")
    after = make_pack(world, as_of=timezone.now())

    then, now = gather.gather_pack(before), gather.gather_pack(after)

    assert [s.name for s in then.ai_systems] == ["Readmission score"] and then.closed_ai_systems == []
    assert now.ai_systems == [] and [s.retired_reason for s in now.closed_ai_systems] == ["Poor calibration."]
    text = rendered_text(after)
    assert "AI systems closed or withdrawn" in text and "Poor calibration." in text
