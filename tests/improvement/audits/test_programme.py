"""The audit programme (9.2.2): planned items, leadership approval with its blockers and four eyes,
activation and closing with a reason, and "changed since approved" after an edit."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from aims import ledger
from aims.models import SignOff
from improvement.audits import services, signoffs
from improvement.models import AuditProgramme, ProgrammeItem
from tests.improvement.audits.helpers import (
    approve,
    approved_programme,
    clause,
    control,
    make_audit,
    make_programme,
    planner,
    record_all,
    sign_report,
    start,
)
from tests.kit import sign_data


def test_a_programme_starts_as_a_draft_with_its_planned_items(world):
    programme = make_programme(
        world.acme,
        world.officer,
        items=[
            {"requirement": clause("9.2.2"), "planned_quarter": "2026-Q2"},
            {"requirement": control("A.6.2.8"), "planned_quarter": "2026-Q3"},
            {"process": "Incident handling", "planned_quarter": "2026-q4"},
        ],
    )
    assert programme.reference == "IAP-001" and programme.status == AuditProgramme.Status.DRAFT
    items = list(programme.items.order_by("planned_quarter"))
    assert [i.planned_quarter for i in items] == ["2026-Q2", "2026-Q3", "2026-Q4"]
    assert ProgrammeItem.history.filter(programme_id=programme.pk, history_user=world.officer).count() == 3


@pytest.mark.parametrize(
    "item, message",
    [
        ({"requirement": None, "planned_quarter": "2026-Q1"}, "one thing per row"),
        ({"process": "Design reviews", "planned_quarter": "Q3 2026"}, "for example 2026-Q3"),
    ],
)
def test_a_planned_item_names_one_subject_and_a_quarter(world, item, message):
    with pytest.raises(ValidationError, match=message):
        make_programme(world.acme, world.officer, items=[item])
    assert not AuditProgramme.objects.exists()


def test_the_cycle_ends_after_it_starts(world):
    with pytest.raises(ValidationError, match="ends after it starts"):
        make_programme(world.acme, world.officer, period_start=date(2026, 6, 1), period_end=date(2026, 1, 1))


@pytest.mark.parametrize(
    "fields, blocker",
    [
        ({"items": []}, "Plan at least one audit"),
        ({"period_start": None, "period_end": None}, "Set the cycle's period"),
        ({"objectives": ""}, "objectives"),
        ({"owner": None}, "programme's owner"),
        ({"items": [{"process": "Procurement", "planned_quarter": "2027-Q1"}]}, "outside the cycle: 2027-Q1"),
    ],
)
def test_approval_is_refused_while_a_blocker_remains(world, fields, blocker):
    fields.setdefault("owner", world.officer)
    programme = make_programme(world.acme, planner(), **fields)
    assert any(blocker in b for b in signoffs.programme_blockers(programme))
    with pytest.raises(ValidationError, match=blocker):
        approve(programme, world.leader)
    assert not SignOff.objects.exists()
    assert AuditProgramme.objects.get(pk=programme.pk).status == AuditProgramme.Status.DRAFT


def test_leadership_approval_makes_the_draft_approved_in_a_version_with_a_reason(world):
    programme = make_programme(world.acme, planner(), owner=world.officer)
    signoff = approve(programme, world.leader)
    programme.refresh_from_db()
    assert programme.status == AuditProgramme.Status.APPROVED and programme.version == 2
    latest = programme.history.order_by("-history_id").first()
    assert latest.history_user == world.leader and "Approved by leadership" in latest.history_change_reason
    assert f"#{signoff.sequence}" in latest.history_change_reason
    # The transition is not a change of what was approved.
    assert not ledger.sign_off_status(signoffs.PROGRAMME_APPROVAL, programme).changed_since
    assert ledger.verify(world.acme)["ok"]


@pytest.mark.parametrize("persona", ["officer", "contributor", "auditor"])
def test_only_leadership_approves_the_programme(world, persona):
    programme = make_programme(world.acme, planner(), owner=world.officer)
    with pytest.raises(PermissionDenied):
        approve(programme, world.users[persona])
    assert not SignOff.objects.exists()


def test_four_eyes_whoever_last_changed_the_programme_approves_only_with_a_reason(world):
    programme = make_programme(world.acme, world.owner, owner=world.officer)
    with pytest.raises(ValidationError, match="last change"):
        approve(programme, world.owner)
    signoff = approve(programme, world.owner, override_reason="The board chair is away for a month.")
    assert signoff.override_reason == "The board chair is away for a month."


def test_an_edit_after_approval_shows_changed_since_approved_and_can_be_approved_again(world, client_as):
    programme = approved_programme(world)
    programme = services.programme_update(
        programme,
        user=world.officer,
        expected_version=programme.version,
        items=[{"requirement": clause("9.2.2"), "planned_quarter": "2026-Q3"}],
    )
    assert programme.status == AuditProgramme.Status.APPROVED
    [annotated] = signoffs.annotate_signed([programme], signoffs.PROGRAMME_APPROVAL)
    assert annotated.changed_since_signed
    page = client_as("leader").get(reverse("improvement:programme_detail", args=[world.acme.pk, programme.pk]))
    assert "Changed since approved" in page.content.decode()
    approve(programme, world.leader)
    programme.refresh_from_db()
    assert not signoffs.annotate_signed([programme], signoffs.PROGRAMME_APPROVAL)[0].changed_since_signed


def test_activate_and_close_are_versions_with_a_reason_and_not_changes_of_what_was_approved(world):
    programme = approved_programme(world)
    with pytest.raises(ValidationError, match="Say why"):
        services.programme_activate(programme, user=world.officer, expected_version=programme.version, reason=" ")
    programme = services.programme_activate(
        programme, user=world.officer, expected_version=programme.version, reason="Cycle starts"
    )
    assert programme.status == AuditProgramme.Status.ACTIVE
    assert programme.history.order_by("-history_id").first().history_change_reason == "Activated: Cycle starts"
    assert not signoffs.annotate_signed([programme], signoffs.PROGRAMME_APPROVAL)[0].changed_since_signed
    programme = services.programme_close(
        programme, user=world.officer, expected_version=programme.version, reason="End"
    )
    assert programme.status == AuditProgramme.Status.CLOSED


def test_a_programme_changed_since_approval_is_not_activated(world):
    programme = approved_programme(world)
    programme = services.programme_update(programme, user=world.officer, expected_version=programme.version, title="X")
    with pytest.raises(ValidationError, match="changed since leadership approved it"):
        services.programme_activate(programme, user=world.officer, expected_version=programme.version, reason="Go")
    assert AuditProgramme.objects.get(pk=programme.pk).status == AuditProgramme.Status.APPROVED


def test_a_draft_is_neither_activated_nor_closed(world):
    programme = make_programme(world.acme, world.officer)
    with pytest.raises(ValidationError, match="only an approved programme"):
        services.programme_activate(programme, user=world.officer, expected_version=programme.version, reason="Go")
    with pytest.raises(ValidationError, match="only an active programme"):
        services.programme_close(programme, user=world.officer, expected_version=programme.version, reason="Done")


def test_a_programme_with_an_audit_in_progress_is_not_closed(world):
    programme = approved_programme(world)
    programme = services.programme_activate(
        programme, user=world.officer, expected_version=programme.version, reason="Go"
    )
    audit = start(make_audit(world, programme, lead_auditor=world.contributor), world.officer)
    with pytest.raises(ValidationError, match=f"{audit.reference} \\(in progress\\)"):
        services.programme_close(programme, user=world.officer, expected_version=programme.version, reason="Done")
    audit = record_all(audit, world.officer)
    audit = services.internal_audit_update(
        audit, user=world.officer, expected_version=audit.version, conclusion="Conforms."
    )
    sign_report(audit, world.contributor)
    programme.refresh_from_db()
    assert (
        services.programme_close(
            programme, user=world.officer, expected_version=programme.version, reason="Done"
        ).status
        == AuditProgramme.Status.CLOSED
    )


def test_approval_page_signs_and_reports_the_version_approved(world, client_as):
    programme = make_programme(world.acme, planner(), owner=world.officer)
    url = reverse("improvement:programme_approve", args=[world.acme.pk, programme.pk])
    client = client_as("leader")
    response = client.post(url, sign_data(signoffs.PROGRAMME_APPROVAL, programme, signer=world.leader))
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.status == AuditProgramme.Status.APPROVED
    page = client.get(response.url)
    assert "approved version 1 of IAP-001" in page.content.decode()


def test_approval_page_shows_the_blockers_and_refuses(world, client_as):
    programme = make_programme(world.acme, planner(), owner=world.officer, items=[])
    page = client_as("leader").get(reverse("improvement:programme_detail", args=[world.acme.pk, programme.pk]))
    assert "Plan at least one audit" in page.content.decode()
    url = reverse("improvement:programme_approve", args=[world.acme.pk, programme.pk])
    response = client_as("leader").post(url, sign_data(signoffs.PROGRAMME_APPROVAL, programme, signer=world.leader))
    assert response.status_code == 400 and not SignOff.objects.exists()
