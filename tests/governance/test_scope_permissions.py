"""Who may read, edit and approve the scope, in their own management system and in another (404)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from governance.models import Scope
from tests.governance.scope_helpers import make_scope
from tests.kit import SYSTEMS, matrix, otp_header, sign_data

READ, EDIT, SIGN = "read", "edit", "sign"
# What each persona may do in Acme: read the page and API, edit the parts and exclusions, approve.
ROLES = {
    "owner": {READ, EDIT, SIGN},
    "officer": {READ, EDIT},
    "leader": {READ, SIGN},
    "contributor": {READ},
    "auditor": {READ},
    "expired_auditor": set(),
    "outsider": set(),
}


def _expect(may: set[str], what: str, ok: int) -> int:
    if not may:
        return 404
    return ok if what in may else 403


@matrix(ROLES, where=SYSTEMS)
def test_scope_access_by_role(world, status_as, persona, where, expected):
    ms = getattr(world, where)
    someone = world.officer if where == "acme" else None  # nobody of Northwind's personas edits first
    scope = make_scope(ms, someone)
    signer = world.users[persona] if persona != "anonymous" else None
    page = reverse("governance:scope", args=[ms.pk])
    api = f"/api/v1/scope/{scope.pk}/"
    statuses: dict[str, Any] = {
        "page": status_as(persona, "get", page),
        "history": status_as(persona, "get", reverse("governance:scope_history", args=[ms.pk])),
        "api": status_as(persona, "get", api, api=True),
        "edit_form": status_as(persona, "get", reverse("governance:scope_edit", args=[ms.pk])),
    }
    statuses["approve"] = status_as(
        persona,
        "post",
        reverse("governance:scope_approve", args=[ms.pk]),
        sign_data("scope_approval", scope, signer=signer),
    )
    version = Scope.objects.get(pk=scope.pk).version
    statuses["api_patch"] = status_as(persona, "patch", api, {"sites": "Riverside"}, api=True, version=version)
    version = Scope.objects.get(pk=scope.pk).version
    statuses["exclusion"] = status_as(
        persona, "post", reverse("governance:scope_exclusion_add", args=[ms.pk]),
        {"version": version, "excluded": "Office tools", "rationale": "No patient data."},
    )  # fmt: skip
    may = expected
    assert statuses == {
        "page": _expect(may, READ, 200),
        "history": _expect(may, READ, 200),
        "api": _expect(may, READ, 200),
        "edit_form": _expect(may, EDIT, 200),
        "approve": _expect(may, SIGN, 302),
        "api_patch": _expect(may, EDIT, 200),
        "exclusion": _expect(may, EDIT, 302),
    }


def test_the_api_approval_needs_the_sign_off_right(world, api_as):
    scope = make_scope(world.acme, world.officer)
    headers = {"HTTP_IF_MATCH": f'"{scope.version}"', "HTTP_X_OTP": otp_header(world, "officer")["x-otp"]}
    response = api_as("officer").post(
        f"/api/v1/scope/{scope.pk}/approve/", {"statement": "Ok"}, format="json", **headers
    )
    assert response.status_code == 403
