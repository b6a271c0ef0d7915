"""Findings: a major or minor finding creates its nonconformity in the same transaction, linked both ways;
nothing is saved when the nonconformity cannot be created."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from aims.services import StillReferencedError
from improvement.audits import finding_services, rules, signoffs
from improvement.models import Finding, InternalAudit, Nonconformity
from tests.factories import make_ai_system
from tests.improvement.audits.helpers import clause, finding_fields, make_audit, reportable_audit, sign_report


def create(world, user=None, **fields):
    return finding_services.finding_create(
        management_system=world.acme, user=user or world.officer, **finding_fields(**fields)
    )


@pytest.mark.parametrize("finding_type, grade", [("major", "major"), ("minor", "minor")])
def test_a_major_or_minor_finding_creates_its_nonconformity_linked_both_ways(world, finding_type, grade):
    system = make_ai_system(world.acme, user=world.officer)
    audit = make_audit(world)
    finding = create(world, audit=audit, finding_type=finding_type, ai_systems=[system])
    nc = finding.nonconformity
    assert nc is not None and nc.finding == finding  # linked both ways
    assert (nc.source, nc.grade, nc.title) == ("finding", grade, "Programme not approved")
    assert list(nc.requirements.all()) == [clause("9.2.2")] and list(nc.ai_systems.all()) == [system]
    assert nc.nature.startswith("Requirement: Clause 9.2.2") and "Found: The programme was never approved" in nc.nature
    assert nc.source_detail == f"Finding {finding.reference} of internal audit {audit.reference}"
    assert nc.history.get().history_user == world.officer


@pytest.mark.parametrize("finding_type", ["observation", "opportunity"])
def test_an_observation_or_opportunity_raises_no_nonconformity(world, finding_type):
    finding = create(world, finding_type=finding_type)
    assert finding.nonconformity is None and not Nonconformity.objects.exists()


def test_nothing_is_saved_when_the_nonconformity_cannot_be_created(world):
    with pytest.raises(ValidationError) as refused:
        create(world, finding_type="major", requirements=[])
    assert "requirements" in refused.value.message_dict
    assert not Finding.objects.exists() and not Nonconformity.objects.exists()
    assert not Finding.history.exists() and not Nonconformity.history.exists()


def test_an_invalid_finding_creates_no_nonconformity(world):
    with pytest.raises(ValidationError):
        create(world, finding_type="minor", found_statement="")
    assert not Nonconformity.objects.exists()


def test_an_internal_audit_finding_names_its_audit(world):
    with pytest.raises(ValidationError, match="Name the internal audit"):
        create(world, source="internal_audit")
    with pytest.raises(ValidationError, match="Only a finding of an internal audit"):
        create(world, audit=make_audit(world), source="monitoring")


def test_an_observation_upgraded_to_minor_raises_its_nonconformity_then(world):
    finding = create(world, finding_type="observation")
    finding = finding_services.finding_update(
        finding, user=world.officer, expected_version=finding.version, finding_type="minor"
    )
    assert (
        finding.nonconformity.grade == "minor" and finding.nonconformity.source_detail == f"Finding {finding.reference}"
    )


def test_the_type_of_a_finding_that_raised_a_nonconformity_does_not_change(world):
    finding = create(world, finding_type="minor")
    with pytest.raises(ValidationError, match="grade is managed on the nonconformity"):
        finding_services.finding_update(
            finding, user=world.officer, expected_version=finding.version, finding_type="observation"
        )
    assert Finding.objects.get(pk=finding.pk).finding_type == "minor"


def test_a_finding_that_raised_a_nonconformity_is_withdrawn_not_deleted(world):
    finding = create(world, finding_type="minor")
    with pytest.raises(StillReferencedError, match=finding.nonconformity.reference):
        finding_services.finding_delete(finding, user=world.officer, expected_version=finding.version)
    withdrawn = finding_services.finding_withdraw(
        finding, user=world.officer, expected_version=finding.version, reason="Error"
    )
    assert withdrawn.is_retired and Nonconformity.objects.filter(pk=finding.nonconformity_id).exists()


def test_a_finding_recorded_after_the_report_was_signed_shows_it_changed(world):
    audit = reportable_audit(world)
    sign_report(audit, world.contributor)
    create(world, user=world.contributor, audit=InternalAudit.objects.get(pk=audit.pk), finding_type="observation")
    audit = InternalAudit.objects.get(pk=audit.pk)
    assert signoffs.annotate_signed([audit], signoffs.REPORT)[0].changed_since_signed


def test_the_audit_team_records_findings_on_their_audit_only(world, client_as):
    mine = make_audit(world, lead_auditor=world.contributor)
    other = make_audit(world, title="Another audit")
    client = client_as("contributor")
    url = reverse("improvement:finding_create", args=[world.acme.pk])
    data = {
        "title": "Gap", "finding_type": "minor", "source": "internal_audit", "requirements": [clause("9.2.2").pk],
        "requirement_statement": "R", "evidence_statement": "E", "found_statement": "F",
    }  # fmt: skip
    assert client.post(url, {**data, "audit": other.pk}).status_code == 400  # not a choice for them
    response = client.post(url, {**data, "audit": mine.pk})
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.audit == mine and finding.nonconformity is not None
    edit = reverse("improvement:finding_edit", args=[world.acme.pk, finding.pk])
    assert (
        client.post(edit, {**data, "audit": mine.pk, "title": "Gap 2", "version": finding.version}).status_code == 302
    )
    assert Finding.objects.get().title == "Gap 2"


def test_a_contributor_outside_the_audit_team_cannot_record_findings(world, client_as):
    audit = make_audit(world)
    url = reverse("improvement:finding_create", args=[world.acme.pk])
    assert client_as("contributor").get(url).status_code == 403
    assert not rules.may_record_finding(world.contributor, world.acme, audit)
    with pytest.raises(PermissionDenied):
        api_create_as_contributor(world, audit)
    assert not Finding.objects.exists()


def api_create_as_contributor(world, audit):
    from improvement.audits.api import FindingViewSet

    FindingViewSet().create_object(
        management_system=world.acme, user=world.contributor, reason="x", data=finding_fields(audit=audit)
    )


def test_the_finding_page_links_its_nonconformity(world, client_as):
    finding = create(world, finding_type="major")
    body = client_as("auditor").get(reverse("improvement:finding_detail", args=[world.acme.pk, finding.pk])).content
    assert b"This finding raised" in body and finding.nonconformity.reference.encode() in body
