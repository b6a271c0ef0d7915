"""The SoA pages: grouped rows, inline editing, filters, as-of view, exports, approval, changes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from aims.models import SignOff
from controls import services
from controls.models import Applicability
from controls.signoffs import SOA
from tests.controls.helpers import EXCLUDED, INCLUDED, Status, decide_all, row_of
from tests.factories import make_ai_system
from tests.kit import assert_constant_queries, get_ok, second_factor, sign_data

pytestmark = pytest.mark.django_db


def soa_url(ms, **query):
    url = reverse("controls:soa", args=[ms.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def edit_url(row):
    return reverse("controls:soa_row_edit", args=[row.management_system_id, row.pk])


def post_data(row, **fields):
    data = {
        "applicable": row.applicable,
        "justification": row.justification,
        "implementation_status": row.implementation_status,
        "owner": row.owner_id or "",
        "implementation_notes": row.implementation_notes,
        "last_reviewed": "",
        "version": row.version,
        "change_reason": "",
    }
    data.update(fields)
    return {f"row-{row.pk}-{k}": v for k, v in data.items()} | {"filters": fields.pop("filters", "")}


def test_soa_page_shows_all_38_controls_grouped_by_area(world, client_as):
    response = client_as("auditor").get(soa_url(world.acme))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="soa-row ') == 38
    assert "A.6 AI system life cycle" in html and "A.10 Third-party and customer relationships" in html
    assert response.context["totals"] == {"total": 38, "decided": 0, "justified": 0, "included": 0, "implemented": 0}
    assert "0/3 decided" in html  # per-area progress (A.2 has three controls)
    assert 'class="soa-form"' not in html  # the page lists; each row is edited on its own page
    assert "soa-row__edit" not in html  # the auditor reads only


def test_officer_saves_a_row_inline_and_returns_to_the_filtered_page(world, client_as):
    row = row_of(world.acme, "A.2.2")
    data = post_data(
        row, applicable=INCLUDED, justification="Our AI policy is the root of the AIMS.", owner=world.officer.pk
    )
    data["filters"] = "show=undecided"
    response = client_as("officer").post(edit_url(row), data)
    assert response.status_code == 302
    assert response["Location"] == soa_url(world.acme, show="undecided") + f"#row-{row.pk}"
    saved = Applicability.objects.get(pk=row.pk)
    assert (saved.applicable, saved.owner, saved.version) == (INCLUDED, world.officer, 2)
    assert saved.history.first().history_user == world.officer


def test_invalid_row_shows_errors_on_that_row_keeps_input_and_saves_nothing(world, client_as):
    row = row_of(world.acme, "A.10.4")
    data = post_data(row, applicable=EXCLUDED, justification="No customers.", implementation_status=Status.IMPLEMENTED)
    response = client_as("officer").post(edit_url(row), data)
    assert response.status_code == 200
    html = response.content.decode()
    form = response.context["form"]  # the row's own editor, shown again
    assert form.is_bound and "implementation_status" in form.errors
    assert "An excluded control is “Not applicable”" in html
    assert "No customers." in html  # input kept
    assert 'class="error-summary"' in html  # a pointer from the top of the page
    assert Applicability.objects.get(pk=row.pk).version == 1


def test_stale_row_is_refused_with_a_conflict(world, client_as):
    row = row_of(world.acme, "A.2.2")
    services.applicability_update(row, user=world.owner, expected_version=1, implementation_status=Status.PLANNED)
    response = client_as("officer").post(edit_url(row), post_data(row, implementation_status=Status.PARTIAL))
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert Applicability.objects.get(pk=row.pk).implementation_status == Status.PLANNED


def test_filters_select_undecided_excluded_not_implemented_and_owner(world, client_as):
    decide_all(world.acme, world.officer, exclude=("A.10.4", "A.10.3"))
    row = row_of(world.acme, "A.2.2")
    services.applicability_update(
        row,
        user=world.officer,
        expected_version=row.version,
        implementation_status=Status.IMPLEMENTED,
        owner=world.contributor,
    )
    row = row_of(world.acme, "A.7.4")
    services.applicability_update(
        row,
        user=world.officer,
        expected_version=row.version,
        applicable="undecided",
        implementation_status=Status.NOT_STARTED,
    )
    client = client_as("auditor")

    def keys(**query):
        return [r.control.key for g in client.get(soa_url(world.acme, **query)).context["groups"] for r in g.rows]

    assert keys(show="undecided") == ["A.7.4"]
    assert keys(show="excluded") == ["A.10.3", "A.10.4"]
    assert len(keys(show="not_implemented")) == 38 - 2 - 1 - 1
    assert keys(owner=world.contributor.pk) == ["A.2.2"]


def test_as_of_shows_the_soa_exactly_as_it_stood(world, client_as):
    system = make_ai_system(world.acme, user=world.officer, name="Triage assistant")
    row = row_of(world.acme, "A.6.2.8")
    services.applicability_update(
        row,
        user=world.officer,
        expected_version=1,
        applicable=INCLUDED,
        justification="Old reason.",
        implementation_status=Status.PLANNED,
        ai_systems=[system],
    )
    before = timezone.now()
    row = row_of(world.acme, "A.6.2.8")
    services.applicability_update(
        row,
        user=world.officer,
        expected_version=2,
        justification="New reason.",
        implementation_status=Status.IMPLEMENTED,
        ai_systems=[],
    )
    client = client_as("auditor")
    old = client.get(soa_url(world.acme), {"as_of": before.isoformat()})
    html = old.content.decode()
    assert "Old reason." in html and "New reason." not in html and "Triage assistant" in html
    assert "Nothing here can be edited" in html
    now = client.get(soa_url(world.acme)).content.decode()
    assert "New reason." in now and "Old reason." not in now
    # A date before the SoA existed shows no rows.
    empty = client.get(soa_url(world.acme), {"as_of": (before - timedelta(days=3)).date().isoformat()})
    assert empty.context["totals"]["total"] == 0


def test_exports_honour_as_of(world, client_as):
    row = row_of(world.acme, "A.2.2")
    services.applicability_update(
        row,
        user=world.officer,
        expected_version=1,
        applicable=INCLUDED,
        justification="=1+1 first",
        implementation_status=Status.PLANNED,
    )
    before = timezone.now()
    row = row_of(world.acme, "A.2.2")
    services.applicability_update(row, user=world.officer, expected_version=2, justification="Second")
    client = client_as("auditor")
    current = client.get(reverse("controls:soa_export_csv", args=[world.acme.pk]))
    lines = list(csv.reader(io.StringIO(current.content.decode("utf-8-sig"))))
    assert lines[1][0] == "Control id" and len(lines) == 2 + 38
    assert lines[2][:5] == ["A.2.2", "A.2 Policies related to AI", lines[2][2], "Included", "Second"]
    past = client.get(reverse("controls:soa_export_xlsx", args=[world.acme.pk]), {"as_of": before.isoformat()})
    assert past["Content-Disposition"].startswith('attachment; filename="soa-')
    sheet = load_workbook(io.BytesIO(past.content)).active
    assert sheet["A3"].value == "A.2.2" and sheet["E3"].value == "'=1+1 first"
    assert "as of" in sheet["A1"].value


def test_approval_page_lists_what_blocks_approval(world, client_as):
    response = client_as("leader").get(reverse("controls:soa_approve", args=[world.acme.pk]))
    assert response.status_code == 200
    assert len(response.context["signoff"].blockers) == 38
    response = client_as("leader").post(
        reverse("controls:soa_approve", args=[world.acme.pk]), sign_data(SOA, world.acme, "OK", signer=world.leader)
    )
    assert response.status_code == 400 and "not decided yet" in response.content.decode()
    assert not SignOff.objects.exists()


def test_leader_approves_then_an_edit_shows_changed_since_with_a_diff(world, client_as):
    decide_all(world.acme, world.officer)
    leader = client_as("leader")
    url = reverse("controls:soa_approve", args=[world.acme.pk])
    unconfirmed = sign_data(SOA, world.acme, "Approved.", signer=world.leader)
    del unconfirmed["confirmed"]
    assert "Tick the box" in leader.post(url, unconfirmed).content.decode()
    response = leader.post(url, sign_data(SOA, world.acme, "Approved for stage 1.", signer=world.leader))
    assert response.status_code == 302
    signoff = SignOff.objects.get()
    assert signoff.signer == world.leader and len(signoff.versions) == 38
    assert "Approved on" in leader.get(soa_url(world.acme)).content.decode()
    row = row_of(world.acme, "A.4.4")
    services.applicability_update(
        row, user=world.officer, expected_version=row.version, implementation_status=Status.IMPLEMENTED
    )
    html = leader.get(soa_url(world.acme)).content.decode()
    assert "Changed since approved on" in html and "by leader" in html
    changes = leader.get(reverse("controls:soa_changes", args=[world.acme.pk]), {"since": signoff.pk})
    assert [r.control.key for r, _versions in changes.context["changes"]] == ["A.4.4"]
    text = changes.content.decode()
    assert "Planned" in text and "Implemented" in text


def test_row_history_page_shows_field_level_diffs(world, client_as):
    row = row_of(world.acme, "A.3.2")
    services.applicability_update(
        row,
        user=world.officer,
        expected_version=1,
        applicable=INCLUDED,
        justification="RACI exists.",
        reason="Decided at kick-off",
    )
    response = client_as("contributor").get(reverse("controls:soa_row_history", args=[world.acme.pk, row.pk]))
    html = response.content.decode()
    assert "Decided at kick-off" in html and "RACI exists." in html and "Undecided" in html


@pytest.mark.parametrize("persona", ["officer", "auditor"])
def test_soa_page_query_count_does_not_grow_with_linked_objects(world, client_as, persona):
    client = client_as(persona)
    first = make_ai_system(world.acme, user=world.officer, name="System 0")
    row = row_of(world.acme, "A.2.2")
    services.applicability_update(
        row, user=world.officer, expected_version=1, owner=world.contributor, ai_systems=[first]
    )
    pages = {
        "now": get_ok(client, soa_url(world.acme)),
        "as of today": get_ok(client, soa_url(world.acme, as_of=timezone.now().date().isoformat())),
    }

    def link_more_rows():
        systems = [first, *(make_ai_system(world.acme, user=world.officer, name=f"System {i}") for i in range(1, 5))]
        for row in Applicability.objects.filter(management_system=world.acme).exclude(control__key="A.2.2")[:12]:
            services.applicability_update(
                row, user=world.officer, expected_version=row.version, owner=world.contributor, ai_systems=systems
            )

    assert_constant_queries(pages, link_more_rows)


def test_as_of_a_date_means_the_end_of_that_day_and_a_bad_date_is_reported(world, client_as):
    row = row_of(world.acme, "A.2.2")
    services.applicability_update(
        row, user=world.officer, expected_version=1, applicable=INCLUDED, justification="Today."
    )
    client = client_as("auditor")
    today = client.get(soa_url(world.acme, as_of=timezone.localdate().isoformat()))
    assert today.context["as_of"] is not None and "Today." in today.content.decode()
    bad = client.get(soa_url(world.acme, as_of="2026-13-45"))
    assert bad.context["as_of"] is None and "Give a date as YYYY-MM-DD" in bad.content.decode()


def test_approval_of_a_version_the_leader_did_not_see_is_refused_with_a_conflict(world, client_as):
    decide_all(world.acme, world.officer)
    leader = client_as("leader")
    url = reverse("controls:soa_approve", args=[world.acme.pk])
    page = leader.get(url)
    form = page.context["signoff"].form
    seen = {
        "signed_version": form.initial["signed_version"],
        "statement": "Approved as read.",
        "confirmed": "on",
        "second_factor": second_factor(world.leader),
    }
    row = row_of(world.acme, "A.6.2.4")
    services.applicability_update(row, user=world.officer, expected_version=row.version, justification="Changed.")

    response = leader.post(url, seen)

    assert response.status_code == 409
    assert "changed since you opened it" in response.content.decode()
    assert not SignOff.objects.exists()
    # The page offers the version that stands now, unticked, with the statement kept.
    retry = response.context["signoff"].form
    assert not retry.is_bound and retry.initial["statement"] == "Approved as read."
    assert (
        retry.initial["signed_version"]
        == sign_data(SOA, world.acme, signer=world.leader)["signed_version"]
        != seen["signed_version"]
    )
    again = {**seen, "signed_version": retry.initial["signed_version"], "second_factor": second_factor(world.leader)}
    assert leader.post(url, again).status_code == 302
