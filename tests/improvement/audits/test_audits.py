"""Internal audits (9.2): independence of the auditors, checks that follow the scope, the lead auditor's
report (refused while a check has no result) and its acknowledgement, frozen once signed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from aims.models import SignOff
from assessments import services as assessment_services
from controls.models import Applicability
from improvement.audits import services, signoffs
from improvement.models import AuditCheck, InternalAudit
from tests.assessments.helpers import make_risk
from tests.factories import decide_soa_row, make_ai_system
from tests.improvement.audits.helpers import (
    acknowledge,
    approved_programme,
    clause,
    control,
    make_audit,
    make_programme,
    record_all,
    reportable_audit,
    sign_report,
    start,
)

# --- independence ---------------------------------------------------------------------------------


def test_an_auditor_who_owns_an_ai_system_in_scope_is_refused_with_what_they_own(world):
    system = make_ai_system(world.acme, user=world.officer, name="Triage assistant", owner=world.contributor)
    with pytest.raises(ValidationError) as refused:
        make_audit(world, lead_auditor=world.contributor, scope_ai_systems=[system])
    assert "contributor owns" in str(refused.value) and system.reference in str(refused.value)
    assert "independence override" in str(refused.value)
    assert not InternalAudit.objects.exists()


def test_a_team_member_who_owns_the_soa_row_of_a_control_in_scope_is_refused(world):
    decide_soa_row(world.acme, "A.6.2.8", user=world.officer, owner=world.contributor)
    row = Applicability.objects.get(management_system=world.acme, control__key="A.6.2.8")
    with pytest.raises(ValidationError) as refused:
        make_audit(world, requirements=("A.6.2.8",), team=[world.contributor])
    assert refused.value.message_dict["team"][0].startswith(
        f"contributor owns {row.reference} (the SoA row of A.6.2.8)"
    )


def test_an_auditor_who_owns_a_risk_or_a_treatment_action_linked_to_the_scope_is_refused(world):
    system = make_ai_system(world.acme, user=world.officer)
    risk = make_risk(
        world.acme, world.officer, ai_systems=[system], owner=world.owner,
        actions=[{"description": "Retrain", "owner": world.contributor}],
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        make_audit(world, lead_auditor=world.owner, team=[world.contributor], scope_ai_systems=[system])
    errors = refused.value.message_dict
    assert f"{risk.reference} (a risk linked to the scope)" in errors["lead_auditor"][0]
    assert f"a treatment action of {risk.reference}" in errors["team"][0]


def test_a_risk_linked_to_a_control_in_scope_counts_too(world):
    risk = make_risk(world.acme, world.officer, controls=[control("A.6.2.8")], owner=world.contributor)
    with pytest.raises(ValidationError, match=risk.reference):
        make_audit(world, requirements=("A.6.2.8",), lead_auditor=world.contributor)


def test_an_auditor_who_owns_a_corrective_action_of_an_nc_on_the_scope_is_refused(world):
    from improvement.models import CorrectiveAction
    from improvement.nonconformities.services import nonconformity_create

    nc = nonconformity_create(
        management_system=world.acme, user=world.officer, title="No programme", source="monitoring",
        requirements=[clause("9.2.2")], nature="Never approved.",
    )  # fmt: skip
    action = CorrectiveAction(
        management_system=world.acme, nonconformity=nc, description="Approve it", owner=world.contributor
    )
    action.reference = "CA-001"
    action.save()
    with pytest.raises(ValidationError, match=f"CA-001 \\(a corrective action of {nc.reference}\\)"):
        make_audit(world, lead_auditor=world.contributor)


def test_an_override_reason_lets_the_owner_audit_and_is_kept(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, owner=world.contributor)
    override = "Only person trained on the triage model; reviewed by the officer."
    audit = make_audit(world, lead_auditor=world.contributor, scope_ai_systems=[system], independence_override=override)
    assert audit.independence_override == override
    page = client_as("auditor").get(reverse("improvement:audit_detail", args=[world.acme.pk, audit.pk]))
    body = page.content.decode()
    assert "Override recorded:" in body and override in body and system.reference in body
    report = client_as("auditor").get(reverse("improvement:audit_report", args=[world.acme.pk, audit.pk]))
    assert override in report.content.decode()


def test_changing_the_scope_to_what_an_auditor_owns_is_refused_later_too(world):
    system = make_ai_system(world.acme, user=world.officer, owner=world.contributor)
    audit = make_audit(world, lead_auditor=world.contributor)
    with pytest.raises(ValidationError, match="contributor owns"):
        services.internal_audit_update(
            audit, user=world.officer, expected_version=audit.version, scope_ai_systems=[system]
        )
    assert not InternalAudit.objects.get(pk=audit.pk).scope_ai_systems.exists()


def test_only_owners_and_officers_record_an_independence_override(world):
    audit = make_audit(world, lead_auditor=world.contributor)
    with pytest.raises(PermissionDenied):
        services.internal_audit_update(
            audit, user=world.contributor, expected_version=audit.version, independence_override="I am fine."
        )
    assert InternalAudit.objects.get(pk=audit.pk).independence_override == ""


def test_leadership_and_auditors_cannot_be_auditors_of_an_internal_audit(world):
    with pytest.raises(ValidationError, match="leadership role"):
        make_audit(world, lead_auditor=world.leader)
    with pytest.raises(ValidationError, match="auditor role"):
        make_audit(world, team=[world.auditor])


def test_an_external_lead_needs_a_firm_and_excludes_a_member_lead(world):
    with pytest.raises(ValidationError, match="firm"):
        make_audit(world, external_lead_name="Ada Auditor")
    with pytest.raises(ValidationError, match="not both"):
        make_audit(world, lead_auditor=world.officer, external_lead_name="Ada Auditor", external_lead_firm="Audit & Co")


# --- grants -----------------------------------------------------------------------------------------


def test_contributor_auditors_get_an_edit_grant_that_ends_when_they_leave_the_audit(world):
    audit = make_audit(world, lead_auditor=world.contributor)
    assert access.can(world.contributor, Action.EDIT, audit)
    audit = services.internal_audit_update(audit, user=world.officer, expected_version=audit.version, lead_auditor=None)
    access.forget_cached_access(world.contributor)
    assert not access.can(world.contributor, Action.EDIT, audit)
    audit = services.internal_audit_update(
        audit, user=world.officer, expected_version=audit.version, team=[world.contributor]
    )
    access.forget_cached_access(world.contributor)
    assert access.can(world.contributor, Action.EDIT, audit)


# --- checks -------------------------------------------------------------------------------------------


def test_each_requirement_in_scope_has_a_check_and_a_recorded_check_outlives_the_scope(world):
    audit = make_audit(world, requirements=("9.2.2", "A.6.2.8"), lead_auditor=world.contributor)
    assert sorted(c.requirement.key for c in audit.checks.all()) == ["9.2.2", "A.6.2.8"]
    audit = start(audit, world.officer)
    check = audit.checks.get(requirement__key="9.2.2")
    services.check_record(check, user=world.contributor, expected_version=check.version, result="conforming")
    audit.refresh_from_db()
    audit = services.internal_audit_update(
        audit, user=world.officer, expected_version=audit.version, scope_requirements=[clause("10.2")]
    )
    assert sorted(c.requirement.key for c in audit.checks.all()) == ["10.2", "9.2.2"]  # A.6.2.8 had nothing recorded
    assert AuditCheck.history.filter(audit_id=audit.pk, history_type="-").count() == 1


def test_checks_are_recorded_once_the_audit_started_and_a_stale_check_is_refused(world):
    audit = make_audit(world, lead_auditor=world.contributor)
    check = audit.checks.get()
    with pytest.raises(ValidationError, match="still planned"):
        services.check_record(check, user=world.contributor, expected_version=1, result="conforming")
    start(audit, world.officer)
    services.check_record(check, user=world.contributor, expected_version=1, result="observation", notes="Late.")
    with pytest.raises(services.CheckChanged, match="9.2.2"):
        services.check_record(check, user=world.officer, expected_version=1, result="conforming")
    check.refresh_from_db()
    assert (check.result, check.version) == ("observation", 2)
    assert check.history.first().history_user == world.contributor


def test_an_audit_starts_only_with_a_lead_and_an_approved_programme(world):
    draft = make_programme(world.acme, world.officer)
    audit = make_audit(world, draft)
    with pytest.raises(ValidationError) as refused:
        start(audit, world.officer)
    assert "Name the lead auditor" in str(refused.value) and "once leadership has approved it" in str(refused.value)
    assert InternalAudit.objects.get(pk=audit.pk).status == InternalAudit.Status.PLANNED


# --- the report ---------------------------------------------------------------------------------------


def test_the_report_is_refused_while_a_check_in_scope_has_no_result(world):
    audit = make_audit(world, requirements=("9.2.2", "10.2"), lead_auditor=world.contributor, conclusion="Fine.")
    audit = start(audit, world.officer)
    check = audit.checks.get(requirement__key="9.2.2")
    services.check_record(check, user=world.contributor, expected_version=1, result="conforming")
    audit.refresh_from_db()
    with pytest.raises(ValidationError, match="none yet for 10.2"):
        sign_report(audit, world.contributor)
    assert not SignOff.objects.filter(kind=signoffs.REPORT).exists()
    assert InternalAudit.objects.get(pk=audit.pk).status == InternalAudit.Status.IN_PROGRESS


def test_the_report_needs_a_conclusion_and_a_started_audit(world):
    audit = make_audit(world, lead_auditor=world.contributor)
    blockers = signoffs.report_blockers(audit)
    assert any("still planned" in b for b in blockers) and any("conclusion" in b for b in blockers)


@pytest.mark.parametrize("persona", ["officer", "owner", "leader"])
def test_only_the_lead_auditor_signs_the_report(world, persona):
    audit = reportable_audit(world)
    with pytest.raises(PermissionDenied, match="Only the lead auditor"):
        sign_report(audit, world.users[persona])


def test_signing_the_report_moves_the_audit_to_reported_then_acknowledgement_closes_it(world):
    audit = reportable_audit(world)
    signoff = sign_report(audit, world.contributor)  # the lead records and signs their own report: no four eyes
    audit.refresh_from_db()
    assert audit.status == InternalAudit.Status.REPORTED
    assert f"sign-off #{signoff.sequence}" in audit.history.order_by("-history_id").first().history_change_reason
    assert not ledger.sign_off_status(signoffs.REPORT, audit).changed_since
    acknowledge(audit, world.leader)
    audit.refresh_from_db()
    assert audit.status == InternalAudit.Status.CLOSED
    # Neither transition is a change of the signed report.
    assert not ledger.sign_off_status(signoffs.REPORT, audit).changed_since
    assert not signoffs.annotate_signed([audit], signoffs.REPORT)[0].changed_since_signed
    assert ledger.verify(world.acme)["ok"]


def test_an_external_lead_s_report_is_signed_by_a_team_member_on_their_behalf(world, client_as):
    audit = reportable_audit(world, lead=None, external_lead_name="Ada Lovelace", external_lead_firm="Audit & Co",
                             team=[world.contributor])  # fmt: skip
    with pytest.raises(PermissionDenied, match="on behalf of the external lead"):
        sign_report(audit, world.officer)
    sign_report(audit, world.contributor)
    report = client_as("auditor").get(reverse("improvement:audit_report", args=[world.acme.pk, audit.pk]))
    assert "on behalf of the external lead auditor Ada Lovelace (Audit &amp; Co)" in report.content.decode()


def test_the_report_is_acknowledged_by_leadership_or_the_programme_owner_only(world):
    audit = reportable_audit(world)
    with pytest.raises(ValidationError, match="signs the report first"):
        acknowledge(audit, world.leader)
    sign_report(audit, world.contributor)
    with pytest.raises(PermissionDenied, match="Leadership or the programme's owner"):
        acknowledge(audit, world.auditor)
    assert acknowledge(audit, world.officer).signer == world.officer  # the officer owns the programme


def test_the_lead_who_signed_acknowledges_only_with_a_four_eyes_reason(world):
    programme = approved_programme(world, owner=world.contributor)
    audit = reportable_audit(world, programme=programme)
    sign_report(audit, world.contributor)
    with pytest.raises(ValidationError, match="last change"):
        acknowledge(audit, world.contributor)
    assert acknowledge(audit, world.contributor, override_reason="Sole auditor in this small team.").override_reason


def test_a_signed_report_shows_changed_since_signed_after_a_check_changes(world, client_as):
    audit = reportable_audit(world)
    sign_report(audit, world.contributor)
    check = InternalAudit.objects.get(pk=audit.pk).checks.get()
    services.check_record(check, user=world.contributor, expected_version=check.version, result="nonconformity")
    audit.refresh_from_db()
    assert ledger.sign_off_status(signoffs.REPORT, audit).changed_since
    page = client_as("leader").get(reverse("improvement:audit_detail", args=[world.acme.pk, audit.pk]))
    assert "Changed since signed" in page.content.decode()
    with pytest.raises(ValidationError, match="signs it again first"):
        acknowledge(audit, world.leader)
    assert InternalAudit.objects.get(pk=audit.pk).status == InternalAudit.Status.REPORTED


def test_report_signing_page_signs_as_the_lead(world, client_as):
    from tests.kit import sign_data

    audit = reportable_audit(world)
    url = reverse("improvement:audit_sign_report", args=[world.acme.pk, audit.pk])
    response = client_as("contributor").post(url, sign_data(signoffs.REPORT, audit, signer=world.contributor))
    assert response.status_code == 302
    assert InternalAudit.objects.get(pk=audit.pk).status == InternalAudit.Status.REPORTED


def test_a_withdrawn_audit_s_report_is_not_signed(world):
    audit = reportable_audit(world)
    audit = services.internal_audit_withdraw(audit, user=world.officer, expected_version=audit.version, reason="Moved")
    with pytest.raises(ValidationError, match="withdrawn"):
        sign_report(audit, world.contributor)


def test_an_audit_with_findings_or_sign_offs_is_withdrawn_not_deleted(world):
    audit = reportable_audit(world)
    sign_report(audit, world.contributor)
    with pytest.raises(ValidationError, match="sign-off"):
        services.internal_audit_delete(
            audit, user=world.officer, expected_version=InternalAudit.objects.get(pk=audit.pk).version
        )
    assert InternalAudit.objects.filter(pk=audit.pk).exists()


def test_a_plain_planned_audit_is_deleted_with_its_checks(world):
    audit = make_audit(world)
    services.internal_audit_delete(audit, user=world.officer, expected_version=audit.version)
    assert not InternalAudit.objects.exists() and not AuditCheck.objects.exists()
    assert InternalAudit.history.filter(id=audit.pk, history_type="-").exists()


def test_record_all_helper_records_every_check(world):
    audit = start(make_audit(world, requirements=("9.2.2", "10.2"), lead_auditor=world.contributor), world.officer)
    assert set(record_all(audit, world.contributor).checks.values_list("result", flat=True)) == {"conforming"}
    assert assessment_services  # the risk helpers above write through the assessments services


def test_the_history_shows_each_transition_and_the_independence_override(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, owner=world.contributor)
    audit = make_audit(world, lead_auditor=world.contributor, scope_ai_systems=[system], independence_override="First.")
    audit = services.internal_audit_update(
        audit, user=world.officer, expected_version=audit.version, independence_override="Only trained auditor."
    )
    start(audit, world.officer)
    page = client_as("auditor").get(reverse("improvement:audit_history", args=[world.acme.pk, audit.pk]))
    body = page.content.decode()
    assert "Independence override" in body and "Only trained auditor." in body
    assert "Planned" in body and "In progress" in body and "Started" in body
