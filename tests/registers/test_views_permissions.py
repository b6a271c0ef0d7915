"""Permission matrix of the HTML views: persona x action x own/other management system.

Every cell asserts the exact status code, and that a refused write changed nothing
(an allowed write changed something). Each action runs in a rolled-back savepoint, so one
test per persona and management system covers every action from the same starting state.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse

from aims.models import Invitation, Membership
from registers.models import AISystem
from tests.factories import UserFactory, make_ai_system
from tests.kit import SYSTEMS, matrix

pytestmark = pytest.mark.django_db

OK, MOVED, FORBIDDEN, HIDDEN = 200, 302, 403, 404

READS = {"list": OK, "view": OK, "history": OK}
NOTHING = {
    "create_get": FORBIDDEN,
    "create_post": FORBIDDEN,
    "edit_get": FORBIDDEN,
    "edit_post": FORBIDDEN,
    "edit_own_get": FORBIDDEN,
    "edit_own_post": FORBIDDEN,
    "delete_post": FORBIDDEN,
    "members_get": FORBIDDEN,
    "members_post": FORBIDDEN,
}
EDITS = {
    "create_get": OK,
    "create_post": MOVED,
    "edit_get": OK,
    "edit_post": MOVED,
    "edit_own_get": OK,
    "edit_own_post": MOVED,
    "delete_post": MOVED,
}
ACTIONS = [*READS, *NOTHING]

# Expected status by role in the management system the request goes to.
MATRIX: dict[str, dict[str, int]] = {
    "owner": {**READS, **NOTHING, **EDITS, "members_get": OK, "members_post": MOVED},
    "officer": {**READS, **NOTHING, **EDITS},
    "leader": {**READS, **NOTHING},
    "contributor": {**READS, **NOTHING, "edit_own_get": OK, "edit_own_post": MOVED},
    "auditor": {**READS, **NOTHING},
    "expired_auditor": dict.fromkeys(ACTIONS, HIDDEN),
    "outsider": dict.fromkeys(ACTIONS, HIDDEN),
}


@dataclass
class Scene:
    ms: object
    other: AISystem  # owned by nobody who is asking
    own: AISystem  # owned by the contributor in Acme


@pytest.fixture
def scenes(world) -> dict[str, Scene]:
    acme = Scene(
        world.acme,
        other=make_ai_system(world.acme, user=world.officer, name="Claims triage"),
        own=make_ai_system(world.acme, user=world.officer, name="Rota planner", owner=world.contributor),
    )
    northwind = Scene(
        world.northwind,
        other=make_ai_system(world.northwind, user=world.outsider, name="Demand forecast"),
        own=make_ai_system(world.northwind, user=world.outsider, name="Shelf vision", owner=world.outsider),
    )
    UserFactory(username="newcomer")
    return {"acme": acme, "northwind": northwind}


def system_form(system: AISystem | None, **changes) -> dict:
    data = {
        "name": system.name if system else "Chat summariser",
        "purpose": "Summarises chats for the service desk.",
        "lifecycle_stage": "design",
        "in_scope": "on",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "eu_ai_act_risk_class": "limited",
        "human_oversight": "on_the_loop",
        "change_reason": "Matrix test",
    }
    if system is not None:
        data["version"] = system.version
        if system.owner_id:
            data["owner"] = system.owner_id
    data.update(changes)
    return data


def perform(client, action: str, scene: Scene):
    ms = scene.ms.pk
    urls = {
        "list": reverse("registers:ai_system_list", args=[ms]),
        "view": reverse("registers:ai_system_detail", args=[ms, scene.other.pk]),
        "history": reverse("registers:ai_system_history", args=[ms, scene.other.pk]),
        "create": reverse("registers:ai_system_create", args=[ms]),
        "edit": reverse("registers:ai_system_edit", args=[ms, scene.other.pk]),
        "edit_own": reverse("registers:ai_system_edit", args=[ms, scene.own.pk]),
        "delete": reverse("registers:ai_system_delete", args=[ms, scene.other.pk]),
        "members": reverse("aims:members", args=[ms]),
    }
    posts = {
        "create_post": system_form(None),
        "edit_post": system_form(scene.other, name="Renamed"),
        "edit_own_post": system_form(scene.own, name="Renamed"),
        "delete_post": {"version": scene.other.version},
        "members_post": {"invite-email": "newcomer@example.org", "invite-role": "auditor"},
    }
    if action in posts:
        return client.post(urls[action.removesuffix("_post")], posts[action])
    return client.get(urls[action.removesuffix("_get")])


def state() -> tuple:
    """Everything a write through these views could change."""
    return (
        sorted(AISystem.objects.values_list("pk", "version", "name")),
        sorted(Membership.objects.values_list("user_id", "management_system_id", "role")),
        sorted(Invitation.objects.values_list("email", "management_system_id", "role")),
        AISystem.history.count(),
    )


def check(client, action: str, scene: Scene, expected: int) -> str | None:
    """Perform one action in a savepoint that is rolled back; describe what went wrong, if anything."""
    with transaction.atomic():
        before = state()
        status = perform(client, action, scene).status_code
        changed = state() != before
        transaction.set_rollback(True)
    if status != expected:
        return f"{action}: got {status}, expected {expected}"
    if action.endswith("_post") and changed != (expected in (OK, MOVED)):
        return f"{action}: {'a refused write changed the database' if changed else 'an allowed write changed nothing'}"
    return None


@matrix(MATRIX, where=SYSTEMS)
def test_html_permission_matrix(world, scenes, client_as, persona, where, expected):
    """Every action for one persona in one management system (each action rolled back after)."""
    client = client_as(persona)

    problems = [check(client, action, scenes[where], expected[action]) for action in ACTIONS]

    assert [p for p in problems if p] == []


def test_anonymous_visitor_is_sent_to_log_in(world, scenes, client):
    response = client.get(reverse("registers:ai_system_list", args=[world.acme.pk]))
    assert response.status_code == MOVED
    assert response["Location"].startswith(reverse("login"))
