"""The document register and the AI policy in audit packs, as of the pack's date."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aims.pack_sections import FULL, STAGE1, STAGE2, PackData, pack_section, sections_for
from governance.documents import services
from governance.documents.pack import register_as_of
from packs import gather, render
from packs.models import AuditPack
from packs.services import ledger_head
from tests.governance.documents_helpers import approve, document, in_review, make_top_management
from tests.kit import count_queries
from tests.packs.helpers import make_pack, pdf_text

EVIL = "<img src='file:///etc/passwd'>"


def _html(world, **kw) -> tuple[str, object]:
    pack = make_pack(world, kind=AuditPack.Kind.STAGE1, **kw)
    data = gather.gather_pack(pack)
    data.parts["ledger"] = ledger_head(pack.management_system, pack.as_of)
    return render.render_pack_html(data), data


def _policy_v1_then_v2(world):
    make_top_management(world, world.leader)
    v1 = approve(world, in_review(world, body="# AI policy\n\nVersion one text.\n"))
    between = timezone.now()
    services.version_new(v1.document, user=world.officer)
    v2 = approve(world, in_review(world, body=f"# AI policy\n\nVersion two text. {EVIL}\n\n[x](javascript:alert(1))\n"))
    services.acknowledge(v2, user=world.contributor)
    return v1, v2, between


def test_sections_are_in_stage_1_and_full_packs_in_the_auditors_order():
    for kind in (STAGE1, FULL):
        keys = [s.key for s in sections_for(kind)]
        assert keys[0] == "document_register" and keys.index("scope") < keys.index("ai_policy")
    assert {"document_register", "ai_policy"}.isdisjoint(s.key for s in sections_for(STAGE2))
    assert pack_section("document_register").clause == "7.5" and pack_section("ai_policy").clause == "5.2, A.2"


def test_the_pack_shows_the_policy_approved_on_its_date_with_approver_checklist_and_acknowledgements(world):
    v1, v2, between = _policy_v1_then_v2(world)
    html, data = _html(world)
    policy = data.parts["ai_policy"]
    assert policy.approved.number == 2 and "Version two text." in html and "Version one text." not in html
    assert "&lt;img src='file:///etc/passwd'&gt;" in html and EVIL not in html
    assert 'href="javascript' not in html
    assert "Version 2 approved by leader" in html and "Leader lead" in html  # approver and their title
    control = data.parts["document_controls"]["ai_policy"]
    assert control.identifier == "AIMS-POL-001" and control.version == "Version 2 (approved)"
    assert control.approval.signoff.signer_id == world.leader.pk and not control.approval.changed_since
    assert control.next_review == document(world).next_review_on
    rates = {v.row.number: (v.acknowledged, v.expected, v.rate) for v in policy.versions}
    assert rates == {2: (1, 4, 25), 1: (0, 4, 0)}
    assert "appropriate to the purpose of the organisation" in html

    earlier, _data = _html(world, as_of=between)
    assert "Version one text." in earlier and "Version two text." not in earlier
    assert "Version 1 approved by leader" in earlier


def test_the_document_register_lists_approved_versions_approvers_and_overdue_reviews(world):
    version = approve(world, in_review(world, "risk_assessment_process", checklist=False))
    doc = version.document
    doc.refresh_from_db()
    services.document_update(
        doc, user=world.officer, expected_version=doc.version, next_review_on=timezone.localdate() - timedelta(days=3)
    )
    html, data = _html(world)
    rows = {row.document.identifier: row for row in data.parts["document_register"].rows}
    assert rows["AIMS-PRO-001"].approved.number == 1 and rows["AIMS-PRO-001"].overdue
    assert rows["AIMS-PRO-001"].approval.signer_id == world.leader.pk
    assert rows["AIMS-POL-001"].approved is None and rows["AIMS-POL-001"].in_progress.number == 1
    assert "AIMS-PRO-001" in html and "overdue" in html and "Not approved" in html
    assert "1 of 12 documents approved" in " ".join(html.split())


def test_gathering_uses_a_constant_number_of_queries(world):
    def count() -> int:
        pack = make_pack(world, kind=AuditPack.Kind.STAGE1)
        return count_queries(lambda: register_as_of(PackData(
            pack=pack, management_system=world.acme, sections=[], generated_at=timezone.now())))  # fmt: skip

    few = count()
    for key in ("risk_assessment_process", "risk_treatment_process"):
        approve(world, in_review(world, key, checklist=False))
    assert count() == few


def test_the_pdf_prints_the_policy_text_and_its_approval(world):
    _policy_v1_then_v2(world)
    pack = make_pack(world, kind=AuditPack.Kind.STAGE1)
    data = gather.gather_pack(pack)
    data.parts["ledger"] = ledger_head(pack.management_system, pack.as_of)
    text = pdf_text(render.html_to_pdf(render.render_pack_html(data)).content)
    assert "Version two text." in text and "AIMS-POL-001" in text and "Document register" in text
