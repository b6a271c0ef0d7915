"""Permission matrix for the SoA: view, edit a row, approve, verify; every persona, own and other system.

Extends the matrix of tests/aims/test_access.py. Outsiders and expired auditors get 404,
never 403, so ids of other management systems leak nothing.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from controls.models import Applicability
from controls.signoffs import SOA
from tests.controls.helpers import INCLUDED, row_of
from tests.kit import SYSTEMS, matrix, sign_data

pytestmark = pytest.mark.django_db

# Expected status in Acme; in Northwind, what the persona's standing there gets (the outsider owns it):
# (view SoA page, edit a row (HTML), edit a row (API), open approval, verify page, verify API)
HIDDEN = (404, 404, 404, 404, 404, 404)
IN_ACME = {
    "owner": (200, 302, 200, 200, 200, 200),
    "officer": (200, 302, 200, 403, 200, 200),
    "leader": (200, 403, 403, 200, 200, 200),
    "contributor": (200, 403, 403, 403, 200, 200),
    "auditor": (200, 403, 403, 403, 200, 200),
    "expired_auditor": HIDDEN,
    "outsider": HIDDEN,
}


def _statuses(status_as, persona, ms) -> tuple[int, ...]:
    row = row_of(ms, "A.2.2")
    form = {
        f"row-{row.pk}-{k}": v
        for k, v in {
            "applicable": INCLUDED,
            "justification": "Policy needed.",
            "implementation_status": "planned",
            "version": row.version,
        }.items()
    }
    view = status_as(persona, "get", reverse("controls:soa", args=[ms.pk]))
    edit_html = status_as(persona, "post", reverse("controls:soa_row_edit", args=[ms.pk, row.pk]), form)
    version = Applicability.objects.get(pk=row.pk).version  # the HTML edit may have moved it on
    edit_api = status_as(
        persona, "patch", f"/api/v1/soa/{row.pk}/", {"last_reviewed": "2026-01-31"}, api=True, version=version
    )
    approve = status_as(persona, "get", reverse("controls:soa_approve", args=[ms.pk]))
    verify_page = status_as(persona, "get", reverse("ledger:verify", args=[ms.pk]))
    verify_api = status_as(persona, "get", f"/api/v1/management-systems/{ms.pk}/verify/", api=True)
    return view, edit_html, edit_api, approve, verify_page, verify_api


@matrix(IN_ACME, where=SYSTEMS)
def test_soa_permissions_in_own_and_other_management_systems(world, status_as, persona, where, expected):
    ms = getattr(world, where)
    assert _statuses(status_as, persona, ms) == expected
    row = row_of(ms, "A.2.2")
    edited = expected[1] == 302
    assert (row.applicable == INCLUDED) is edited
    assert (row.last_reviewed is not None) is edited
    assert (row.version == 1) is not edited


APPROVAL_POST = {
    # Allowed approvers reach the rules (the SoA is undecided, so the blockers are listed).
    "owner": 400,
    "officer": 403,
    "leader": 400,
    "contributor": 403,
    "auditor": 403,
    "expired_auditor": 404,
    "outsider": 404,
}


@matrix(APPROVAL_POST)
def test_approval_post_is_decided_by_sign_off_permission(world, client_as, persona, expected):
    response = client_as(persona).post(
        reverse("controls:soa_approve", args=[world.acme.pk]),
        sign_data(SOA, world.acme, "OK", signer=world.users[persona]),
    )
    assert response.status_code == expected
    if expected == 400:
        assert "not decided yet" in response.content.decode()
