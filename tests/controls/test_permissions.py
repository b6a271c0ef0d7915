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
from tests.kit import sign_data

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "officer", "leader", "contributor", "auditor", "expired_auditor", "outsider"]
# Expected status in the persona's OWN management system (the outsider owns Northwind):
# (view SoA page, edit a row (HTML), edit a row (API), open approval, verify page, verify API)
OWN = {
    "owner": (200, 302, 200, 200, 200, 200),
    "officer": (200, 302, 200, 403, 200, 200),
    "leader": (200, 403, 403, 200, 200, 200),
    "contributor": (200, 403, 403, 403, 200, 200),
    "auditor": (200, 403, 403, 403, 200, 200),
    "expired_auditor": (404, 404, 404, 404, 404, 404),
    "outsider": (200, 302, 200, 200, 200, 200),
}
OTHER = (404, 404, 404, 404, 404, 404)


def _systems(world, persona):
    own, other = (world.northwind, world.acme) if persona == "outsider" else (world.acme, world.northwind)
    return own, other


def _statuses(client_as, api_as, persona, ms) -> tuple[int, ...]:
    client = client_as(persona)
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
    api_client = api_as(persona)
    view = client.get(reverse("controls:soa", args=[ms.pk])).status_code
    edit_html = client.post(reverse("controls:soa_row_edit", args=[ms.pk, row.pk]), form).status_code
    version = Applicability.objects.get(pk=row.pk).version  # the HTML edit may have moved it on
    edit_api = api_client.patch(
        f"/api/v1/soa/{row.pk}/", {"last_reviewed": "2026-01-31"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    ).status_code
    approve = client.get(reverse("controls:soa_approve", args=[ms.pk])).status_code
    verify_page = client.get(reverse("ledger:verify", args=[ms.pk])).status_code
    verify_api = api_client.get(f"/api/v1/management-systems/{ms.pk}/verify/").status_code
    return view, edit_html, edit_api, approve, verify_page, verify_api


@pytest.mark.parametrize("persona", PERSONAS)
def test_soa_permissions_in_own_management_system(world, client_as, api_as, persona):
    own, _other = _systems(world, persona)
    assert _statuses(client_as, api_as, persona, own) == OWN[persona]
    row = row_of(own, "A.2.2")
    edited = OWN[persona][1] == 302
    assert (row.applicable == INCLUDED) is edited
    assert (row.last_reviewed is not None) is edited


@pytest.mark.parametrize("persona", PERSONAS)
def test_soa_of_another_management_system_does_not_exist(world, client_as, api_as, persona):
    _own, other = _systems(world, persona)
    assert _statuses(client_as, api_as, persona, other) == OTHER
    row = row_of(other, "A.2.2")
    assert row.version == 1


@pytest.mark.parametrize("persona", ["owner", "leader", "officer", "auditor", "outsider"])
def test_approval_post_is_decided_by_sign_off_permission(world, client_as, persona):
    response = client_as(persona).post(
        reverse("controls:soa_approve", args=[world.acme.pk]), sign_data(SOA, world.acme, "OK")
    )
    # Allowed approvers reach the rules (the SoA is undecided, so the blockers are listed).
    expected = {"owner": 400, "leader": 400, "officer": 403, "auditor": 403, "outsider": 404}[persona]
    assert response.status_code == expected
    if expected == 400:
        assert "not decided yet" in response.content.decode()
