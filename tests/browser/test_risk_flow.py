"""The officer scores a risk and links two controls, the leader accepts it, and the heat map shows it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from aims import ledger
from assessments.models import Risk
from controls.catalog import catalog_ensure
from controls.models import Control
from tests.assessments.helpers import make_criteria
from tests.factories import make_ai_system
from tests.kit import second_factor

pytestmark = pytest.mark.django_db(transaction=True)


def test_officer_scores_a_risk_leader_accepts_it_and_heat_map_shows_it(world, page, live_url, login):
    catalog_ensure()  # the Annex A catalog is migration data, flushed by earlier transactional tests
    make_criteria(world.acme, world.officer)
    make_ai_system(world.acme, user=world.officer, name="Patient message triage")
    first, second = Control.objects.filter(framework__key="iso42001-2023-annex-a").order_by("position")[:2]

    login(page, "officer")
    page.goto(live_url + reverse("assessments:risk_list", args=[world.acme.pk]))
    page.get_by_role("link", name="New risk").click()
    page.get_by_label("Title").fill("Triage misses urgent messages in Polish")
    page.get_by_label("Patient message triage").check()
    page.get_by_label("Risk source").select_option(label="Fairness and bias")
    page.get_by_label("Description", exact=True).fill("Few Polish messages in the training data.")
    page.get_by_label("Likelihood", exact=True).select_option(label="4 Likely")
    page.get_by_label("Consequence", exact=True).select_option(label="4 Major")
    page.get_by_label(str(first)).check()
    page.get_by_label(str(second)).check()
    page.get_by_label("Residual likelihood").select_option(label="2 Unlikely")
    page.get_by_label("Residual consequence").select_option(label="3 Moderate")
    page.get_by_label("Risk owner").select_option(label="officer")
    page.get_by_label("Acceptance review by").fill("2027-06-30")
    page.get_by_label("Description of action 1").fill("Collect Polish training messages")
    page.get_by_role("button", name="Add risk").click()

    expect(page.get_by_role("heading", name="Triage misses urgent messages in Polish")).to_be_visible()
    expect(page.get_by_text("was saved")).to_be_visible()
    risk = Risk.objects.get()
    assert (risk.inherent_level, risk.residual_level) == ("high", "medium")
    assert set(risk.controls.all()) == {first, second}
    expect(page.locator("main")).to_contain_text(first.key)

    page.context.clear_cookies()
    login(page, "leader")
    page.goto(live_url + reverse("assessments:risk_detail", args=[world.acme.pk, risk.pk]))
    page.get_by_label("Statement and rationale").fill("Residual risk accepted while the data is collected.")
    page.get_by_label("I have reviewed the version shown").check()
    page.get_by_label("Code from your authenticator app").fill(second_factor(world.leader))
    page.get_by_role("button", name="Accept and sign version 1").click()
    expect(page.get_by_text("You accepted version 1")).to_be_visible()
    assert ledger.sign_off_status("risk_acceptance", risk).latest.signer == world.leader

    page.get_by_role("link", name="Risk register").first.click()
    page.get_by_role("link", name="Heat map").click()
    cell = page.get_by_role("link", name=re.compile(r"Inherent: likelihood 4, consequence 4, High, 1 risk"))
    expect(cell).to_contain_text("1")
    cell.click()
    expect(page).to_have_url(re.compile(r"basis=inherent&likelihood=4&consequence=4"))
    row = page.get_by_role("row", name=re.compile("Triage misses urgent messages"))
    expect(row).to_contain_text("Accepted")
