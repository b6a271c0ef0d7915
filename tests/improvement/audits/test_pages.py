"""Pages and lists of internal audits: filters shared by page and API, evidence links, the programme's owner
moving it along, retiring a programme, conflicts on stale forms."""

from __future__ import annotations

from django.urls import reverse

from improvement.audits import finding_services, services
from improvement.models import AuditProgramme
from tests.factories import EvidenceFactory, make_ai_system
from tests.improvement.audits.helpers import (
    approved_programme,
    clause,
    finding_fields,
    make_audit,
    make_programme,
    reportable_audit,
    sign_report,
)
from tests.kit import listed_by_api, listed_on_page


def test_audit_filters_mean_the_same_on_the_page_and_the_api(world, client_as, api_as):
    programme = approved_programme(world)
    system = make_ai_system(world.acme, user=world.officer)
    planned = make_audit(world, programme, title="Planned one")
    with_system = make_audit(world, programme, title="On the system", scope_ai_systems=[system])
    reported = reportable_audit(world, programme=programme)
    sign_report(reported, world.contributor)
    page, api = reverse("improvement:audit_list", args=[world.acme.pk]), "/api/v1/internal-audits/"
    for params, expected in [
        ({"state": "reported"}, {reported.reference}),
        ({"system": system.pk}, {with_system.reference}),
        ({"lead": world.contributor.pk}, {reported.reference}),
        ({"q": "Planned one"}, {planned.reference}),
    ]:
        assert listed_on_page(client_as("auditor"), page, params) == expected, params
        assert listed_by_api(api_as("auditor"), api, params) == expected, params


def test_finding_filters_mean_the_same_on_the_page_and_the_api(world, client_as, api_as):
    minor = finding_services.finding_create(management_system=world.acme, user=world.officer, **finding_fields())
    observation = finding_services.finding_create(
        management_system=world.acme, user=world.officer, **finding_fields(title="Obs", finding_type="observation")
    )
    page, api = reverse("improvement:finding_list", args=[world.acme.pk]), "/api/v1/findings/"
    for params, expected in [
        ({"raised": "yes"}, {minor.reference}),
        ({"type": "observation"}, {observation.reference}),
        ({"source": "monitoring"}, {minor.reference, observation.reference}),
    ]:
        assert listed_on_page(client_as("auditor"), page, params) == expected, params
        assert listed_by_api(api_as("auditor"), api, params) == expected, params


def test_programme_filters_and_the_retired_tab(world, client_as, api_as):
    draft = make_programme(world.acme, world.officer, title="Draft")
    approved = approved_programme(world)
    retired = make_programme(world.acme, world.officer, title="Old cycle")
    services.programme_retire(retired, user=world.officer, expected_version=retired.version, reason="Superseded")
    page, api = reverse("improvement:programme_list", args=[world.acme.pk]), "/api/v1/audit-programmes/"
    assert listed_on_page(client_as("auditor"), page, {"state": "draft"}) == {draft.reference}
    assert listed_by_api(api_as("auditor"), api, {"state": "approved"}) == {approved.reference}
    assert listed_on_page(client_as("auditor"), page, {"status": "closed"}) == {retired.reference}


def test_a_contributor_who_owns_the_programme_activates_it(world, client_as):
    programme = approved_programme(world, owner=world.contributor)
    url = reverse("improvement:programme_activate", args=[world.acme.pk, programme.pk])
    response = client_as("contributor").post(url, {"activate-version": programme.version, "activate-reason": "Go"})
    assert response.status_code == 302
    assert AuditProgramme.objects.get(pk=programme.pk).status == AuditProgramme.Status.ACTIVE


def test_activating_without_a_reason_shows_the_error_and_changes_nothing(world, client_as):
    programme = approved_programme(world)
    url = reverse("improvement:programme_activate", args=[world.acme.pk, programme.pk])
    response = client_as("officer").post(url, {"activate-version": programme.version, "activate-reason": ""})
    assert response.status_code == 400
    assert AuditProgramme.objects.get(pk=programme.pk).status == AuditProgramme.Status.APPROVED


def test_a_stale_programme_form_is_a_conflict(world, client_as):
    programme = make_programme(world.acme, world.officer)
    services.programme_update(programme, user=world.owner, expected_version=1, title="Changed meanwhile")
    data = {
        "title": "Mine", "version": 1, "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-0-requirement": str(clause("9.1").pk), "items-0-planned_quarter": "2026-Q1",
    }  # fmt: skip
    response = client_as("officer").post(
        reverse("improvement:programme_edit", args=[world.acme.pk, programme.pk]), data
    )
    assert response.status_code == 409 and "changed by someone else" in response.content.decode()
    assert AuditProgramme.objects.get(pk=programme.pk).title == "Changed meanwhile"


def test_a_programme_nothing_refers_to_is_deleted_and_one_with_audits_retired(world, client_as):
    lonely = make_programme(world.acme, world.officer)
    client = client_as("officer")
    url = reverse("improvement:programme_delete", args=[world.acme.pk, lonely.pk])
    assert client.post(url, {"version": lonely.version}).status_code == 302
    assert not AuditProgramme.objects.filter(pk=lonely.pk).exists()
    audit = make_audit(world)
    url = reverse("improvement:programme_delete", args=[world.acme.pk, audit.programme_id])
    page = client.get(url).content.decode()
    assert audit.reference in page  # what refers to it
    response = client.post(url, {"action": "retire", "version": audit.programme.version, "reason": "Superseded"})
    assert response.status_code == 302 and AuditProgramme.objects.get(pk=audit.programme_id).is_retired


def test_evidence_links_to_an_audit_and_a_finding_and_shows_on_their_pages(world, client_as):
    audit = make_audit(world)
    finding = finding_services.finding_create(
        management_system=world.acme, user=world.officer, **finding_fields(audit=audit)
    )
    evidence = EvidenceFactory(
        management_system=world.acme, user=world.officer, title="Audit working papers",
        links={"internal_audits": [audit], "findings": [finding]},
    )  # fmt: skip
    client = client_as("auditor")
    for url in (
        reverse("improvement:audit_detail", args=[world.acme.pk, audit.pk]),
        reverse("improvement:finding_detail", args=[world.acme.pk, finding.pk]),
    ):
        assert evidence.reference in client.get(url).content.decode()
    detail = client.get(reverse("evidence:detail", args=[world.acme.pk, evidence.pk])).content.decode()
    assert audit.reference in detail and finding.reference in detail


def test_the_overview_shows_the_programme_and_audits(world, client_as):
    programme = approved_programme(world)
    make_audit(world, programme)
    page = client_as("auditor").get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert "Internal audit (9.2)" in page and programme.reference in page
