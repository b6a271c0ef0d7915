"""Scope records for the scope tests, written through the services as the application writes them."""

from __future__ import annotations

from typing import Any

from aims import services as kit
from governance.models import ContextIssue, InterestedParty, Requirement, Scope
from governance.scope import services
from tests.factories import make_ai_system

PARTS = {
    "units": "Clinical directorates\nDigital and data directorate",
    "sites": "Riverside Hospital\nHillcrest Hospital",
    "activities": "Deploying suppliers' AI in patient care\nDeveloping in-house models",
    "interfaces": "The ISMS covers hosting.",
}


def make_scope(ms: Any, user: Any, **fields: Any) -> Scope:
    """A complete scope (units, sites, activities) with one justified exclusion, ready for approval."""
    scope = services.scope_create(management_system=ms, user=user, **{**PARTS, **fields})
    services.exclusion_add(
        scope, user=user, expected_version=scope.version, excluded="Research projects",
        rationale="Governed by the research ethics committee.",
    )  # fmt: skip
    return Scope.objects.get(pk=scope.pk)


def make_system(ms: Any, user: Any, name: str, **fields: Any) -> Any:
    return make_ai_system(ms, user=user, name=name, **fields)


def make_issue_and_requirement(ms: Any, user: Any) -> tuple[ContextIssue, Requirement]:
    """A context issue and a requirement of an interested party, created directly (their pages are another family's)."""
    issue = kit.register_create(
        ContextIssue, management_system=ms, user=user, title="EU AI Act obligations", origin="external",
        category="legal",
    )  # fmt: skip
    party = kit.register_create(InterestedParty, management_system=ms, user=user, name="Regulator", kind="regulator")
    requirement = kit.register_create(
        Requirement, management_system=ms, user=user, party=party, title="Deployer obligations",
        requirement_type="legal", source_reference="EU AI Act Art. 26",
    )  # fmt: skip
    return issue, requirement


def approve(scope: Scope, user: Any, **kwargs: Any) -> Any:
    """Approve the scope as ``user`` (verified by the test's say-so)."""
    scope = Scope.objects.get(pk=scope.pk)
    return services.scope_approve(scope, user=user, statement="Approved.", verification="password", **kwargs)
