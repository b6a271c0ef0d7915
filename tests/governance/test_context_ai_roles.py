"""AI systems record the organisation's roles as a set (ISO/IEC 22989 and EU AI Act operator roles, each with a
basis) and the EU AI Act class with its basis: on the form, in the API, and carried over from the old single role."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from registers.models import AISystem, AISystemRole
from tests.factories import make_ai_system

migration = importlib.import_module("registers.migrations.0007_ai_system_roles")


def roles_of(system: AISystem) -> dict[str, tuple[str, str]]:
    return {row.role: (row.scheme, row.basis) for row in AISystemRole.objects.filter(ai_system=system)}


def test_the_form_records_a_set_of_roles_and_the_eu_ai_act_class_with_its_basis(world, client_as):
    client, ms = client_as("officer"), world.acme
    data = {
        "name": "Radiology triage", "purpose": "Orders the worklist.", "lifecycle_stage": "operation", "in_scope": "on",
        "eu_ai_act_risk_class": "high_product", "eu_ai_act_basis": "Annex I: class IIa medical device software.",
        "human_oversight": "in_the_loop", "roles-TOTAL_FORMS": "3", "roles-INITIAL_FORMS": "0",
        "roles-0-role": "deployer", "roles-0-basis": "Used under our authority.",
        "roles-1-role": "ai_customer", "roles-1-basis": "Licensed from Lumina.", "roles-2-role": "",
    }  # fmt: skip
    assert client.post(reverse("registers:ai_system_create", args=[ms.pk]), data).status_code == 302
    system = AISystem.objects.get(management_system=ms, name="Radiology triage")
    assert roles_of(system) == {
        "deployer": ("eu_ai_act", "Used under our authority."),
        "ai_customer": ("iso_22989", "Licensed from Lumina."),
    }
    assert (
        system.get_eu_ai_act_risk_class_display() == "High-risk as safety component of a product (Art. 6(1), Annex I)"
    )
    assert system.eu_ai_act_basis.startswith("Annex I")

    edit = reverse("registers:ai_system_edit", args=[ms.pk, system.pk])
    data["roles-INITIAL_FORMS"] = "2"  # the two rows the edit page shows filled in
    twice = {**data, "version": 1, "roles-1-role": "deployer"}
    page = client.post(edit, twice)
    assert page.status_code == 200 and "given twice" in page.content.decode()
    assert (
        client.post(edit, {**data, "version": 1, "roles-1-DELETE": "on", "roles-0-basis": "Ours."}).status_code == 302
    )
    assert roles_of(system) == {"deployer": ("eu_ai_act", "Ours.")}
    detail = client.get(reverse("registers:ai_system_history", args=[ms.pk, system.pk])).content.decode()
    assert "Changes to the organisation&#x27;s roles" in detail or "Changes to the organisation's roles" in detail


def test_the_api_reads_and_replaces_the_roles_and_keeps_a_derived_ai_role(world, api_as):
    system = make_ai_system(world.acme, user=world.officer, roles=[{"role": "provider", "basis": "Our product."}])
    api, url = api_as("officer"), f"/api/v1/ai-systems/{system.pk}/"
    body = api.get(url).json()
    assert body["roles"] == [{"scheme": "eu_ai_act", "role": "provider", "basis": "Our product."}]
    assert body["ai_role"] == "provider"

    roles = [{"role": "ai_producer", "basis": "Built in-house."}, {"role": "deployer", "scheme": "eu_ai_act"}]
    patch = api.patch(url, {"roles": roles, "eu_ai_act_risk_class": "limited", "eu_ai_act_basis": "Art. 50(1)"},
                      format="json", HTTP_IF_MATCH='"1"')  # fmt: skip
    assert patch.status_code == 200, patch.content
    assert {r["role"] for r in patch.json()["roles"]} == {"ai_producer", "deployer"}
    assert patch.json()["ai_role"] == "deployer" and patch.json()["eu_ai_act_basis"] == "Art. 50(1)"
    wrong_scheme = api.patch(url, {"roles": [{"role": "deployer", "scheme": "iso_22989"}]}, format="json",
                             HTTP_IF_MATCH='"2"')  # fmt: skip
    assert wrong_scheme.status_code == 400
    unknown = api.patch(url, {"roles": [{"role": "overlord"}]}, format="json", HTTP_IF_MATCH='"2"')
    assert unknown.status_code == 400 and "roles" in unknown.json()
    assert (
        api.patch(url, {"eu_ai_act_risk_class": "limited risk"}, format="json", HTTP_IF_MATCH='"2"').status_code == 400
    )
    assert set(roles_of(system)) == {"ai_producer", "deployer"}
    history = AISystemRole.history.filter(ai_system_id=system.pk)
    assert history.filter(history_type="-", role="provider").exists()


def test_a_role_given_twice_is_refused_by_the_service(world):
    with pytest.raises(ValidationError, match="twice"):
        make_ai_system(world.acme, user=world.officer, roles=[{"role": "deployer"}, {"role": "deployer"}])


def test_the_data_migration_turns_each_old_single_role_into_a_role_row(world):
    """The migration's step, run on systems as they stood before it: each old choice becomes one role with a basis."""
    old = {name: make_ai_system(world.acme, user=world.officer, name=name) for name in migration.OLD_ROLES}

    class OldSystems:
        @staticmethod
        def exclude(**kwargs):
            rows = [SimpleNamespace(pk=system.pk, ai_role=name) for name, system in old.items()]
            return SimpleNamespace(only=lambda *fields: SimpleNamespace(iterator=lambda: iter(rows)))

    models = {"AISystem": SimpleNamespace(objects=OldSystems), "AISystemRole": AISystemRole,
              "HistoricalAISystemRole": AISystemRole.history.model}  # fmt: skip
    migration.roles_from_single_role(SimpleNamespace(get_model=lambda app, name: models[name]), None)

    expected = {
        "provider": "provider", "deployer": "deployer", "importer": "importer", "distributor": "distributor",
        "developer": "ai_producer", "user": "ai_customer",
    }  # fmt: skip
    for name, system in old.items():
        assert roles_of(system) == {expected[name]: (AISystemRole.scheme_of(expected[name]), migration.BASIS)}
        assert AISystem.objects.get(pk=system.pk).ai_role == name  # the derived field gives the old value back
        carried = AISystemRole.history.filter(ai_system_id=system.pk, history_change_reason=migration.REASON)
        assert carried.count() == 1 and carried.get().history_type == "+"
    assert django_apps.get_model("registers", "AISystemRole") is AISystemRole
