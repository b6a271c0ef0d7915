"""Write services: memberships, the last owner, references, stale versions, one version per write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aims import access, services
from aims.models import ApiToken, Membership, Role
from registers import services as register_services
from registers.models import AISystem, DatasetRecord, Supplier
from tests.factories import UserFactory, make_ai_system, make_management_system, make_record

# --- management systems and memberships ------------------------------------------------


def test_new_management_system_makes_its_creator_the_owner(db):
    creator = UserFactory(username="creator")

    ms = make_management_system(owner=creator, organisation="Fabrikam", name="Fabrikam AIMS")

    assert access.role_of(creator, ms) == Role.OWNER
    assert access.can(creator, access.Action.MANAGE_MEMBERS, ms)
    assert ms.history.get().history_user == creator


def test_added_member_gets_role_rights_and_a_history_row(world):
    newcomer = UserFactory(username="newcomer")

    membership = services.membership_add(
        management_system=world.acme, actor=world.owner, user=newcomer, role=Role.OFFICER
    )

    assert access.can(newcomer, access.Action.EDIT, world.acme)
    assert not access.can(newcomer, access.Action.MANAGE_MEMBERS, world.acme)
    assert membership.granted_by == world.owner
    row = membership.history.get()
    assert (row.history_user, row.history_change_reason) == (world.owner, "Added as Compliance officer")


def test_adding_an_existing_member_again_is_refused(world):
    with pytest.raises(ValidationError, match="already a member"):
        services.membership_add(management_system=world.acme, actor=world.owner, user=world.officer, role=Role.AUDITOR)

    assert Membership.objects.get(management_system=world.acme, user=world.officer).role == Role.OFFICER


def test_role_change_moves_the_member_between_role_groups(world):
    membership = Membership.objects.get(management_system=world.acme, user=world.officer)

    services.membership_update(membership, actor=world.owner, role=Role.AUDITOR, expires_at=None)

    officer = type(world.officer).objects.get(pk=world.officer.pk)
    assert access.role_of(officer, world.acme) == Role.AUDITOR
    assert not access.can(officer, access.Action.EDIT, world.acme)
    assert list(officer.groups.values_list("name", flat=True)) == [access.role_group_name(world.acme, Role.AUDITOR)]


def test_expired_auditor_becomes_an_outsider(world):
    membership = Membership.objects.get(management_system=world.acme, user=world.auditor)

    services.membership_update(
        membership, actor=world.owner, role=Role.AUDITOR, expires_at=timezone.now() - timedelta(minutes=1)
    )

    auditor = type(world.auditor).objects.get(pk=world.auditor.pk)
    assert access.membership_for(auditor, world.acme.pk) is None
    assert not access.can(auditor, access.Action.VIEW, world.acme)


def test_removed_member_loses_access_and_history_keeps_who_removed_them(world):
    membership = Membership.objects.get(management_system=world.acme, user=world.leader)
    membership_id = membership.pk

    services.membership_remove(membership, actor=world.owner)

    leader = type(world.leader).objects.get(pk=world.leader.pk)
    assert access.role_of(leader, world.acme) is None
    assert not leader.groups.exists()
    removal = Membership.history.filter(id=membership_id, history_type="-").get()
    assert (removal.history_user, removal.history_change_reason) == (world.owner, "Removed")


def test_last_owner_can_be_neither_demoted_nor_removed(world):
    ownership = Membership.objects.get(management_system=world.acme, user=world.owner)

    with pytest.raises(ValidationError, match="at least one owner"):
        services.membership_update(ownership, actor=world.owner, role=Role.OFFICER, expires_at=None)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.membership_remove(ownership, actor=world.owner)

    assert Membership.objects.get(pk=ownership.pk).role == Role.OWNER
    assert access.can(world.owner, access.Action.MANAGE_MEMBERS, world.acme)


def test_an_owner_may_step_down_once_another_owner_exists(world):
    officer = Membership.objects.get(management_system=world.acme, user=world.officer)
    services.membership_update(officer, actor=world.owner, role=Role.OWNER, expires_at=None)
    ownership = Membership.objects.get(management_system=world.acme, user=world.owner)

    services.membership_update(ownership, actor=world.owner, role=Role.OFFICER, expires_at=None)

    assert set(
        Membership.objects.filter(management_system=world.acme, role=Role.OWNER).values_list(
            "user__username", flat=True
        )
    ) == {"officer"}


# --- references and versions ---------------------------------------------------------------


def test_references_count_per_management_system(world):
    first = make_ai_system(world.acme, user=world.officer)
    second = make_ai_system(world.acme, user=world.officer)
    elsewhere = make_ai_system(world.northwind, user=world.outsider)

    assert (first.reference, second.reference, elsewhere.reference) == ("AIS-001", "AIS-002", "AIS-001")


def test_references_are_never_reused_after_a_delete(world):
    make_ai_system(world.acme, user=world.officer)
    last = make_ai_system(world.acme, user=world.officer)
    register_services.ai_system_delete(last, user=world.officer, expected_version=1, reason="Duplicate entry")

    replacement = make_ai_system(world.acme, user=world.officer)

    assert replacement.reference == "AIS-003"
    deleted = AISystem.history.get(reference="AIS-002", history_type="-")
    assert (deleted.history_user, deleted.history_change_reason) == (world.officer, "Duplicate entry")


def test_each_write_is_one_version_with_user_and_reason(world):
    dataset = make_record(DatasetRecord, world.acme, user=world.officer, name="Messages")
    system = make_ai_system(world.acme, user=world.officer, reason="Inventory review")

    updated = register_services.ai_system_update(
        system,
        user=world.contributor,
        expected_version=1,
        reason="  Linked   training data  ",
        dataset_records=[dataset],
        notes="See DPIA",
    )

    rows = list(updated.history.order_by("history_id"))
    assert [(r.history_user, r.history_change_reason, r.version) for r in rows] == [
        (world.officer, "Inventory review", 1),
        (world.contributor, "Linked training data", 2),
    ]
    assert list(rows[1].dataset_records.values_list("datasetrecord_id", flat=True)) == [dataset.pk]


def test_change_reason_is_cut_to_the_history_column(world):
    system = make_ai_system(world.acme, user=world.officer, reason="x" * 500)

    assert system.history.get().history_change_reason == "x" * services.REASON_MAX


def test_stale_update_is_refused_and_overwrites_nothing(world):
    system = make_ai_system(world.acme, user=world.officer, name="Triage")
    register_services.ai_system_update(system, user=world.officer, expected_version=1, reason="First", name="Triage v2")

    with pytest.raises(services.StaleVersionError, match="version 1, it is now version 2"):
        register_services.ai_system_update(
            system, user=world.owner, expected_version=1, reason="Second", name="Overwrite"
        )

    system.refresh_from_db()
    assert (system.name, system.version, system.history.count()) == ("Triage v2", 2, 2)


def test_stale_delete_is_refused_and_keeps_the_record(world):
    supplier = make_record(Supplier, world.acme, user=world.officer, name="Cirrus")
    register_services.record_update(
        supplier, user=world.officer, expected_version=1, reason="Contract signed", contract_reference="CT-1"
    )

    with pytest.raises(services.StaleVersionError):
        register_services.record_delete(supplier, user=world.officer, expected_version=1)

    assert Supplier.objects.filter(pk=supplier.pk).exists()


def test_invalid_fields_save_nothing(world):
    with pytest.raises(ValidationError) as excinfo:
        make_ai_system(world.acme, user=world.officer, name="n" * 201, lifecycle_stage="imaginary")

    assert {"name", "lifecycle_stage"} <= set(excinfo.value.message_dict)
    assert not AISystem.objects.exists()
    assert not AISystem.history.exists()


def test_links_to_another_management_system_are_refused(world):
    foreign = make_record(DatasetRecord, world.northwind, user=world.outsider, name="Baskets")
    system = make_ai_system(world.acme, user=world.officer)

    with pytest.raises(ValidationError, match="another management system"):
        register_services.ai_system_update(system, user=world.officer, expected_version=1, dataset_records=[foreign])

    system.refresh_from_db()
    assert (system.version, system.dataset_records.count()) == (1, 0)


def test_system_owner_must_be_a_member_and_gets_the_edit_grant(world):
    with pytest.raises(ValidationError, match="not a member"):
        make_ai_system(world.acme, user=world.officer, owner=world.outsider)

    system = make_ai_system(world.acme, user=world.officer, owner=world.contributor)
    assert access.can(world.contributor, access.Action.EDIT, system)

    register_services.ai_system_update(system, user=world.officer, expected_version=1, owner=world.officer)
    contributor = type(world.contributor).objects.get(pk=world.contributor.pk)
    assert not access.can(contributor, access.Action.EDIT, system)


# --- API tokens ---------------------------------------------------------------------------------


def test_api_token_is_stored_hashed_and_revocable(world):
    token, raw = services.api_token_create(user=world.officer, name="CI")

    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith(stored.prefix)
    assert raw not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == services.hash_token(raw)
    assert stored.revoked_at is None

    services.api_token_revoke(stored)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
