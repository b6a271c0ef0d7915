"""The register checks of a call, before anything leaves: scope, life-cycle stage, model and route, impact assessment.

The register is the source of truth. A call is served only for an AI system that

* is **in scope** of the AIMS by governance's rule (``governance.scope.selectors.is_in_scope``:
  marked in scope, not retired, not at end of life; the rule whose systems a scope approval freezes);
* is in a **life-cycle stage that may serve traffic**: verification and validation (testing calls
  a model too), deployment, operation and monitoring; never concept, design or retired, where
  nothing should be calling a model on the system's behalf;
* requests one of **its model records** that has an **enabled route**, named as ``GET /models``
  lists it (the model record's name; its reference, ``MOD-001``, is accepted too);
* has, when the policy in force requires it, a **current approved impact assessment**: not
  withdrawn, approved on its current version, and not decided "stop".

Each check raises ``Refused`` (an OpenAI-style 403, or 503 for the gateway's own configuration)
with a message the AI system's developers can act on; the view records it as a ``refusal`` event.
"""

from __future__ import annotations

import os

from aims import ledger as signoff_ledger
from aims.prepared import Prepared, columns, instance
from assessments.models import ImpactAssessment
from assessments.signoffs import APPROVAL
from gateway.endpoint import GatewayError
from gateway.models import ModelRoute
from governance.scope.selectors import is_in_scope
from registers.models import AISystem, ModelRecord

__all__ = ["SERVING_STAGES", "Refused", "check_call", "routable_models"]

SERVING_STAGES = frozenset(
    {AISystem.LifecycleStage.VERIFICATION, AISystem.LifecycleStage.DEPLOYMENT, AISystem.LifecycleStage.OPERATION}
)
PROCEEDING = frozenset({ImpactAssessment.Decision.PROCEED, ImpactAssessment.Decision.CONDITIONS})


class Refused(GatewayError):
    """A call the gateway refuses; recorded as a ``refusal`` event in the AI system's chain."""

    def __init__(self, status: int, message: str, *, code: str, decision: str = "", param: str | None = None) -> None:
        super().__init__(status, message, code=code, param=param)
        self.decision = decision


# An AI system's model records in force with their routes: on every call, so compiled once.
_MODEL_RECORDS = Prepared(
    lambda system_id: (
        ModelRecord.objects.filter(ai_systems=system_id, retired_at__isnull=True)
        .order_by("name", "reference")
        .values_list(*columns(ModelRecord), *columns(ModelRoute, "route__"))
    ),
    -918_273_645,
)


def model_records(system: AISystem) -> list[ModelRecord]:
    """The AI system's model records in force, with their routes (one query)."""
    records, width = [], len(ModelRecord._meta.concrete_fields)
    for row in _MODEL_RECORDS.rows(system.pk):
        record = instance(ModelRecord, row)
        route = instance(ModelRoute, row, width) if row[width] is not None else None
        ModelRecord.route.related.set_cached_value(record, route)
        if route is not None:
            route.model_record = record
        records.append(record)
    return records


def route_of(record: ModelRecord) -> ModelRoute | None:
    try:
        return record.route
    except ModelRoute.DoesNotExist:
        return None


def routable_models(system: AISystem) -> list[ModelRecord]:
    """The model records a call may name: the system's own, in force, with an enabled route (one query)."""
    return [record for record in model_records(system) if (route := route_of(record)) is not None and route.enabled]


def check_system(system: AISystem) -> None:
    """Refuse an AI system outside the AIMS scope or in a life-cycle stage that serves no traffic."""
    name = f"{system.reference} {system.name}"
    if system.is_retired or system.lifecycle_stage == AISystem.LifecycleStage.RETIRED:
        raise Refused(403, f"AI system {name} is retired: it may make no calls.", code="ai_system_retired")
    if not is_in_scope(system):
        raise Refused(
            403,
            f"AI system {name} is outside the scope of the AI management system: the gateway serves only "
            "AI systems in scope.",
            code="ai_system_out_of_scope",
        )
    if system.lifecycle_stage not in SERVING_STAGES:
        allowed = ", ".join(str(AISystem.LifecycleStage(stage).label).lower() for stage in sorted(SERVING_STAGES))
        raise Refused(
            403,
            f"AI system {name} is in {system.get_lifecycle_stage_display().lower()}: only a system in "
            f"{allowed} may call a model through the gateway.",
            code="lifecycle_stage",
        )


def check_model(system: AISystem, requested: str) -> tuple[ModelRecord, ModelRoute]:
    """The model record the call names and its route, or ``Refused``."""
    records = model_records(system)
    wanted = requested.strip().casefold()
    record = next((r for r in records if wanted in (r.name.casefold(), r.reference.casefold())), None)
    if record is None:
        listed = ", ".join(repr(r.name) for r in records if route_of(r) is not None and route_of(r).enabled)
        raise Refused(
            403,
            f"The model {requested!r} is not one of the model records of {system.reference} in the register"
            + (f": call one of {listed}." if listed else ", which has no model with a route."),
            code="model_not_in_register",
            param="model",
        )
    route = route_of(record)
    if route is None or not route.enabled:
        state = "no route" if route is None else f"a disabled route ({route.reference})"
        raise Refused(
            403, f"The model {record.name!r} ({record.reference}) has {state}: calls to it are refused.",
            code="model_not_routed", param="model",
        )  # fmt: skip
    return record, route


def check_impact_assessment(system: AISystem) -> None:
    """Refuse an AI system without a current approved impact assessment (three queries)."""
    assessments = list(ImpactAssessment.objects.filter(ai_system=system, retired_at__isnull=True))
    signoff_ledger.annotate_sign_offs(assessments, APPROVAL)
    current = [a for a in assessments if a.latest_sign_off is not None and not a.changed_since_signed]
    if any(a.decision in PROCEEDING for a in current):
        return
    if current:
        why = f"its approved impact assessment {current[0].reference} decided: {current[0].get_decision_display()}"
    elif any(a.latest_sign_off is not None for a in assessments):
        why = "its impact assessment changed since it was approved"
    elif assessments:
        why = "its impact assessment is not approved"
    else:
        why = "it has no impact assessment"
    raise Refused(
        403,
        f"The gateway policy requires a current approved impact assessment, and AI system {system.reference} "
        f"{system.name}: {why}.",
        code="impact_assessment_required",
    )


def check_credential(route: ModelRoute) -> str | None:
    """The upstream credential from the environment variable the route names, or ``Refused`` if it is unset."""
    if not route.credential_env:
        return None
    credential = os.environ.get(route.credential_env)
    if not credential:
        raise Refused(
            503,
            f"The route {route.reference} names the credential variable {route.credential_env}, which is not set "
            "on the gateway's server: nothing was forwarded.",
            code="upstream_credential_missing",
        )
    return credential


def check_call(
    system: AISystem, requested: str, *, require_impact_assessment: bool
) -> tuple[ModelRecord, ModelRoute, str | None]:
    """Run the register checks of a call; return the model record, its route and the upstream credential."""
    check_system(system)
    record, route = check_model(system, requested)
    if require_impact_assessment:
        check_impact_assessment(system)
    return record, route, check_credential(route)
