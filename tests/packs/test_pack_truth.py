"""What a pack says must be true as of its date: sign-off currency, complete text, document control."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aims import ledger
from assessments import services as risk_services
from controls import services as soa_services
from controls.signoffs import SOA
from packs.models import AuditPack
from tests.assessments.helpers import make_risk
from tests.controls.helpers import decide_all
from tests.packs.helpers import decide, make_pack
from tests.packs.test_content import rendered_text

LONG = " ".join(f"Sentence {n} of a long justification that an auditor reads to the end." for n in range(40))


def _accept(risk, user):
    return risk_services.risk_accept(
        risk, user=user, expected_version=risk.version, statement="Accepted with the plan.", verification="password"
    )


def _approve_soa(world):
    return soa_services.soa_approve(  # every row is decided first (tests.controls.helpers.decide_all)
        management_system=world.acme,
        user=world.leader,
        statement="SoA approved.",
        confirmed=True,
        verification="password",
        expected_token=ledger.version_token(SOA, world.acme),
    )


def test_an_acceptance_holds_in_a_pack_dated_before_the_change_and_not_after(world):
    risk = make_risk(world.acme, world.officer, owner=world.contributor, residual_likelihood=2, residual_consequence=2)
    _accept(risk, world.contributor)
    before = timezone.now()
    risk.refresh_from_db()
    risk_services.risk_update(
        risk,
        user=world.officer,
        expected_version=risk.version,
        reason="Worse than thought",
        residual_likelihood=3,
        treatment_plan="A new plan.",
    )
    early = rendered_text(make_pack(world, as_of=before))
    late = rendered_text(make_pack(world, as_of=timezone.now()))

    signer = "Contributor lead"  # the job title the signer gave, recorded with the signature
    assert "Version 1 accepted by" in early and signer in early and "Unchanged on" in early
    assert "Changed since acceptance" not in early
    assert "Changed since acceptance" in late and "version 2 stands" in late
    changed = late[late.index("Changed after that sign-off") :][:400]
    assert "residual likelihood" in changed and "treatment plan" in changed


def test_the_soa_banner_names_the_approval_and_each_row_changed_since(world):
    decide_all(world.acme, world.officer)
    row = decide(world, "A.6.2.4", "included", "Bias testing required.", "implemented")
    not_yet = rendered_text(make_pack(world, as_of=timezone.now()))
    assert "Not approved by" in not_yet and "Draft: not approved by this date" in not_yet

    signoff = _approve_soa(world)
    approved_at = timezone.now()
    row.refresh_from_db()
    soa_services.applicability_update(
        row, user=world.officer, expected_version=row.version, justification="Bias testing is now monthly."
    )
    early = rendered_text(make_pack(world, as_of=approved_at))
    late = rendered_text(make_pack(world, as_of=timezone.now()))

    assert f"(sign-off #{signoff.sequence})" in early and "Leader lead" in early
    assert f"As approved in sign-off #{signoff.sequence}" in early and "Changed since approval" not in early
    assert "Changed since approval" in late and "1 row changed since" in late
    banner = late[late.index("Changed after that sign-off") :][:300]
    assert "A.6.2.4: justification" in banner


def test_packs_print_long_texts_in_full(world):
    decide(world, "A.6.2.4", "included", LONG, "implemented")
    make_risk(world.acme, world.officer, description=LONG + " Risk end.", treatment_plan=LONG + " Plan end.")
    text = rendered_text(make_pack(world))
    assert text.count("Sentence 39 of a long justification") >= 3  # SoA justification, risk description, plan
    assert "Risk end." in text and "Plan end." in text


def test_every_section_has_a_document_control_block_and_the_soa_names_its_approver(world):
    decide_all(world.acme, world.officer)
    decide(world, "A.6.2.4", "included", "Bias testing required.", "implemented")
    _approve_soa(world)
    text = rendered_text(make_pack(world))
    pack = AuditPack.objects.latest("pk")
    assert text.count("Document AIMS") >= 5  # one block per section, each with its identifier
    assert f"AIMS{pack.management_system_id}-SOA" in text
    soa_block = text[text.index(f"AIMS{pack.management_system_id}-SOA") :][:500]
    assert "Owner" in soa_block and "Approval" in soa_block and "Leader lead" in soa_block


def test_members_are_register_access_not_clause_5_3_roles(world):
    text = rendered_text(make_pack(world))
    assert "Register access" in text and "Roles and members" not in text
    assert "not the AIMS roles" in text and "Officer lead" in text


def test_a_stage_2_pack_holds_the_risk_register_with_assessment_dates_and_history(world):
    risk = make_risk(world.acme, world.officer, title="Drift in triage scores")
    risk_services.risk_update(
        risk, user=world.officer, expected_version=risk.version, reason="Quarterly review", likelihood=2
    )
    text = rendered_text(make_pack(world, kind=AuditPack.Kind.STAGE2))
    assert "Risk register" in text and "Drift in triage scores" in text
    history = text[text.index("Assessment and review history") :]
    assert risk.reference in history and "Quarterly review" in history


def test_a_pack_dated_before_a_later_acceptance_says_not_accepted(world):
    risk = make_risk(world.acme, world.officer, owner=world.contributor, residual_likelihood=2, residual_consequence=2)
    before = timezone.now() - timedelta(microseconds=1)
    _accept(risk, world.contributor)
    text = rendered_text(make_pack(world, as_of=before))
    assert "Not accepted by" in text
