"""The packs read in the auditor's order: Stage 1 from the document register to the evidence index."""

from __future__ import annotations

import re

from aims.pack_sections import FULL, STAGE1, STAGE2, sections_for
from assessments import services as risk_services
from packs import gather, render
from packs.models import AuditPack
from tests.assessments.helpers import make_risk
from tests.packs.helpers import make_pack

STAGE1_ORDER = [
    "document_register",
    "aims_scope",
    "scope",
    "inventory",
    "context_legal",
    "ai_policy",
    "roles_competence",
    "members",
    "objectives",
    "risk_criteria",
    "risks",
    "treatment",
    "soa",
    "impact",
    "audit_programme",
    "audit_conclusions",
    "management_reviews",
    "nc_summary",
    "readiness",
    "signoffs",
    "evidence",
]


def keys(kind: str) -> list[str]:
    return [section.key for section in sections_for(kind)]


def test_stage_1_reads_from_the_document_register_to_the_evidence_index():
    registered = keys(STAGE1)
    assert registered == STAGE1_ORDER


def test_minutes_follow_the_audits_and_the_readiness_statement_precedes_the_sign_off_chain():
    orders = {section.key: section.order for section in sections_for(FULL)}
    assert orders["audit_reports"] < orders["management_reviews"] < orders["nc_summary"] <= orders["nonconformities"]
    assert orders["incidents"] < orders["readiness"] < orders["signoffs"] < orders["evidence"]


def test_the_full_pack_holds_every_section_in_the_same_order_and_stage_2_ends_with_trails_changes_evidence():
    full, stage1, stage2 = keys(FULL), keys(STAGE1), keys(STAGE2)
    assert set(full) == (set(stage1) | set(stage2)) - {"audit_conclusions"}  # full has the reports in full
    for kind in (stage1, stage2):
        shared = [key for key in kind if key in full]
        assert shared == [key for key in full if key in shared]
    assert stage2[-3:] == ["ai_system_trails", "changes", "evidence"] and full[-1] == "evidence"


def test_a_stage_1_pack_renders_chapters_in_that_order_and_shows_whether_an_acceptance_holds(world):
    risk = make_risk(world.acme, world.officer, owner=world.contributor, residual_likelihood=2, residual_consequence=2)
    risk_services.risk_accept(
        risk, user=world.contributor, expected_version=risk.version, statement="Accepted.", verification="password"
    )
    html = render.render_pack_html(gather.gather_pack(make_pack(world, kind=AuditPack.Kind.STAGE1)))
    chapters = re.findall(r'<section class="chapter" id="sec-([a-z_]+)"', html)
    assert chapters == keys(STAGE1)
    treatment = html[html.index('id="sec-treatment"') : html.index('id="sec-soa"')]
    assert risk.reference in treatment and "Version 1 accepted by" in treatment and "Unchanged on" in treatment
