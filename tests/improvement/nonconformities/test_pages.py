"""What the nonconformity pages show: history with its analyses, source links, overdue flags, next steps, the panel."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from aims.services import register_create
from evidence.linkables import linkables
from improvement.models import CorrectiveAction, Finding, Incident, Nonconformity
from improvement.nonconformities import services
from tests.improvement.nonconformities.helpers import (
    actions_done,
    add_action,
    analyse,
    contain,
    make_nc,
    qa_member,
    review,
)


def page(client, name, *args):
    response = client.get(reverse(f"improvement:{name}", args=list(args)))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_history_tab_shows_each_transition_with_its_reason_and_the_analysis(world, client_as):
    nc, _actions = actions_done(world)
    nc = review(nc, world.officer, qa_member(world), "not_effective")
    html = page(client_as("auditor"), "nc_history", world.acme.pk, nc.pk)
    assert "Not effective: analyse again: review of" in html
    assert "analysis 2" in html and "analysis 1" in html
    assert "Contained: Corrected" in html and "Actions done: All done" in html
    assert "Effectiveness review: not effective" in html  # the review's own change, in its table
    # The field-level diff names the new analysis.
    assert '<th scope="row">Analysis</th>' in html


def test_the_detail_page_links_the_source_finding_and_incident(world, client_as):
    incident = register_create(
        Incident, management_system=world.acme, user=world.officer, title="Wrong triage", description="Urgent case low"
    )
    nc = make_nc(world.acme, world.officer, source="incident", source_incident=incident)
    register_create(
        Finding, management_system=world.acme, user=world.officer, title="Card outdated", finding_type="minor",
        source="monitoring", requirement_statement="7.5.3", evidence_statement="Card v2", found_statement="Model v3", nonconformity=nc,
    )  # fmt: skip
    html = page(client_as("auditor"), "nc_detail", world.acme.pk, nc.pk)
    finding = Finding.objects.get(nonconformity=nc)
    assert reverse("improvement:finding_detail", args=[world.acme.pk, finding.pk]) in html
    assert reverse("improvement:incident_detail", args=[world.acme.pk, incident.pk]) in html
    assert "FND-001 Card outdated" in html and "INC-001 Wrong triage" in html


def test_overdue_actions_and_reviews_are_flagged_on_lists_the_page_and_the_overview(world, client_as):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    add_action(nc, world.officer, world.contributor, due_date=timezone.localdate() - timedelta(days=1))
    services.review_plan(nc, user=world.officer, method="Check", planned_on=timezone.localdate() - timedelta(days=2))
    client = client_as("contributor")
    assert "Action overdue" in page(client, "nc_list", world.acme.pk)
    detail = page(client, "nc_detail", world.acme.pk, nc.pk)
    assert "Action overdue" in detail and "Review overdue" in detail
    assert 'badge--overdue">Overdue' in page(client, "ca_list", world.acme.pk)
    overview = client.get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert "1 corrective action</a>" in overview and "1 effectiveness review</a>" in overview
    assert "<strong>1</strong> open" in overview


def test_the_next_step_says_what_blocks_it_and_a_refused_step_is_shown_with_its_reason(world, client_as):
    nc = make_nc(world.acme, world.officer)
    client = client_as("officer")
    assert "Record the correction or the containment first" in page(client, "nc_detail", world.acme.pk, nc.pk)
    response = client.post(
        reverse("improvement:nc_transition", args=[world.acme.pk, nc.pk]),
        {"to": "actions_done", "version": 1, "reason": "Skip"},
    )
    assert response.status_code == 400 and "cannot go from open to actions done" in response.content.decode()
    assert Nonconformity.objects.get(pk=nc.pk).version == 1


def test_the_contributor_sees_update_only_on_the_action_they_own(world, client_as):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    own = add_action(nc, world.officer, world.contributor)
    other = add_action(nc, world.officer, world.officer, description="Other")
    html = page(client_as("contributor"), "nc_detail", world.acme.pk, nc.pk)
    assert reverse("improvement:ca_edit", args=[world.acme.pk, own.pk]) in html
    assert reverse("improvement:ca_edit", args=[world.acme.pk, other.pk]) not in html


def test_the_withdraw_page_offers_withdrawal_only(world, client_as):
    nc = make_nc(world.acme, world.officer)
    client = client_as("officer")
    html = page(client, "nc_withdraw", world.acme.pk, nc.pk)
    assert "Withdraw it" in html and "Delete" not in html
    response = client.post(
        reverse("improvement:nc_withdraw", args=[world.acme.pk, nc.pk]), {"version": 1, "reason": ""}
    )
    assert response.status_code == 400 and not Nonconformity.objects.get(pk=nc.pk).is_retired
    client.post(reverse("improvement:nc_withdraw", args=[world.acme.pk, nc.pk]), {"version": 1, "reason": "Duplicate"})
    assert Nonconformity.objects.get(pk=nc.pk).retired_reason == "Duplicate"


def test_an_action_form_refuses_a_cancellation_without_a_reason(world, client_as):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    action = add_action(nc, world.officer, world.contributor)
    response = client_as("contributor").post(
        reverse("improvement:ca_edit", args=[world.acme.pk, action.pk]),
        {"description": action.description, "owner": world.contributor.pk, "status": "cancelled", "version": 1},
    )
    assert response.status_code == 400 and "Say why the action is cancelled" in response.content.decode()
    assert CorrectiveAction.objects.get(pk=action.pk).version == 1


def test_nonconformities_and_corrective_actions_are_linkable_evidence_targets():
    keys = {spec.key: spec.model for spec in linkables()}
    assert keys["nonconformities"] is Nonconformity and keys["corrective_actions"] is CorrectiveAction
