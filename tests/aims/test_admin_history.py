"""The admin shows every version of a record and never saves one back (simple-history's revert form).

A revert would write with ``Model.save()``: no service, no version, no reason, and every
field editable, even on a read-only model (a pack's file name could point anywhere).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from aims.admin import HistoryAdmin
from packs.models import AuditPack
from tests.factories import make_ai_system
from tests.packs.helpers import make_ready_pack

pytestmark = pytest.mark.django_db


def _history_urls(obj) -> tuple[str, str]:
    opts = obj._meta
    latest = obj.history.latest()
    return (
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, latest.history_id]),
    )


def test_reverting_is_off_in_the_settings():
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True


def test_every_admin_with_history_is_a_history_admin_that_never_reverts():
    with_history = [type(a).__name__ for a in admin.site._registry.values() if isinstance(a, SimpleHistoryAdmin)]
    assert with_history
    assert [
        type(a).__name__
        for a in admin.site._registry.values()
        if isinstance(a, SimpleHistoryAdmin) and not isinstance(a, HistoryAdmin)
    ] == []


def test_a_pack_file_name_cannot_be_pointed_elsewhere_through_the_revert_form(world, superuser_client):
    pack = make_ready_pack(world)
    history_count = pack.history.count()
    _list, form_url = _history_urls(pack)
    data = {
        "management_system": world.acme.pk, "kind": pack.kind, "as_of_0": "2026-01-01", "as_of_1": "00:00:00",
        "requested_by": world.auditor.pk, "status": "ready", "file_name": "/etc/passwd", "sha256": pack.sha256,
        "progress": 100, "attempts": 0, "_save": "Revert",
    }  # fmt: skip

    response = superuser_client.post(form_url, data)

    assert response.status_code == 405
    pack.refresh_from_db()
    assert pack.file_name != "/etc/passwd"
    assert pack.history.count() == history_count


def test_an_ai_system_is_not_reverted_without_a_version_and_a_reason(world, superuser_client):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    _list, form_url = _history_urls(system)

    response = superuser_client.post(
        form_url,
        {"name": "Reverted", "purpose": system.purpose, "lifecycle_stage": system.lifecycle_stage, "_save": "Revert"},
    )

    assert response.status_code == 405
    system.refresh_from_db()
    assert (system.name, system.version, system.history.count()) == ("Triage", 1, 1)


def test_a_management_system_is_not_reverted(world, superuser_client):
    _list, form_url = _history_urls(world.acme)

    response = superuser_client.post(form_url, {"organisation": "Forged", "name": "Forged", "status": "active"})

    assert response.status_code == 405
    world.acme.refresh_from_db()
    assert world.acme.organisation == "Acme Health"


@pytest.mark.parametrize("make", [make_ready_pack, lambda world: make_ai_system(world.acme, user=world.officer)])
def test_history_pages_still_show_every_version_without_a_revert_button(world, superuser_client, make):
    obj = make(world)
    list_url, form_url = _history_urls(obj)

    listing = superuser_client.get(list_url)
    version = superuser_client.get(form_url)

    assert listing.status_code == 200
    assert version.status_code == 200
    assert b"revert to a previous version" not in listing.content
    assert b'value="Revert"' not in version.content
    assert isinstance(obj, AuditPack) or obj.name.encode() in version.content
