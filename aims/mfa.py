"""Second factors (django-otp): who must have one, and the step-up check at the moment of signing.

Members enrol a TOTP authenticator (with single-use recovery codes) from their own page.
Owners, leadership and superusers must; others may. Every sign-off asks again: the signer
gives the current code (or a recovery code) in the signing form or, on the API, in the
``X-OTP`` header. A member who has no second factor and is not required to have one gives
their password instead. ``verify_step_up`` answers how the signer was verified, which the
sign-off records.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

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
        code = raw.replace(" ", "").replace("-", "")
        for device in devices_for_user(user, confirmed=True):
            if device.verify_token(code):
                return RECOVERY_CODE if isinstance(device, StaticDevice) else TOTP
        raise ValidationError({field: "That code is not valid (or was used already). Nothing was signed."})
    if mfa_required(user):
        raise ValidationError(
            {field: "Set up a second factor on your account page before signing: your role requires one."}
        )
    if not user.check_password(raw):
        raise ValidationError({field: "That password is not right. Nothing was signed."})
    return PASSWORD
