"""The "My work" page: grouped by kind, signatures first, overdue items marked, 404 outside, constant queries; home."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from aims import services as aims_services
from aims.models import Role
from reviews.mywork.setup import ENTRIES, menu_entries
from tests.kit import assert_constant_queries
from tests.reviews.mywork_helpers import critical_risk, make_work, overdue_action


def page_url(ms) -> str:
    return reverse("reviews:my_work", args=[ms.pk])


def test_the_page_groups_by_kind_marks_what_is_overdue_and_says_plainly_when_nothing_waits(world, client_as):
    made = make_work(world)
    leader = client_as("leader").get(page_url(world.acme))
    assert leader.status_code == 200
    assert [group.kind for group, _rows in leader.context["groups"]][0] == "signature"
    html = leader.content.decode()
    assert '<h2 id="mywork-signature">To sign' in html
    assert reverse("assessments:risk_detail", args=[world.acme.pk, made.leader_risk.pk]) in html
    assert "Northwind" not in html.split("<main", 1)[1]  # the leader is in Northwind too: none of it here

    officer = client_as("officer").get(page_url(world.acme)).content.decode()
    assert 'class="mywork-item mywork-item--overdue"' in officer
    assert f'datetime="{made.action.due_date:%Y-%m-%d}"' in officer and "1 overdue" in officer
    assert reverse("improvement:ca_detail", args=[world.acme.pk, made.action.pk]) in officer

    auditor = client_as("auditor").get(page_url(world.acme)).content.decode()
    assert "Nothing is waiting for you" in auditor and "mywork-item" not in auditor


def test_outsiders_and_expired_members_get_404(world, client_as):
    for persona in ("outsider", "expired_auditor"):
        assert client_as(persona).get(page_url(world.acme)).status_code == 404
    assert client_as("anonymous").get(page_url(world.acme)).status_code == 302


def test_the_page_makes_as_many_queries_whatever_the_number_of_items(world, client_as):
    make_work(world)
    leader, officer = client_as("leader"), client_as("officer")

    def grow():
        for n in range(3):
            critical_risk(world.acme, world.officer, title=f"More risk {n}", owner=world.contributor)
            overdue_action(world.acme, world.officer, world.officer, title=f"More NC {n}")

    assert_constant_queries(
        {"leader": lambda: leader.get(page_url(world.acme)), "officer": lambda: officer.get(page_url(world.acme))},
        grow,
    )
    assert len(leader.get(page_url(world.acme)).context["groups"][0][1]) >= 4


def test_home_sends_a_member_of_one_management_system_to_their_work(world, client_as):
    response = client_as("contributor").get(reverse("aims:home"))
    assert response.status_code == 302 and response["Location"] == page_url(world.acme)

    aims_services.membership_add(
        management_system=world.northwind, actor=world.outsider, user=world.officer, role=Role.AUDITOR
    )
    make_work(world)
    home = client_as("officer").get(reverse("aims:home"))
    assert home.status_code == 200
    counts = {ms.pk: count for ms, _role, _url, count in home.context["rows"]}
    assert counts[world.northwind.pk] == 0 and counts[world.acme.pk] >= 2
    assert page_url(world.acme) in home.content.decode() and page_url(world.northwind) in home.content.decode()


def test_navigation_links_my_work_and_the_menu_lists_only_pages_that_exist(world, client_as):
    html = client_as("contributor").get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert f'href="{page_url(world.acme)}"' in html and "Reviews &amp; readiness" in html

    def resolves(name: str) -> bool:
        try:
            reverse(name, args=[world.acme.pk])
        except NoReverseMatch:
            return False
        return True

    titles = [entry["title"] for entry in menu_entries(world.acme.pk)]
    assert titles == [title for _clause, title, name in ENTRIES if resolves(name)]
    assert titles[0] == "My work"
