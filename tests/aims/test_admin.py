"""Admin for superusers: every model with history, writes through the services, tokens never shown."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from aims import access, services
from aims.models import ApiToken, Membership, Role
from registers.models import AISystem
from tests.factories import UserFactory, make_ai_system


def _ai_system_form(system: AISystem, **changes) -> dict:
    data = {
        "name": system.name,
        "purpose": system.purpose,
        "intended_use": system.intended_use,
        "owner": system.owner_id or "",
        "lifecycle_stage": system.lifecycle_stage,
        "eu_ai_act_risk_class": system.eu_ai_act_risk_class,
        "human_oversight": system.human_oversight,
        "notes": system.notes,
        "expected_version": system.version,
    }
    if system.in_scope:
        data["in_scope"] = "on"
    data.update(changes)
    return data


@pytest.mark.parametrize("app_label", ["aims", "registers"])
def test_every_model_of_the_app_is_in_the_admin(app_label):
    models = [m for m in apps.get_app_config(app_label).get_models() if not hasattr(m, "instance_type")]
    assert models
    assert [m.__name__ for m in models if not admin.site.is_registered(m)] == []


def test_register_models_have_a_history_view(world, superuser_client):
    system = make_ai_system(world.acme, user=world.officer, reason="Inventory review")

    response = superuser_client.get(reverse("admin:registers_aisystem_history", args=[system.pk]))

    assert response.status_code == 200
    assert "Inventory review" in response.content.decode()


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry if m._meta.app_label in ("aims", "registers")], ids=str
)
def test_changelist_opens_for_every_model(world, superuser_client, model):
    make_ai_system(world.acme, user=world.officer)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200


def test_admin_edit_is_one_version_by_the_superuser_with_a_reason(world, superuser_client):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    url = reverse("admin:registers_aisystem_change", args=[system.pk])

    response = superuser_client.post(url, _ai_system_form(system, name="Triage v2"))

    assert response.status_code == 302
    system.refresh_from_db()
    latest = system.history.latest()
    assert (system.name, system.version) == ("Triage v2", 2)
    assert latest.history_user.username == "root"
    assert latest.history_change_reason == "Edited in admin: name"
    assert system.history.count() == 2


def test_admin_edit_from_a_stale_version_saves_nothing(world, superuser_client):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    stale = _ai_system_form(system, name="Overwrite")
    system = services.register_update(system, user=world.officer, expected_version=1, name="Triage v2")

    response = superuser_client.post(reverse("admin:registers_aisystem_change", args=[system.pk]), stale, follow=True)

    assert "Nothing was saved" in response.content.decode()
    system.refresh_from_db()
    assert (system.name, system.version) == ("Triage v2", 2)


def test_admin_create_uses_the_next_reference(world, superuser_client):
    make_ai_system(world.acme, user=world.officer)
    data = _ai_system_form(AISystem(name="Chatbot", purpose="Answers FAQs"), management_system=world.acme.pk)
    data.pop("expected_version")

    response = superuser_client.post(reverse("admin:registers_aisystem_add"), data)

    assert response.status_code == 302
    created = AISystem.objects.get(name="Chatbot")
    assert (created.reference, created.version) == ("AIS-002", 1)
    assert created.history.get().history_change_reason == "Created in admin"


def test_admin_membership_add_grants_the_role(world, superuser_client):
    newcomer = UserFactory(username="newcomer")
    data = {
        "user": newcomer.pk,
        "management_system": world.acme.pk,
        "role": Role.OFFICER,
        "expires_at_0": "",
        "expires_at_1": "",
    }

    response = superuser_client.post(reverse("admin:aims_membership_add"), data)

    assert response.status_code == 302
    assert access.can(newcomer, access.Action.EDIT, world.acme)


def test_admin_cannot_remove_the_last_owner(world, superuser_client):
    ownership = Membership.objects.get(management_system=world.acme, user=world.owner)

    response = superuser_client.post(
        reverse("admin:aims_membership_delete", args=[ownership.pk]), {"post": "yes"}, follow=True
    )

    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=ownership.pk).exists()


def test_api_tokens_are_listed_without_their_hash_and_cannot_be_added(world, superuser_client):
    token, raw = services.api_token_create(user=world.officer, name="CI")

    listing = superuser_client.get(reverse("admin:aims_apitoken_changelist")).content.decode()
    detail = superuser_client.get(reverse("admin:aims_apitoken_change", args=[token.pk])).content.decode()

    assert token.prefix in listing
    for page in (listing, detail):
        assert token.key_hash not in page
        assert raw not in page
    assert superuser_client.get(reverse("admin:aims_apitoken_add")).status_code == 403


def test_api_token_revoke_action(world, superuser_client):
    token, _raw = services.api_token_create(user=world.officer)

    superuser_client.post(
        reverse("admin:aims_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


@pytest.mark.parametrize("with_permissions", [False, True])
def test_the_admin_admits_superusers_only(world, client_as, with_permissions):
    """Staff accounts, even with every model permission, are sent to the admin's login page."""
    staff = UserFactory(username="staff", is_staff=True)
    if with_permissions:
        staff.user_permissions.set(Permission.objects.all())
    client = Client()
    client.force_login(staff)
    for url in (reverse("admin:index"), reverse("admin:registers_aisystem_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    member = client_as("owner")  # the owner of a management system is no admin either
    assert member.get(reverse("admin:index")).status_code == 302
