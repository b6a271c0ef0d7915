"""The kit's ``moment`` filter: a moment as ``<time>``, exactly as the ``date`` filter pair wrote it."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.template import Context, Template
from django.test import override_settings

PAIR = Template("""<time datetime="{{ v|date:'c' }}">{{ v|date:"j M Y, H:i" }}</time>""")
MOMENT = Template("{% load aims_tags %}{{ v|moment }}")

MOMENTS = [
    datetime(2026, 12, 2, 5, 35, 54, 123456, tzinfo=UTC),
    datetime(2026, 1, 9, 23, 59, tzinfo=UTC),  # the next day in Paris or London's summer
    datetime(2026, 7, 1, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
    datetime(999, 5, 3, 7, 4, tzinfo=UTC),  # a four-digit year, as Django pads it
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Europe/Paris", "America/New_York"])
@pytest.mark.parametrize("value", MOMENTS)
def test_moment_writes_what_the_date_filters_wrote_in_the_local_time(value, zone):
    with override_settings(TIME_ZONE=zone):
        expected = PAIR.render(Context({"v": value}))
        assert MOMENT.render(Context({"v": value})) == expected


def test_nothing_and_a_plain_date():
    assert MOMENT.render(Context({"v": None})) == ""
    assert MOMENT.render(Context({"v": date(2026, 3, 4)})) == "4 Mar 2026"
