"""Admin: the catalog and sign-offs are read-only; SoA rows change only through the service."""

import pytest
from django.urls import reverse

from controls import services
from controls.models import Applicability, Control
from tests.controls.helpers import decide_all, row_of

pytestmark = pytest.mark.django_db


def test_sign_offs_and_catalog_cannot_be_added_changed_or_deleted_in_admin(world, superuser_client):
    decide_all(world.acme, world.officer)
    signoff = services.soa_approve(
        verification="password", management_system=world.acme, user=world.leader, statement="OK", confirmed=True
    )
    assert superuser_client.get(reverse("admin:aims_signoff_changelist")).status_code == 200
    page = superuser_client.get(reverse("admin:aims_signoff_change", args=[signoff.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert superuser_client.get(reverse("admin:aims_signoff_add")).status_code == 403
    assert (
        superuser_client.post(reverse("admin:aims_signoff_delete", args=[signoff.pk]), {"post": "yes"}).status_code
        == 403
    )
    control = Control.objects.first()
    assert (
        superuser_client.post(reverse("admin:controls_control_delete", args=[control.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Control.objects.filter(framework__key="iso42001-2023-annex-a").count() == 38


def test_soa_row_cannot_be_added_or_deleted_in_admin(world, superuser_client):
    row = row_of(world.acme, "A.2.2")
    assert superuser_client.get(reverse("admin:controls_applicability_add")).status_code == 403
    assert (
        superuser_client.post(
            reverse("admin:controls_applicability_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Applicability.objects.filter(pk=row.pk).exists()
    assert superuser_client.get(reverse("admin:controls_applicability_change", args=[row.pk])).status_code == 200
