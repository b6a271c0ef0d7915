"""Access decisions in aims.access, below the HTML and API layers."""

import pytest

from aims import access
from aims.access import Action
from tests.factories import make_ai_system
from tests.kit import matrix

pytestmark = pytest.mark.django_db

SYSTEM_ACTIONS = {
    # role: (view, create, edit, delete, manage_members, sign_off, request_pack)
    "owner": (True, True, True, True, True, True, True),
    "officer": (True, True, True, True, False, False, True),
    "leader": (True, False, False, False, False, True, True),
    "contributor": (True, False, False, False, False, False, False),
    "auditor": (True, False, False, False, False, False, True),
    "expired_auditor": (False,) * 7,
    "outsider": (False,) * 7,
}
ORDER = [
    Action.VIEW,
    Action.CREATE,
    Action.EDIT,
    Action.DELETE,
    Action.MANAGE_MEMBERS,
    Action.SIGN_OFF,
    Action.REQUEST_PACK,
]


@matrix(SYSTEM_ACTIONS)
def test_role_decides_actions_on_own_management_system(world, persona, expected):
    user = world.users[persona]
    got = tuple(access.can(user, action, world.acme) for action in ORDER)
    assert got == expected


def test_outsider_owns_only_their_own_management_system(world):
    assert access.can(world.outsider, Action.MANAGE_MEMBERS, world.northwind)
    assert list(access.visible_management_systems(world.outsider)) == [world.northwind]


def test_contributor_edits_only_the_system_they_own(world):
    mine = make_ai_system(world.acme, user=world.officer, name="Mine", owner=world.contributor)
    other = make_ai_system(world.acme, user=world.officer, name="Other")
    assert access.can(world.contributor, Action.EDIT, mine)
    assert not access.can(world.contributor, Action.EDIT, other)
    assert not access.can(world.contributor, Action.DELETE, mine)


def test_expired_auditor_is_an_outsider(world):
    system = make_ai_system(world.acme, user=world.officer)
    assert not access.is_visible(world.expired_auditor, system)
    assert list(access.visible_management_systems(world.expired_auditor)) == []
