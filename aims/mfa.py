"""Second factors (django-otp): who must have one, and the step-up check at the moment of signing.

Members enrol a TOTP authenticator (with single-use recovery codes) from their own page.
Owners, leadership and superusers must; others may. Every sign-off asks again: the signer
gives the current code (or a recovery code) in the signing form or, on the API, in the
``X-OTP`` header. A member who has no second factor and is not required to have one gives
their password instead. ``verify_step_up`` answers how the signer was verified, which the
sign-off records.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from aims.accounts import security_log
from aims.models import Membership, Role

TOTP = "totp"
RECOVERY_CODE = "recovery_code"
PASSWORD = "password"
DEMO = "demo"  # sign-offs written by load_demo, where nobody stepped up
VERIFICATION_LABELS = {
    TOTP: "authenticator code",
    RECOVERY_CODE: "recovery code",
    PASSWORD: "password",
    DEMO: "demo data (no step-up)",
    "": "not recorded (signed before step-up existed)",
}


def required_roles() -> set[str]:
    """The roles whose members must use a second factor (setting ``AIMS_MFA_REQUIRED_ROLES``)."""
    return set(getattr(settings, "AIMS_MFA_REQUIRED_ROLES", (Role.OWNER, Role.LEADERSHIP)))


def mfa_required(user: Any) -> bool:
    """Superusers, and members holding a role that requires it in any management system."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=required_roles()).exists()


def has_second_factor(user: Any) -> bool:
    """Whether the user has a confirmed TOTP authenticator."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def step_up_label(user: Any) -> str:
    """What the signing form asks this user for."""
    if has_second_factor(user):
        return "Code from your authenticator app (or a recovery code)"
    return "Your password"


def verify_step_up(user: Any, answer: str, *, field: str = "second_factor") -> str:
    """Check the second factor given at signing; return how the signer was verified, or raise ValidationError.

    A user with an authenticator gives its current code or one of their recovery codes (each
    code works once). A user with none gives their password, unless a second factor is
    required of them: then they must set one up first.
    """
    raw = answer or ""
    if not raw.strip():
        raise ValidationError({field: f"{step_up_label(user)}: needed to sign."})
    if has_second_factor(user):
        wait = code_wait_seconds(user)
        device = match_code(user, raw)
        if device is not None:
            return verification_of(device)
        raise ValidationError({field: f"{wrong_code_message(wait)} Nothing was signed."})
    if mfa_required(user):
        raise ValidationError(
            {field: "Set up a second factor on your account page before signing: your role requires one."}
        )
    if not user.check_password(raw):
        raise ValidationError({field: "That password is not right. Nothing was signed."})
    return PASSWORD


# --- enrolment and codes (the Account page and the login's second step) -------------------

AUTHENTICATOR_NAME = "Authenticator"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10


def match_code(user: Any, answer: str) -> Device | None:
    """The confirmed device (authenticator or recovery codes) that accepts this code, or None.

    A code works once: the authenticator refuses a code of a time step it already accepted, and
    a recovery code is deleted when used. Repeated wrong codes slow the authenticator down
    (django-otp's throttling).
    """
    code = (answer or "").replace(" ", "").replace("-", "").strip()
    if not code:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                if isinstance(device, StaticDevice):
                    security_log.record(security_log.RECOVERY_CODE_USED, user=user, left=recovery_codes_left(user))
                return device
    return None


def code_wait_seconds(user: Any, *devices: Device) -> int:
    """How long until codes are checked again after wrong ones (django-otp doubles the wait each time); 0: now."""
    candidates = list(devices) or list(devices_for_user(user, confirmed=True))
    waits = []
    for device in candidates:
        allowed, details = device.verify_is_allowed()
        until = (details or {}).get("locked_until")
        waits.append(0 if allowed or until is None else math.ceil((until - timezone.now()).total_seconds()))
    return max(0, min(waits, default=0))


def wrong_code_message(wait: int) -> str:
    """What to tell someone whose code was refused; ``wait``: what ``code_wait_seconds`` said before checking it."""
    if wait:
        return f"Too many wrong codes: wait {wait} seconds, then enter the code shown then."
    return "That code is not valid (or was used already)."


def verification_of(device: Device) -> str:
    """How a device verified someone: ``TOTP`` or ``RECOVERY_CODE``."""
    return RECOVERY_CODE if isinstance(device, StaticDevice) else TOTP


def authenticator(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def pending_authenticator(user: Any) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed by a code): the same one until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The device's secret in base32, as authenticator apps take it when typed in."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def confirm_authenticator(user: Any, device: TOTPDevice, code: str, *, current_code: str = "") -> list[str]:
    """Confirm a pending authenticator with a code it shows; return fresh recovery codes (shown once).

    Replacing an authenticator needs a code from the current one (or a recovery code) as well,
    so that a session left open cannot move someone's second factor to another phone.
    """
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError({"code": "Start the set-up again: this authenticator is not waiting for a code."})
    replacing = has_second_factor(user)
    if replacing:
        wait = code_wait_seconds(user)
        if match_code(user, current_code) is None:
            # The new app's code is left unused: it can be given again with the right current code.
            raise ValidationError({"current_code": wrong_code_message(wait)})
    wait = code_wait_seconds(user, device)
    if not device.verify_token((code or "").replace(" ", "")):
        raise ValidationError(
            {
                "code": wrong_code_message(wait)
                if wait
                else "That code does not match. Check the time on your phone and enter the code shown now."
            }
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
    security_log.record(security_log.MFA_ENROLLED, user=user, replaced=replacing or None)
    return codes


def new_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes with new ones (the old stop working); return them, shown once."""
    if not has_second_factor(user):
        raise ValidationError("Set up an authenticator first: recovery codes stand in for it.")
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
    security_log.record(security_log.RECOVERY_CODES_CREATED, user=user, count=len(codes))
    return codes


def _replace_recovery_codes(user: Any) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return codes


def recovery_codes_left(user: Any) -> int:
    """How many unused recovery codes the user has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def remove_authenticator(user: Any, code: str) -> None:
    """Remove the user's authenticator and recovery codes, given a current code; refused when their role requires one."""
    if mfa_required(user):
        raise ValidationError({"code": "Your role requires a second factor: set up a new authenticator instead."})
    if not has_second_factor(user):
        raise ValidationError({"code": "You have no authenticator to remove."})
    wait = code_wait_seconds(user)
    if match_code(user, code) is None:
        raise ValidationError({"code": f"{wrong_code_message(wait)} Nothing was removed."})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    security_log.record(security_log.MFA_REMOVED, user=user)
