"""The NC trend: opened, closed and overdue at each month's end, read from history; drawn as an SVG."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from unittest import mock

from django.urls import reverse
from django.utils import timezone

from improvement.nonconformities import services, trend
from tests.improvement.nonconformities.helpers import add_action, analyse, contain, make_nc, qa_member, verified


def shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def at(day: date) -> mock._patch:
    """Run as if it were noon on that day (records, history and sign-offs take that time)."""
    moment = timezone.make_aware(datetime.combine(day, time(12)))
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_opened_closed_and_overdue_per_month(world):
    this_month = timezone.localdate().replace(day=1)
    three_ago, two_ago, last = shift(this_month, -3), shift(this_month, -2), shift(this_month, -1)
    with at(three_ago.replace(day=10)):
        late = analyse(contain(make_nc(world.acme, world.officer, title="Late"), world.officer), world.officer)
        action = add_action(late, world.officer, world.contributor, due_date=three_ago.replace(day=20))
    with at(last.replace(day=12)):
        services.corrective_action_update(
            action, user=world.contributor, expected_version=1, status="done", completed_on=last.replace(day=12)
        )
    with at(last.replace(day=20)):
        qa_member(world)
        closed = verified(world, title="Closed last month")
        services.nonconformity_close(
            closed, user=world.leader, expected_version=closed.version, statement="Closed.", verification="password"
        )
    months = {m.start: m for m in trend.nc_trend(world.acme)}
    assert len(months) == 12 and list(months)[-1] == this_month
    assert [
        (m.opened, m.closed, m.overdue) for m in (months[three_ago], months[two_ago], months[last], months[this_month])
    ] == [
        (1, 0, 1),  # opened, and its action was due on the 20th and still open at the month's end
        (0, 0, 1),  # still late at the end of the next month
        (1, 1, 0),  # the late action was done; the other NC opened and closed within the month
        (0, 0, 0),
    ]


def test_an_overdue_review_counts_as_overdue(world):
    nc = analyse(contain(make_nc(world.acme, world.officer), world.officer), world.officer)
    services.review_plan(nc, user=world.officer, method="Sample", planned_on=timezone.localdate() - timedelta(days=1))
    assert trend.nc_trend(world.acme)[-1].overdue == 1


def test_the_list_page_draws_the_trend_without_inline_style(world, client_as):
    make_nc(world.acme, world.officer)
    html = client_as("auditor").get(reverse("improvement:nc_list", args=[world.acme.pk])).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'class="nc-trend"' in svg and "style" not in svg
    assert svg.count('class="nc-trend__bar nc-trend__bar--opened"') == 12 + 1  # twelve months and the legend
    assert f"{timezone.localdate():%b %Y}: 1 opened" in svg


def test_the_chart_scales_to_the_largest_month():
    months = [trend.Month(start=date(2026, m, 1), opened=m, closed=0, overdue=0) for m in range(1, 13)]
    chart = trend.chart(months)
    tallest = max(chart["bars"], key=lambda bar: bar.height)
    assert tallest.value == 12 and chart["ticks"][-1]["value"] >= 12
    assert tallest.y >= 0 and all(bar.height == 0 for bar in chart["bars"] if bar.value == 0)
