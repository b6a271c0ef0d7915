"""Services of the context family: writes with history and a reason, optimistic versions, links kept inside one
management system, retirement with a reason, and the legal register's own rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from aims.services import StaleVersionError
from governance.context import services
from governance.models import ContextIssue, Requirement
from tests.factories import RiskFactory, make_ai_system
from tests.governance.context_helpers import make_issue, make_party, make_requirement


def test_a_context_issue_is_created_changed_and_retired_with_history(world):
    risk = RiskFactory(management_system=world.acme, user=world.officer)
    issue = make_issue(world.acme, world.officer, risks=[risk], reason="Context analysis")
    assert issue.reference == "CTX-001" and list(issue.risks.all()) == [risk]

    changed = services.context_issue_update(
        issue, user=world.officer, expected_version=1, reason="Reviewed", effect="More classification work"
    )
    assert changed.version == 2
    with pytest.raises(StaleVersionError):
        services.context_issue_update(issue, user=world.officer, expected_version=1, effect="Lost update")
    with pytest.raises(ValidationError):
        services.context_issue_retire(changed, user=world.officer, expected_version=2, reason="  ")
    retired = services.context_issue_retire(
        changed, user=world.officer, expected_version=2, reason="No longer relevant"
    )

    assert retired.is_retired and retired.retired_reason == "No longer relevant"
    history = list(ContextIssue.history.filter(id=issue.pk).order_by("history_id"))
    assert [row.history_change_reason for row in history] == [
        "Context analysis",
        "Reviewed",
        "Retired: No longer relevant",
    ]
    assert all(row.history_user == world.officer for row in history)
    assert ContextIssue.objects.get(pk=issue.pk).effect == "More classification work"


def test_links_to_another_management_system_are_refused(world):
    foreign_risk = RiskFactory(management_system=world.northwind, user=world.outsider)
    foreign_system = make_ai_system(world.northwind, user=world.outsider)
    foreign_party = make_party(world.northwind, world.outsider)
    with pytest.raises(ValidationError) as refused:
        make_issue(world.acme, world.officer, risks=[foreign_risk])
    assert "risks" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        make_requirement(world.acme, world.officer, ai_systems=[foreign_system])
    assert "ai_systems" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        make_requirement(world.acme, world.officer, party=foreign_party)
    assert "party" in refused.value.message_dict
    requirement = make_requirement(world.acme, world.officer)
    with pytest.raises(ValidationError):
        services.requirement_update(requirement, user=world.officer, expected_version=1, party=foreign_party)
    assert Requirement.objects.filter(management_system=world.northwind).count() == 0
    assert Requirement.objects.get(pk=requirement.pk).version == 1


def test_an_addressed_requirement_says_how(world):
    with pytest.raises(ValidationError) as refused:
        make_requirement(world.acme, world.officer, addressed="yes", how_addressed=" ")
    assert "how_addressed" in refused.value.message_dict
    requirement = make_requirement(world.acme, world.officer, addressed="partly", how_addressed="DPIA for two systems")
    with pytest.raises(ValidationError):
        services.requirement_update(requirement, user=world.officer, expected_version=1, how_addressed="")
    not_addressed = services.requirement_update(
        requirement, user=world.officer, expected_version=1, addressed="no", how_addressed=""
    )
    assert not_addressed.version == 2


def test_a_party_with_current_requirements_is_not_retired_until_they_are(world):
    requirement = make_requirement(world.acme, world.officer)
    party = requirement.party
    with pytest.raises(ValidationError, match=requirement.reference):
        services.interested_party_retire(party, user=world.officer, expected_version=1, reason="Merged")
    services.requirement_retire(requirement, user=world.officer, expected_version=1, reason="Law repealed")
    retired = services.interested_party_retire(party, user=world.officer, expected_version=1, reason="Merged")
    assert retired.is_retired
    with pytest.raises(ValidationError, match="retired"):
        make_requirement(world.acme, world.officer, party=retired)
