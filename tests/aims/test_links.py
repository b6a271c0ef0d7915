"""URLs reversed once and filled in per record (aims.links.url_maker) equal Django's reverse for each."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aims.links import url_maker


@pytest.mark.parametrize("name", ["assessments:risk_detail", "controls:soa_row_edit", "evidence:detail"])
def test_each_url_is_what_reverse_gives(name):
    make = url_maker(name, 7)
    for pk in (1, 7, 21474836, 2147483647, 99999999999):
        assert make(pk) == reverse(name, args=[7, pk])


def test_a_name_whose_url_cannot_take_an_id_is_refused():
    with pytest.raises(Exception):  # noqa: B017, PT011 - NoReverseMatch: the URL has no id argument
        url_maker("controls:soa", 7)
