"""One record of every kind the API serves, in Acme, for tests that walk every endpoint."""

from __future__ import annotations

from typing import Any

from aims import ledger
from aims.invitations import invitation_create
from aims.models import Membership, Role
from aims.services import api_token_create, membership_add
from assessments.signoffs import CRITERIA_APPROVAL
from controls.models import Applicability, Control
from gateway import ledger as gateway_ledger
from governance.citations.services import citation_add
from governance.models import Document, Scope
from governance.scope.services import scope_create
from improvement.incidents.services import incident_create
from packs.models import AuditPack
from tests.factories import (
    DatasetRecordFactory,
    EvidenceFactory,
    ImpactAssessmentFactory,
    ModelRecordFactory,
    RiskFactory,
    SupplierFactory,
    UserFactory,
)
from tests.gateway.actions_helpers import api_rows as gateway_action_rows
from tests.gateway.keys_helpers import api_rows as gateway_rows
from tests.gateway.policy_draft_helpers import api_rows as gateway_policy_rows
from tests.governance.context_helpers import context_rows
from tests.governance.objectives_helpers import make_objective, record
from tests.governance.people_helpers import api_rows as people_rows
from tests.improvement.audits.helpers import api_rows as audit_rows
from tests.improvement.nonconformities.helpers import add_action, analyse, contain, make_nc
from tests.packs.helpers import make_ready_pack
from tests.reviews.meetings_helpers import make_review


def one_of_everything(world: Any, *, second: bool = False) -> dict[str, Any]:
    """Create one row per API resource in Acme (a risk, an impact assessment, evidence, a pack, a sign-off ...).

    ``second=True`` adds another row of every kind after a first call: a member joins, its person
    links another member's account, its invitation goes to another address and its gateway policy draft follows
    the first one's, withdrawn, and its connector has another name; the scope, one per management system, is the first call's.
    """
    acme, officer = world.acme, world.officer
    assessment = ImpactAssessmentFactory(management_system=acme, user=officer)
    risk = RiskFactory(management_system=acme, user=officer)
    signoff = ledger.sign_off(
        kind=CRITERIA_APPROVAL,
        subject=risk.criteria,
        user=world.leader,
        statement="Approved.",
        verification="recovery code",
    )
    nonconformity = analyse(contain(make_nc(acme, officer), officer), officer)
    objective = make_objective(acme, officer)
    return {
        "management-systems": acme,
        "memberships": _second_member(world)
        if second
        else Membership.objects.filter(management_system=acme, user=world.contributor).get(),
        "ai-systems": assessment.ai_system,
        "model-records": ModelRecordFactory(management_system=acme, user=officer),
        "dataset-records": DatasetRecordFactory(management_system=acme, user=officer),
        "suppliers": SupplierFactory(management_system=acme, user=officer),
        "evidence": EvidenceFactory(management_system=acme, user=officer, file_name="bias.pdf"),
        "risks": risk,
        "risk-criteria": risk.criteria,
        "impact-assessments": assessment,
        "impact-criteria": assessment.impact_criteria,
        "soa": Applicability.objects.filter(management_system=acme).order_by("pk").first(),
        "controls": Control.objects.order_by("pk").first(),
        "sign-offs": signoff,
        "audit-packs": AuditPack.objects.get(pk=make_ready_pack(world).pk),
        "invitations": invitation_create(
            management_system=acme,
            actor=world.owner,
            email="second@example.org" if second else "newcomer@example.org",
            role="auditor",
            absolute_url=lambda path: f"http://testserver{path}",
        ),
        "incidents": incident_create(management_system=acme, user=officer, title="Odd answer", description="D"),
        # The officer's own token: the API shows each member only their own.
        "api-tokens": api_token_create(user=officer, name="one of everything")[0],
        **audit_rows(world),
        "nonconformities": nonconformity,
        "corrective-actions": add_action(nonconformity, officer, world.contributor),
        **people_rows(world, account=world.officer if second else None),
        **context_rows(world),
        "documents": Document.objects.get(management_system=acme, key="ai_policy"),
        "document-versions": Document.objects.get(management_system=acme, key="ai_policy").versions.get(number=1),
        "scope": Scope.objects.get(management_system=acme)
        if second
        else scope_create(
            management_system=acme, user=officer, units="Clinical", sites="Riverside", activities="Deploying AI"
        ),
        "objectives": objective,
        "metrics": objective.metric,
        "measurements": record(objective.metric, officer, "96")[0],
        "soa-citations": citation_add(
            applicability=Applicability.objects.filter(management_system=acme).order_by("pk").first(),
            user=officer,
            reason_type="risk_treatment",
            risk=risk,
        ),
        "management-reviews": make_review(world),
        **gateway_rows(world),
        **gateway_policy_rows(world, second=second),
        "gateway-events": gateway_ledger.event_append(ai_system=assessment.ai_system, type="call", model_requested="m"),
        **gateway_action_rows(world, second=second),
    }


def _second_member(world: Any) -> Membership:
    """A member who joins Acme as a contributor (the first call lists the personas' memberships)."""
    return membership_add(
        management_system=world.acme, actor=world.owner, user=UserFactory(username="second"), role=Role.CONTRIBUTOR
    )
