"""Which packs hold the improvement loop's sections, where, under which clause; empty registers say so."""

from __future__ import annotations

from aims.pack_sections import FULL, STAGE1, STAGE2, pack_section, sections_for
from packs.models import AuditPack
from tests.improvement.packs.helpers import improvement_loop
from tests.packs.helpers import make_pack
from tests.packs.test_content import rendered_text

STAGE1_ONLY = {"audit_programme", "audit_conclusions", "nc_summary"}
IN_FULL = {"audit_programme", "audit_reports", "nc_summary", "nonconformities", "incidents"}
STAGE2_ONLY = {"audit_reports", "nonconformities", "incidents"}
OURS = STAGE1_ONLY | IN_FULL


def keys(kind: str) -> list[str]:
    return [section.key for section in sections_for(kind)]


def test_stage_1_holds_the_programme_the_latest_conclusions_and_the_nc_summary_only():
    assert set(keys(STAGE1)) & OURS == STAGE1_ONLY


def test_stage_2_holds_every_report_nc_and_incident_in_full_only():
    assert set(keys(STAGE2)) & OURS == STAGE2_ONLY


def test_the_full_pack_holds_the_programme_summary_and_every_record_in_full():
    assert set(keys(FULL)) & OURS == IN_FULL


def test_sections_follow_impact_assessments_and_precede_the_sign_off_chain_in_the_auditors_order():
    for kind in (STAGE1, STAGE2, FULL):
        order = keys(kind)
        ours = [key for key in order if key in OURS]
        assert order.index("impact") < order.index(ours[0]) and order.index(ours[-1]) < order.index("signoffs")
    full = keys(FULL)
    assert full.index("audit_programme") < full.index("audit_reports") < full.index("nc_summary")
    assert full.index("nc_summary") < full.index("nonconformities") < full.index("incidents")


def test_each_section_names_the_clause_it_evidences():
    assert pack_section("audit_programme").clause == "9.2.2"
    assert pack_section("audit_conclusions").clause == pack_section("audit_reports").clause == "9.2"
    assert pack_section("nc_summary").clause == pack_section("nonconformities").clause == "10.2"
    assert pack_section("incidents").clause == "A.3.3, A.8.4"


def test_empty_registers_say_so_plainly_in_every_kind_of_pack(world):
    stage1 = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE1))
    stage2 = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE2))
    assert "Internal audit programme" in stage1 and "No internal audit programme approved as of" in stage1
    assert "No internal audit reported as of" in stage1 and "No nonconformity recorded as of" in stage1
    assert "No internal audit recorded as of" in stage2 and "No nonconformity recorded as of" in stage2
    assert "No AI incident or concern recorded as of" in stage2


def test_a_full_pack_renders_when_no_family_has_registered_its_sign_off_kinds(world, no_improvement_kinds):
    improvement_loop(world, signed=False)
    text = rendered_text(make_pack(world, kind=AuditPack.Kind.FULL))
    assert "IAP-001" in text and "IA-001" in text and "NC-001" in text and "INC-002" in text
    assert "Not signed by" in text
