"""Lists, the detail page, the trend and the overview panel use as many queries for few records as for many."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from improvement.nonconformities import services, trend
from tests.factories import make_ai_system
from tests.improvement.nonconformities.helpers import add_action, analyse, annex, clause, contain, make_nc
from tests.kit import assert_constant_queries, get_ok


def add_ncs(world, n: int, start: int) -> None:
    system = make_ai_system(world.acme, user=world.officer, name=f"System {start}")
    for i in range(start, start + n):
        nc = make_nc(
            world.acme, world.officer, title=f"NC {i}", ai_systems=[system], owner=world.officer,
            requirements=[clause("7.5.3"), annex("A.6.2.7")], grade="major" if i % 2 else "minor",
        )  # fmt: skip
        nc = analyse(contain(nc, world.officer), world.officer)
        add_action(nc, world.officer, world.contributor, due_date=timezone.localdate() - timedelta(days=3))
        add_action(nc, world.officer, world.officer, description=f"Second action {i}")
        services.review_plan(nc, user=world.owner, method="Sample", planned_on=timezone.localdate() - timedelta(days=1))


def test_nc_list_page_and_api_queries_do_not_grow(world, client_as):
    add_ncs(world, 2, 0)
    urls = [
        reverse("improvement:nc_list", args=[world.acme.pk]),
        reverse("improvement:nc_list", args=[world.acme.pk]) + "?overdue=yes&status=all",
        f"/api/v1/nonconformities/?management_system={world.acme.pk}",
    ]
    client = client_as("auditor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_ncs(world, 5, 10))


def test_corrective_action_list_page_and_api_queries_do_not_grow(world, client_as):
    add_ncs(world, 2, 0)
    urls = [
        reverse("improvement:ca_list", args=[world.acme.pk]),
        reverse("improvement:ca_list", args=[world.acme.pk]) + "?overdue=yes",
        "/api/v1/corrective-actions/",
    ]
    client = client_as("contributor")
    assert_constant_queries({url: get_ok(client, url) for url in urls}, lambda: add_ncs(world, 5, 10))


def test_trend_queries_do_not_grow(world):
    add_ncs(world, 2, 0)
    count = assert_constant_queries(lambda: trend.nc_trend(world.acme), lambda: add_ncs(world, 5, 10))
    assert count == 3


def test_overview_page_queries_do_not_grow(world, client_as):
    add_ncs(world, 2, 0)
    url = reverse("aims:ms_home", args=[world.acme.pk])
    assert_constant_queries(get_ok(client_as("officer"), url), lambda: add_ncs(world, 5, 10))


def test_detail_page_queries_do_not_grow_with_actions(world, client_as):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    add_action(nc, world.officer, world.contributor)
    url = reverse("improvement:nc_detail", args=[world.acme.pk, nc.pk])

    def grow():
        for i in range(4):
            add_action(nc, world.officer, world.contributor, description=f"More {i}")

    assert_constant_queries(get_ok(client_as("officer"), url), grow)
