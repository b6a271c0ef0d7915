"""Second factors: the login in two steps, enrolment (required for owners, leadership, superusers), recovery codes, removal."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from aims import mfa
from aims.accounts import security_log
from tests.factories import PASSWORD, UserFactory
from tests.kit import enrol_authenticator, log_in, second_factor, totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
CODE_STEP = reverse("account:login_code")
SETUP = reverse("account:authenticator_setup")
ACCOUNT = reverse("account:home")


def password_step(client: Client, username: str, next_url: str = "") -> str:
    """Post the password; return where the login sends the user next."""
    data = {"username": username, "password": PASSWORD, **({"next": next_url} if next_url else {})}
    response = client.post(LOGIN, data)
    assert response.status_code == 302, response.content
    return response["Location"]


def current_code(user) -> str:
    return totp_code(mfa.authenticator(user))


def events(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "aims.security"]


@pytest.fixture
def no_code_throttle(settings):
    """Let a right code follow a wrong one at once (django-otp otherwise waits a second, then two, four...)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def security(caplog):
    caplog.set_level(logging.INFO, logger="aims.security")
    return caplog


# --- the login in two steps ---------------------------------------------------------------


def test_a_user_with_an_authenticator_gives_its_code_after_the_password(world, security):
    client = Client()
    ms_page = reverse("aims:ms_home", args=[world.acme.pk])
    assert password_step(client, "officer", next_url=ms_page).startswith(CODE_STEP)
    # Half logged in: every page sends to the code step, the API refuses, nothing is shown.
    response = client.get(ms_page)
    assert response.status_code == 302 and response["Location"].startswith(CODE_STEP)
    api = client.get("/api/v1/management-systems/")
    assert api.status_code == 403 and "code from your authenticator" in api.json()["detail"]
    assert client.get(reverse("admin:index")).status_code == 302

    response = client.post(CODE_STEP, {"code": current_code(world.officer), "next": ms_page})
    assert response.status_code == 302 and response["Location"] == ms_page
    assert client.get(ms_page).status_code == 200
    assert any("event=login_second_factor user=officer" in line and "by=totp" in line for line in events(security))


def test_a_wrong_code_keeps_the_user_at_the_code_step_and_is_logged(world, security):
    client = Client()
    password_step(client, "officer")
    response = client.post(CODE_STEP, {"code": "000000"})
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert client.get(reverse("aims:home"))["Location"].startswith(CODE_STEP)
    assert any(
        "event=login_failed" in line and "username=officer" in line and "stage=code" in line
        for line in events(security)
    )


def test_after_several_wrong_codes_even_the_right_one_waits(world):
    device = mfa.authenticator(world.officer)
    device.throttling_failure_count, device.throttling_failure_timestamp = 5, timezone.now()
    device.save()
    client = Client()
    password_step(client, "officer")
    response = client.post(CODE_STEP, {"code": current_code(world.officer)})
    assert response.status_code == 400 and "Too many wrong codes: wait 16 seconds" in response.content.decode()


def test_a_code_works_once(world):
    code = current_code(world.officer)
    first, second = Client(), Client()
    password_step(first, "officer")
    password_step(second, "officer")
    assert first.post(CODE_STEP, {"code": code}).status_code == 302
    assert second.post(CODE_STEP, {"code": code}).status_code == 400


def test_a_recovery_code_finishes_the_login_once_and_says_how_many_are_left(world, security):
    code = second_factor(world.officer)
    client = Client()
    password_step(client, "officer")
    response = client.post(CODE_STEP, {"code": code}, follow=True)
    assert response.status_code == 200
    assert "You used a recovery code; 0 left" in response.content.decode()
    assert any("event=recovery_code_used user=officer" in line for line in events(security))
    again = Client()
    password_step(again, "officer")
    assert again.post(CODE_STEP, {"code": code}).status_code == 400


def test_a_user_without_an_authenticator_whose_role_does_not_require_one_logs_in_with_the_password(world):
    TOTPDevice.objects.filter(user=world.contributor).delete()
    client = Client()
    assert password_step(client, "contributor") == reverse("aims:home")
    assert client.get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 200


def test_the_code_step_does_not_follow_a_next_to_another_site(world):
    client = Client()
    password_step(client, "officer")
    response = client.post(CODE_STEP, {"code": current_code(world.officer), "next": "https://evil.example/"})
    assert response["Location"] == reverse("aims:home")


def test_a_superuser_logging_in_at_the_admin_also_gives_the_code(db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    enrol_authenticator(root)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(CODE_STEP)
    client.post(CODE_STEP, {"code": current_code(root)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_session_logged_in_with_the_password_only_is_not_verified(world):
    """The gate is the session's verification, not the test kit: force_login alone is half a login."""
    client = Client()
    client.force_login(world.leader)
    assert client.get(reverse("aims:home"))["Location"].startswith(CODE_STEP)
    assert log_in(Client(), world.leader).get(reverse("aims:home")).status_code in (200, 302)


# --- enrolment: required for owners, leadership and superusers -----------------------------


def test_leadership_without_an_authenticator_is_sent_to_set_one_up_and_reaches_nothing_else(world):
    TOTPDevice.objects.filter(user=world.leader).delete()
    client = Client()
    assert password_step(client, "leader").startswith(SETUP)
    for url in (reverse("aims:home"), ACCOUNT, reverse("aims:ms_home", args=[world.acme.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), url
    assert client.get("/api/v1/risks/").status_code == 403
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "Your role requires a second factor" in page.content.decode()
    assert 'href="/account/"' not in page.content.decode()  # no way round it from the header


def test_setting_up_an_authenticator_shows_its_key_and_qr_code_and_confirms_with_a_code(
    world, security, no_code_throttle
):
    TOTPDevice.objects.filter(user=world.leader).delete()
    client = Client()
    password_step(client, "leader")
    page = client.get(SETUP)
    pending = TOTPDevice.objects.get(user=world.leader, confirmed=False)
    html = page.content.decode()
    assert page.context["secret"].replace(" ", "") == mfa.secret_of(pending)
    assert "<svg" in html and "<path" in html  # the QR code, drawn on the server
    assert client.get(SETUP).context["secret"] == page.context["secret"]  # the same key until confirmed

    wrong = client.post(SETUP, {"code": "123456"})
    assert wrong.status_code == 400 and not TOTPDevice.objects.filter(user=world.leader, confirmed=True).exists()

    done = client.post(SETUP, {"code": totp_code(pending)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == mfa.RECOVERY_CODE_COUNT and all(code in done.content.decode() for code in codes)
    assert "no-store" in done["Cache-Control"]
    assert TOTPDevice.objects.get(user=world.leader).confirmed
    # The session is verified by the new device: the registers open, and a recovery code signs.
    assert client.get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 200
    assert mfa.verify_step_up(world.leader, codes[0]) == mfa.RECOVERY_CODE
    assert any("event=mfa_enrolled user=leader" in line for line in events(security))


def test_a_new_owner_must_enrol_too(world):
    founder = UserFactory(username="founder", is_staff=True)  # staff may create management systems
    client = Client()
    assert password_step(client, "founder") == reverse("aims:home")  # nobody in any AIMS yet: optional
    response = client.post(
        "/api/v1/management-systems/",
        {"organisation": "Globex", "name": "Globex AIMS", "scope_statement": "All AI."},
        content_type="application/json",
    )
    assert response.status_code == 201 and mfa.mfa_required(founder)
    assert client.get(reverse("aims:home"))["Location"].startswith(SETUP)


def test_moving_to_a_new_authenticator_needs_a_code_of_the_current_one(world, no_code_throttle):
    client = log_in(Client(), world.leader)
    old = mfa.authenticator(world.leader)
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=world.leader, confirmed=False)
    refused = client.post(SETUP, {"code": totp_code(new), "current_code": "000000"})
    assert refused.status_code == 400 and "current_code" in refused.context["form"].errors
    assert mfa.authenticator(world.leader) == old
    done = client.post(SETUP, {"code": totp_code(new), "current_code": totp_code(old)})
    assert done.status_code == 200
    assert list(TOTPDevice.objects.filter(user=world.leader)) == [new]


# --- recovery codes and removal -----------------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones_and_are_shown_once(world, security, no_code_throttle):
    old = second_factor(world.officer)
    client = log_in(Client(), world.officer)
    response = client.post(reverse("account:recovery_codes"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    codes = response.context["codes"]
    assert StaticToken.objects.filter(device__user=world.officer).count() == len(codes) == mfa.RECOVERY_CODE_COUNT
    assert mfa.match_code(world.officer, old) is None
    assert mfa.match_code(world.officer, codes[3]) is not None
    page = client.get(ACCOUNT).content.decode()
    assert codes[0] not in page and f"<strong>{len(codes) - 1}</strong>" in page
    assert any("event=recovery_codes_created user=officer" in line for line in events(security))


def test_recovery_codes_need_an_authenticator(world):
    TOTPDevice.objects.filter(user=world.contributor).delete()
    client = log_in(Client(), world.contributor)
    response = client.post(reverse("account:recovery_codes"), follow=True)
    assert "Set up an authenticator first" in response.content.decode()
    assert not StaticToken.objects.filter(device__user=world.contributor).exists()


def test_removing_the_authenticator_asks_for_a_current_code(world, security, no_code_throttle):
    client = log_in(Client(), world.contributor)
    second_factor(world.contributor)
    refused = client.post(reverse("account:authenticator_remove"), {"code": "000000"})
    assert refused.status_code == 400 and mfa.has_second_factor(world.contributor)
    done = client.post(reverse("account:authenticator_remove"), {"code": current_code(world.contributor)})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.contributor).exists()
    assert not StaticDevice.objects.filter(user=world.contributor).exists()
    assert client.get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 200
    assert any("event=mfa_removed user=contributor" in line for line in events(security))
    # Next login: the password alone.
    assert password_step(Client(), "contributor") == reverse("aims:home")


def test_removing_the_authenticator_is_refused_when_the_role_requires_one(world):
    client = log_in(Client(), world.leader)
    assert "Remove the authenticator" not in client.get(ACCOUNT).content.decode()
    response = client.post(reverse("account:authenticator_remove"), {"code": current_code(world.leader)})
    assert response.status_code == 400 and "Your role requires a second factor" in response.content.decode()
    assert mfa.has_second_factor(world.leader)


# --- the Account page and the password -----------------------------------------------------


def test_every_page_links_to_the_account_page_which_says_whether_a_second_factor_is_required(world):
    leader = log_in(Client(), world.leader)
    page = leader.get(reverse("aims:ms_home", args=[world.acme.pk])).content.decode()
    assert f'href="{ACCOUNT}"' in page
    account = leader.get(ACCOUNT)
    assert account.context["mfa_required"] and "leadership in Acme AIMS" in account.content.decode()
    assert not log_in(Client(), world.contributor).get(ACCOUNT).context["mfa_required"]


def test_changing_the_password_keeps_the_session_and_is_logged(world, security):
    client = log_in(Client(), world.officer)
    response = client.post(
        reverse("account:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == ACCOUNT
    assert client.get(reverse("aims:ms_home", args=[world.acme.pk])).status_code == 200  # still logged in, verified
    assert get_user_model().objects.get(pk=world.officer.pk).check_password("a-new-long-passphrase-42")
    assert any("event=password_changed user=officer" in line for line in events(security))


def test_changing_the_password_needs_the_old_one(world):
    client = log_in(Client(), world.officer)
    response = client.post(
        reverse("account:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert get_user_model().objects.get(pk=world.officer.pk).check_password(PASSWORD)


def test_security_log_values_cannot_forge_a_line(caplog):
    caplog.set_level(logging.INFO, logger="aims.security")
    security_log.record(security_log.LOGIN_FAILED, username="eve\nevent=login user=admin")
    (line,) = events(caplog)
    assert "\n" not in line and 'username="eve\\nevent=login user=admin"' in line
