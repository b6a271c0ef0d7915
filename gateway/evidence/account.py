"""The service account in whose name the gateway signs checkpoints and records evidence it writes itself."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured

USERNAME = "aims-gateway"
DISPLAY_NAME = "AIMS gateway"


def service_account() -> AbstractBaseUser:
    """The inactive account "AIMS gateway": it cannot log in (no usable password, inactive) and holds no role."""
    user, created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"first_name": "AIMS", "last_name": "gateway", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.is_active or user.is_staff or user.is_superuser or user.has_usable_password():
        raise ImproperlyConfigured(
            f"The user {USERNAME!r} is the gateway's service account: it must stay inactive, without a password "
            "or staff rights. Rename the person's account that took this name."
        )
    return user
