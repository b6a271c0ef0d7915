"""Logging in with the authenticator's code, and a leader without one setting it up from the QR page."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from aims import mfa
from tests.factories import PASSWORD
from tests.kit import totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_officer_logs_in_with_password_then_the_code_of_the_app(world, page, live_url):
    ms_page = live_url + reverse("aims:ms_home", args=[world.acme.pk])
    page.goto(ms_page)
    page.get_by_label("Username").fill("officer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()

    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_role("navigation", name="Management system")).to_have_count(0)
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid")

    TOTPDevice.objects.filter(user=world.officer).update(throttling_failure_count=0)  # no wait after the typo
    page.get_by_label("Code", exact=True).fill(totp_code(mfa.authenticator(world.officer)))
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(ms_page)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.locator("main")).to_contain_text("An authenticator app is set up")


def test_leader_without_an_authenticator_sets_one_up_before_anything_else(world, page, live_url):
    TOTPDevice.objects.filter(user=world.leader).delete()
    page.goto(live_url + reverse("login"))
    page.get_by_label("Username").fill("leader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()

    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_text("Your role requires a second factor")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    page.goto(live_url + reverse("aims:ms_home", args=[world.acme.pk]))  # nowhere else to go
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()

    # Type the key into "the app", as a person would: the code is computed from the key shown.
    key = page.locator("#totp-secret").inner_text().replace(" ", "")
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    page.get_by_label("Code shown by the app").fill(f"{TOTP(secret).token():06d}")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".codes li")).to_have_count(mfa.RECOVERY_CODE_COUNT)
    page.get_by_role("link", name="I have saved them: continue").click()
    page.goto(live_url + reverse("aims:ms_home", args=[world.acme.pk]))
    expect(page.get_by_role("navigation", name="Management system")).to_be_visible()
    assert TOTPDevice.objects.get(user=world.leader).confirmed
