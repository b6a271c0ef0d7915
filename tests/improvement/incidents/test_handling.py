"""Handling an incident: triage to its outcome, status steps and their refusals, the append-only timeline,
leadership's signed reporting decision (four eyes), and anonymous concerns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from aims import ledger
from aims.models import AppendOnlyError, SignOff
from aims.services import StaleVersionError
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from improvement.incidents import services, signoffs
from improvement.models import Incident, Nonconformity, ReportingObligation, TimelineEntry
from tests.assessments.helpers import make_assessment, make_risk
from tests.factories import make_ai_system
from tests.improvement.incidents.conftest import make_incident

Status = Incident.Status


def fresh(incident):
    return Incident.objects.get(pk=incident.pk)


def triage_none(incident, user, reason="A user error, not a system fault."):
    return services.incident_triage(
        incident, user=user, expected_version=incident.version, outcome="none", reason=reason
    )


def move(incident, user, to, reason="Step"):
    return services.incident_transition(incident, user=user, expected_version=incident.version, to=to, reason=reason)


def decide(incident, user, decision="report", **extra):
    return services.incident_decide_reporting(
        incident,
        user=user,
        expected_version=incident.version,
        decision=decision,
        reason=extra.pop("reason", "It may have harmed a patient."),
        statement="Decided after review.",
        verification="password",
        **extra,
    )


# --- triage ------------------------------------------------------------------------------------------


def test_triage_to_a_nonconformity_raises_it_linked_to_the_incident_in_one_version(world):
    incident = make_incident(world.acme, world.officer)
    requirements = [
        Control.objects.get(framework__key=ANNEX_A, key="A.8.4"),
        Control.objects.get(framework__key=CLAUSES, key="10.2"),
    ]
    triaged = services.incident_triage(
        incident,
        user=world.officer,
        expected_version=1,
        outcome="nonconformity",
        reason="The escalation procedure was not followed.",
        requirements=requirements,
        nc_grade="major",
    )
    nc = Nonconformity.objects.get()
    assert nc.source == "incident" and nc.source_incident == triaged and nc.grade == "major"
    assert set(nc.requirements.all()) == set(requirements)
    assert nc.history.get().history_user == world.officer
    assert triaged.status == Status.TRIAGED and triaged.outcome == "nonconformity" and triaged.version == 2
    version = triaged.history.order_by("-history_id").first()
    assert version.history_change_reason == f"Triaged: Nonconformity raised: {nc.reference}"
    assert list(triaged.nonconformities.all()) == [nc]


def test_triage_to_a_nonconformity_without_requirements_saves_nothing(world):
    incident = make_incident(world.acme, world.officer)
    with pytest.raises(ValidationError) as refused:
        services.incident_triage(incident, user=world.officer, expected_version=1, outcome="nonconformity", reason="R")
    assert "requirements" in refused.value.message_dict
    assert not Nonconformity.objects.exists() and fresh(incident).version == 1


def test_triage_links_a_risk_or_an_impact_assessment_of_the_same_management_system(world):
    incident = make_incident(world.acme, world.officer)
    risk = make_risk(world.acme, world.officer)
    triaged = services.incident_triage(
        incident, user=world.officer, expected_version=1, outcome="risk", reason="Raises the risk.", risk=risk
    )
    assert triaged.outcome_risk == risk and triaged.status == Status.TRIAGED
    assessment = make_assessment(world.acme, world.officer)
    retriaged = services.incident_triage(
        triaged,
        user=world.officer,
        expected_version=2,
        outcome="reassessment",
        reason="The assessment missed this use.",
        impact_assessment=assessment,
    )
    assert retriaged.outcome_impact_assessment == assessment and retriaged.outcome_risk is None
    foreign = make_risk(world.northwind, world.outsider)
    with pytest.raises(ValidationError, match="another management system"):
        services.incident_triage(
            retriaged, user=world.officer, expected_version=3, outcome="risk", reason="R", risk=foreign
        )


@pytest.mark.parametrize(
    "outcome,extra,field",
    [
        ("risk", {}, "risk"),
        ("reassessment", {}, "impact_assessment"),
        ("none", {"reason": " "}, "reason"),
        ("", {}, "outcome"),
    ],
)
def test_triage_refuses_an_outcome_without_what_it_needs(world, outcome, extra, field):
    incident = make_incident(world.acme, world.officer)
    with pytest.raises(ValidationError) as refused:
        services.incident_triage(
            incident, user=world.officer, expected_version=1, outcome=outcome, **{"reason": "Why", **extra}
        )
    assert field in refused.value.message_dict
    assert fresh(incident).outcome == ""


# --- status --------------------------------------------------------------------------------------------


def test_an_incident_goes_reported_triaged_resolved_closed_each_a_version_with_its_reason(world):
    incident = make_incident(world.acme, world.officer)
    incident = triage_none(incident, world.officer)
    incident = move(incident, world.officer, "resolved", "Prompt filter deployed")
    incident = move(incident, world.officer, "closed", "No recurrence in two weeks")
    assert incident.status == Status.CLOSED and incident.closed_at is not None
    reasons = list(incident.history.order_by("history_id").values_list("status", "history_change_reason"))
    assert reasons[-2:] == [
        ("resolved", "Resolved: Prompt filter deployed"),
        ("closed", "Closed: No recurrence in two weeks"),
    ]
    texts = [e.text for e in TimelineEntry.objects.filter(incident=incident)]
    assert "Status resolved → closed: No recurrence in two weeks" in texts


def test_an_incident_cannot_be_closed_before_triage(world):
    incident = make_incident(world.acme, world.officer)
    with pytest.raises(ValidationError, match="Triage the incident"):
        move(incident, world.officer, "triaged")
    with pytest.raises(ValidationError, match="cannot move to closed"):
        move(incident, world.officer, "closed")
    assert fresh(incident).status == Status.REPORTED


def test_an_incident_cannot_be_closed_while_an_obligation_is_neither_submitted_nor_waived(world):
    incident = make_incident(world.acme, world.officer, personal_data_breach=True)
    incident = move(triage_none(incident, world.officer), world.officer, "resolved")
    with pytest.raises(ValidationError) as refused:
        move(incident, world.officer, "closed")
    assert "GDPR: notification of a personal data breach: record its submission" in " ".join(refused.value.messages)
    assert fresh(incident).status == Status.RESOLVED
    obligation = ReportingObligation.objects.get(incident=incident)
    services.obligation_settle(
        obligation,
        user=world.officer,
        expected_version=1,
        submitted_on=timezone.now(),
        submission_reference="DPA-2026-118",
    )
    assert move(fresh(incident), world.officer, "closed").status == Status.CLOSED


def test_a_possibly_serious_incident_is_not_closed_without_leadership_s_decision(world, serious):
    incident = move(triage_none(serious, world.officer), world.officer, "resolved")
    obligation = ReportingObligation.objects.get(incident=incident)
    services.obligation_settle(
        obligation, user=world.officer, expected_version=1, submitted_on=timezone.now(), submission_reference="MSA-1"
    )
    with pytest.raises(ValidationError, match="leadership signs the decision"):
        move(fresh(incident), world.officer, "closed")


def test_a_closed_or_withdrawn_incident_is_not_edited_triaged_or_moved(world):
    incident = move(
        move(triage_none(make_incident(world.acme, world.officer), world.officer), world.officer, "resolved"),
        world.officer,
        "closed",
    )
    with pytest.raises(ValidationError, match="is closed"):
        services.incident_update(incident, user=world.officer, expected_version=incident.version, title="New")
    with pytest.raises(ValidationError, match="is closed"):
        triage_none(incident, world.officer)
    other = services.incident_withdraw(
        make_incident(world.acme, world.officer), user=world.officer, expected_version=1, reason="Duplicate of INC-001"
    )
    assert other.is_retired and other.retired_reason == "Duplicate of INC-001"
    with pytest.raises(ValidationError, match="withdrawn"):
        move(other, world.officer, "resolved")


def test_obligation_settlement_refusals(world):
    incident = make_incident(world.acme, world.officer, personal_data_breach=True)
    obligation = ReportingObligation.objects.get(incident=incident)
    now = timezone.now()
    cases = [
        ({"submitted_on": now, "waived_reason": "No"}, "either submitted or waived"),
        ({"submitted_on": now}, "reference the authority gave"),
        ({"submission_reference": "X"}, "moment the report was submitted"),
        ({"submitted_on": now + timedelta(days=1), "submission_reference": "X"}, "in the future"),
        (
            {"submitted_on": incident.detected_at - timedelta(days=1), "submission_reference": "X"},
            "before the incident",
        ),
    ]
    for fields, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.obligation_settle(obligation, user=world.officer, expected_version=1, **fields)
    with pytest.raises(StaleVersionError):
        services.obligation_settle(obligation, user=world.officer, expected_version=7, waived_reason="No risk.")
    assert ReportingObligation.objects.get(pk=obligation.pk).version == 1


# --- the timeline --------------------------------------------------------------------------------------


def test_the_timeline_is_append_only_in_the_model_its_queries_and_the_admin(world):
    incident = make_incident(world.acme, world.officer)
    entry = services.timeline_append(incident, user=world.officer, text="Vendor informed.")
    entry.text = "Rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        TimelineEntry.objects.filter(pk=entry.pk).update(text="Rewritten")
    with pytest.raises(AppendOnlyError):
        TimelineEntry.objects.filter(pk=entry.pk).delete()
    assert TimelineEntry.objects.get(pk=entry.pk).text == "Vendor informed."
    assert TimelineEntry not in admin.site._registry and Incident not in admin.site._registry


def test_a_timeline_entry_needs_text_and_a_moment_that_has_passed(world):
    incident = make_incident(world.acme, world.officer)
    with pytest.raises(ValidationError, match="Write what happened"):
        services.timeline_append(incident, user=world.officer, text="  ")
    with pytest.raises(ValidationError, match="in the future"):
        services.timeline_append(incident, user=world.officer, text="T", at=timezone.now() + timedelta(days=1))


# --- the reporting decision ------------------------------------------------------------------------------


def test_leadership_decides_to_report_and_the_signed_version_carries_the_decision(world, serious):
    signoff = decide(serious, world.leader)
    incident = fresh(serious)
    assert incident.report_decision == "report" and incident.report_decision_reason == "It may have harmed a patient."
    [signed] = ledger.load_versions(ledger._version_keys(signoff)).values()
    assert signed["report_decision"] == "report" and signed["report_decision_reason"] == incident.report_decision_reason
    assert signoff.kind == signoffs.KIND and signoff.signer == world.leader
    assert ledger.verify(world.acme)["ok"]
    # Handling it further does not make the decision "changed since signed"; a change of the facts does.
    incident = move(triage_none(incident, world.officer), world.officer, "resolved")
    assert not ledger.sign_off_status(signoffs.KIND, incident).changed_since
    services.incident_update(incident, user=world.officer, expected_version=incident.version, death_possible=True)
    assert ledger.sign_off_status(signoffs.KIND, fresh(incident)).changed_since


def test_a_decision_not_to_report_waives_the_open_obligations_with_its_reason(world, serious):
    decide(serious, world.leader, decision="do_not_report", reason="The advice was never followed: no harm.")
    obligation = ReportingObligation.objects.get(incident=serious)
    assert obligation.is_settled
    assert obligation.waived_reason == "Leadership decided not to report: The advice was never followed: no harm."
    assert obligation.history.order_by("-history_id").first().history_user == world.leader


@pytest.mark.parametrize("persona", ["officer", "contributor", "auditor"])
def test_the_reporting_decision_is_not_taken_by_anyone_but_leadership(world, serious, persona):
    with pytest.raises(PermissionDenied):
        decide(serious, world.users[persona])
    assert fresh(serious).report_decision == "" and not SignOff.objects.exists()


def test_whoever_last_changed_the_facts_does_not_sign_the_decision_alone(world, serious):
    incident = services.incident_update(
        serious, user=world.leader, expected_version=1, severity="critical", reason="Worse than thought"
    )
    with pytest.raises(ValidationError) as refused:
        decide(incident, world.leader)
    assert "override_reason" in refused.value.message_dict
    assert fresh(incident).report_decision == "" and not SignOff.objects.exists()  # nothing recorded
    assert not signoffs.signs_own_facts(world.owner, incident)
    signoff = decide(fresh(incident), world.leader, override_reason="The other leader is on leave.")
    assert signoff.override_reason == "The other leader is on leave."


def test_a_decision_is_refused_for_an_incident_that_is_not_possibly_serious(world):
    incident = make_incident(world.acme, world.officer)
    with pytest.raises(ValidationError, match="Only a possibly serious incident"):
        decide(incident, world.leader)


def test_a_wrong_second_factor_records_no_decision(world, serious):
    with pytest.raises(ValidationError):
        services.incident_decide_reporting(
            serious, user=world.leader, expected_version=1, decision="report", reason="R", statement="S",
            verification=lambda: (_ for _ in ()).throw(ValidationError({"second_factor": "Wrong code."})),
        )  # fmt: skip
    assert fresh(serious).report_decision == "" and fresh(serious).version == 1


# --- concerns --------------------------------------------------------------------------------------------


def test_an_anonymous_concern_names_nobody_in_the_record_its_history_or_its_timeline(world):
    system = make_ai_system(world.acme, user=world.officer)
    incident = services.concern_raise(
        management_system=world.acme,
        user=world.contributor,
        title="The chatbot mocks accents",
        description="It answered a caller in a mocking tone.",
        ai_systems=[system],
        anonymous=True,
    )
    assert incident.status == Status.REPORTED and incident.channel == "staff_concern"
    assert incident.reporter is None and incident.anonymous
    assert list(incident.history.values_list("history_user", flat=True)) == [None]
    assert list(incident.history.get().ai_systems.values_list("aisystem", flat=True)) == [system.pk]
    assert list(TimelineEntry.objects.filter(incident=incident).values_list("author", flat=True)) == [None]
    assert not Incident.objects.filter(reporter=world.contributor).exists()


def test_a_named_concern_records_its_reporter(world):
    incident = services.concern_raise(
        management_system=world.acme, user=world.contributor, title="Odd answers", description="D"
    )
    assert incident.reporter == world.contributor and not incident.anonymous
    assert incident.history.get().history_user == world.contributor


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_on_postgresql_the_database_refuses_to_change_or_delete_a_timeline_entry(world):
    from django.db import DatabaseError, transaction

    # The trigger is the migration's (improvement/migrations/0002_timeline_append_only.py).
    incident = make_incident(world.acme, world.officer)
    entry = services.timeline_append(incident, user=world.officer, text="Vendor informed.")
    for sql in ("UPDATE improvement_timelineentry SET text = 'x' WHERE id = %s",
                "DELETE FROM improvement_timelineentry WHERE id = %s"):  # fmt: skip
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    with connection.cursor() as cursor:  # a removed account leaves the entry without its author
        cursor.execute("UPDATE improvement_timelineentry SET author_id = NULL WHERE id = %s", [entry.pk])
    assert TimelineEntry.objects.get(pk=entry.pk).author_id is None


def test_history_shows_each_step_of_the_handling_as_a_field_change(world):
    from aims.history import versions_of
    from improvement.incidents.selectors import history_of

    incident = move(triage_none(make_incident(world.acme, world.officer), world.officer), world.officer, "resolved")
    resolved, triaged, _created = versions_of(history_of(incident), Incident)
    assert {(c.field, c.old, c.new) for c in resolved.changes} == {("status", "Triaged", "Resolved")}
    assert ("outcome", "Not triaged yet", "No further action") in {(c.field, c.old, c.new) for c in triaged.changes}
    assert ("status", "Reported", "Triaged") in {(c.field, c.old, c.new) for c in triaged.changes}
