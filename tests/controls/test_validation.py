"""SoA rules: a decision needs a justification, exclusions are not applicable, approval needs a complete SoA."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aims.models import SignOff
from controls import services
from tests.controls.helpers import EXCLUDED, INCLUDED, Status, decide_all, row_of

pytestmark = pytest.mark.django_db


def _reload(row):
    return type(row).objects.get(pk=row.pk)


def test_deciding_without_justification_is_refused_and_nothing_saved(world):
    row = row_of(world.acme, "A.2.2")
    with pytest.raises(ValidationError) as error:
        services.applicability_update(
            row, user=world.officer, expected_version=row.version, applicable=INCLUDED, justification="  "
        )
    assert "clause 6.1.3 requires one" in error.value.message_dict["justification"][0]
    saved = _reload(row)
    assert saved.applicable == "undecided" and saved.version == 1
    assert saved.history.count() == 1


def test_excluding_without_justification_is_refused_too(world):
    row = row_of(world.acme, "A.10.4")
    with pytest.raises(ValidationError, match="justification"):
        services.applicability_update(
            row,
            user=world.officer,
            expected_version=row.version,
            applicable=EXCLUDED,
            implementation_status=Status.NOT_APPLICABLE,
        )


def test_excluded_control_marked_implemented_is_refused(world):
    row = row_of(world.acme, "A.10.4")
    with pytest.raises(ValidationError) as error:
        services.applicability_update(
            row,
            user=world.officer,
            expected_version=row.version,
            applicable=EXCLUDED,
            justification="No customers.",
            implementation_status=Status.IMPLEMENTED,
        )
    assert "excluded control is “Not applicable”" in error.value.message_dict["implementation_status"][0]
    assert _reload(row).applicable == "undecided"


def test_included_control_cannot_be_not_applicable(world):
    row = row_of(world.acme, "A.2.2")
    with pytest.raises(ValidationError, match="Only an excluded control"):
        services.applicability_update(
            row,
            user=world.officer,
            expected_version=row.version,
            applicable=INCLUDED,
            justification="Policy.",
            implementation_status=Status.NOT_APPLICABLE,
        )


def test_control_owner_must_be_a_member(world):
    row = row_of(world.acme, "A.2.2")
    with pytest.raises(ValidationError, match="not a member"):
        services.applicability_update(row, user=world.officer, expected_version=row.version, owner=world.outsider)


def test_approval_with_undecided_rows_is_refused_with_the_list(world):
    decide_all(world.acme, world.officer)
    undecided = row_of(world.acme, "A.7.4")
    # Back to undecided: the justification may stay, the decision is what is missing.
    services.applicability_update(
        undecided,
        user=world.officer,
        expected_version=undecided.version,
        applicable="undecided",
        implementation_status=Status.NOT_STARTED,
    )
    with pytest.raises(ValidationError) as error:
        services.soa_approve(
            verification="password",
            management_system=world.acme,
            user=world.leader,
            statement="Approved.",
            confirmed=True,
        )
    assert error.value.messages == [
        "A.7.4 Data quality requirements, and data that meets them: not decided yet (include or exclude it)."
    ]
    assert not SignOff.objects.exists()


def test_approval_needs_the_confirmation_and_a_statement(world):
    decide_all(world.acme, world.officer)
    with pytest.raises(ValidationError, match="Tick the box"):
        services.soa_approve(
            verification="password",
            management_system=world.acme,
            user=world.leader,
            statement="Approved.",
            confirmed=False,
        )
    with pytest.raises(ValidationError, match="statement"):
        services.soa_approve(
            verification="password", management_system=world.acme, user=world.leader, statement="  ", confirmed=True
        )
    assert not SignOff.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "contributor", "auditor"])
def test_only_owner_and_leadership_approve_the_soa(world, persona):
    decide_all(world.acme, world.officer)
    with pytest.raises(PermissionDenied):
        services.soa_approve(
            verification="password",
            management_system=world.acme,
            user=world.users[persona],
            statement="Approved.",
            confirmed=True,
        )
    assert not SignOff.objects.exists()
