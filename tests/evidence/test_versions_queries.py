"""An evidence file's versions (its correction chain) are found in constant queries, whatever the register holds."""

from __future__ import annotations

from datetime import date

import pytest

from evidence.selectors import evidence_versions
from evidence.services import evidence_create, evidence_supersede

pytestmark = pytest.mark.django_db


def _link(world, ms, title):
    return evidence_create(
        management_system=ms, user=world.officer if ms == world.acme else world.outsider, title=title,
        evidence_date=date(2026, 1, 1), url=f"https://example.org/{title.replace(' ', '-')}",
    )  # fmt: skip


def _correct(world, evidence, n):
    return evidence_supersede(
        evidence, user=world.officer, evidence_date=date(2026, 1, 1 + n), url=f"https://example.org/v{n}"
    )


def test_the_chain_newest_first_from_any_version_in_two_queries(world, django_assert_num_queries):
    first = _link(world, world.acme, "Bias report")
    chain = [first]
    for n in range(1, 6):
        chain.append(_correct(world, chain[-1], n))
    for other in range(8):  # the rest of the register, and another management system's evidence
        _link(world, world.acme, f"Other {other}")
        _link(world, world.northwind, f"Theirs {other}")
    expected = [e.pk for e in reversed(chain)]
    for version in (first, chain[2], chain[-1]):
        with django_assert_num_queries(2):
            found = evidence_versions(version)
        assert [e.pk for e in found] == expected
        assert all(hasattr(e, "age_days") for e in found)


def test_a_file_never_corrected_is_its_only_version(world, django_assert_num_queries):
    alone = _link(world, world.acme, "Model card")
    _correct(world, _link(world, world.acme, "Elsewhere"), 1)
    with django_assert_num_queries(2):
        assert [e.pk for e in evidence_versions(alone)] == [alone.pk]
