"""The pack's "AI objectives and results" section: as of the pack's date, flags, chart, constant queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from aims.pack_sections import FULL, STAGE1, STAGE2, PackData, pack_section, sections_for
from governance.objectives import services
from governance.objectives.pack import gather_objectives
from tests.governance.objectives_helpers import make_metric, make_objective, months_back, record
from tests.kit import assert_constant_queries
from tests.packs.helpers import make_pack

pytestmark = pytest.mark.django_db


def _section(world, as_of=None) -> tuple[PackData, str]:
    pack = make_pack(world, kind=STAGE1, as_of=as_of)
    data = PackData(pack=pack, management_system=world.acme, sections=[], generated_at=timezone.now())
    gather_objectives(data)
    html = render_to_string(pack_section("objectives").template, {"data": data, "pack": pack})
    return data, html


def test_the_section_is_in_stage_1_and_full_packs_after_the_policy():
    section = pack_section("objectives")
    assert (section.title, section.clause, section.order) == ("AI objectives and results", "6.2, 9.1", 16)
    assert section in sections_for(STAGE1) and section in sections_for(FULL) and section not in sections_for(STAGE2)


def test_the_section_shows_each_objective_as_of_the_pack_date(world):
    missed = make_objective(world.acme, world.officer, title="Accurate <answers>")
    quiet = make_objective(world.acme, world.officer, title="Quiet objective", status="at_risk")
    rows = record(missed.metric, world.officer, "96", "92.5")
    services.objective_raise_nonconformity(missed, user=world.officer, measurement=rows[-1])
    before_correction = timezone.now()
    later = before_correction + timedelta(minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        services.measurement_correct(rows[0], user=world.officer, value=Decimal("99"), note="Recount")
        services.objective_update(quiet, user=world.officer, expected_version=1, status="achieved")

    data, html = _section(world, as_of=before_correction)
    assert "Accurate &lt;answers&gt;" in html and "<answers>" not in html
    assert "Missing measurement" in html and "Target missed" in html and "NC-001" in html
    assert "92.5" in html and "99" not in html.split("Accurate &lt;answers&gt;", 2)[2]  # correction came later
    assert "<svg" in html and "Target: at least 95%" in html and 'stroke-dasharray="6 4"' in html
    assert "At risk" in html and "Achieved" not in html
    control = data.parts["document_controls"]["objectives"]
    assert control.identifier == "AIMS-PLN-001"  # the seeded "AI objectives" plan names the section
    assert control.version.startswith("Plan not approved; results as of")

    _data, now = _section(world, as_of=later + timedelta(minutes=1))
    assert "corrected from 96" in now and "Achieved" in now


def test_nothing_set_by_the_date_says_so(world):
    _data, html = _section(world)
    assert "No AI objective was set" in html


def test_gathering_makes_as_many_queries_for_many_objectives(world):
    make_objective(world.acme, world.officer)
    pack = make_pack(world, kind=STAGE1)

    def gather() -> None:
        data = PackData(pack=pack, management_system=world.acme, sections=[], generated_at=timezone.now())
        gather_objectives(data)

    def grow() -> None:
        for n in range(3):
            objective = make_objective(world.acme, world.officer, metric=make_metric(world.acme, world.officer),
                                       title=f"Objective {n}")  # fmt: skip
            rows = record(objective.metric, world.officer, "90", "91")
            services.objective_raise_nonconformity(objective, user=world.officer, measurement=rows[-1])
        pack.as_of = timezone.now()

    assert_constant_queries(gather, grow)


def test_the_chart_renders_in_the_pdf(world):
    from packs.render import html_to_pdf
    from tests.packs.helpers import pdf_text

    objective = make_objective(world.acme, world.officer)
    record(objective.metric, world.officer, "96", "90")
    _data, section = _section(world, as_of=timezone.now())
    pdf = html_to_pdf(f"<!doctype html><html><body>{section}</body></html>")
    text = pdf_text(pdf.content)
    assert "Target: at least 95%" in text and months_back(1)[0].strftime("%b %Y") in text
