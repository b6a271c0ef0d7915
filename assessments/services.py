"""Writes for risk criteria, risks and AI impact assessments.

Every write goes through ``aims.services`` register writes (one history row, the acting
user, a reason, optimistic concurrency); child rows (treatment actions, impact rows) are
replaced in the same transaction so one form save is one version of the parent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from aims import access, ledger
from aims.models import ManagementSystem, SignOff
from aims.services import (
    StaleVersionError,
    check_assignee,
    register_create,
    register_delete,
    register_retire,
    register_update,
)
from assessments import scoring, signoffs
from assessments.models import (
    AREA_SOURCE,
    ImpactAssessment,
    ImpactCriteria,
    ImpactRow,
    Risk,
    RiskCriteria,
    TreatmentAction,
)

RISK_LINKS = Risk.link_fields()
ACTION_FIELDS = TreatmentAction.editable_fields
ROW_FIELDS = ImpactRow.editable_fields

# --- risk criteria ---------------------------------------------------------------------


def _current_version(model: Any, management_system: ManagementSystem, *, lock: bool = False) -> Any:
    """The highest version of a versioned criteria model (risk or impact criteria) of the management system."""
    rows = model.objects.select_for_update() if lock else model.objects
    return rows.filter(management_system=management_system).order_by("-number").first()


def _new_version(model: Any, *, management_system: ManagementSystem, user: Any, reason: str, **fields: Any) -> Any:
    """Put the next version of a criteria model in force; earlier versions stay as they were."""
    with transaction.atomic():
        latest = _current_version(model, management_system, lock=True)
        number = (latest.number if latest else 0) + 1
        return register_create(
            model, management_system=management_system, user=user, reason=reason, number=number, **fields
        )


def current_criteria(*, management_system: ManagementSystem) -> RiskCriteria | None:
    """Return the management system's criteria in force (the highest version), if any."""
    return _current_version(RiskCriteria, management_system)


def risk_criteria_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "New criteria version",
    **fields: Any,
) -> RiskCriteria:
    """Put a new version of the risk criteria in force; earlier versions stay as they were."""
    return _new_version(RiskCriteria, management_system=management_system, user=user, reason=reason, **fields)


def risk_criteria_update(
    criteria: RiskCriteria,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    **fields: Any,
) -> RiskCriteria:
    """Correct criteria that no risk has been scored with yet; used criteria need a new version."""
    if criteria.risks.exists():
        raise ValidationError(
            f"{criteria} has been used to score {criteria.risks.count()} risk(s), so it cannot change: "
            "create a new version instead."
        )
    return register_update(criteria, user=user, expected_version=expected_version, reason=reason, **fields)


def risk_criteria_ensure_default(*, management_system: ManagementSystem, user: AbstractBaseUser | None) -> RiskCriteria:
    """Return the criteria in force, creating the default 5 x 5 criteria when there are none."""
    return current_criteria(management_system=management_system) or risk_criteria_create(
        management_system=management_system,
        user=user,
        reason="Default 5 x 5 criteria",
        rationale="Default 5 x 5 likelihood and consequence scales; the product of the two is banded into four levels.",
    )


# --- risks -----------------------------------------------------------------------------


def _split(fields: dict[str, Any]) -> dict[str, Iterable[Any]] | None:
    m2m = {name: list(fields.pop(name)) for name in RISK_LINKS if name in fields}
    return m2m or None


def _scored(criteria: RiskCriteria, current: Risk | None, fields: dict[str, Any]) -> dict[str, Any]:
    """Fields with the levels recomputed from the ratings (given or kept) on the criteria."""
    ratings = {}
    for name in ("likelihood", "consequence", "residual_likelihood", "residual_consequence", *scoring.PARTY_RATINGS):
        ratings[name] = fields[name] if name in fields else getattr(current, name, None)
    return fields | scoring.score_fields(criteria, ratings)


def _replace_actions(
    risk: Risk, actions: Iterable[Mapping[str, Any]], user: AbstractBaseUser | None, reason: str
) -> None:
    """Update actions that keep their id, add new ones and delete those left out; unchanged ones are not touched."""
    existing = {action.pk: action for action in risk.actions.all()}
    kept = set()
    for data in actions:
        action = existing.get(data.get("id")) or TreatmentAction(risk=risk)
        values = {k: data.get(k) for k in ACTION_FIELDS if k in data}
        if action.pk and all(getattr(action, k) == v for k, v in values.items()):
            kept.add(action.pk)
            continue
        for name, value in values.items():
            setattr(action, name, value)
        check_assignee(risk.management_system, action.owner, "actions")
        action.full_clean(exclude=["risk"])
        _save_child(action, user, reason)
        kept.add(action.pk)
    for pk, action in existing.items():
        if pk not in kept:
            _save_child(action, user, reason, delete=True)


def _save_child(child: Any, user: AbstractBaseUser | None, reason: str, *, delete: bool = False) -> None:
    """Write a child row (treatment action, impact row) with the acting user and reason in its history."""
    child._history_user = user
    child._change_reason = reason
    child.delete() if delete else child.save()


def _sync_owner_grant(risk: Risk, previous_owner: AbstractBaseUser | None) -> None:
    """The risk owner may edit their risk; a previous owner loses that grant."""
    if previous_owner is not None and previous_owner != risk.owner:
        access.revoke_object_edit(previous_owner, risk)
    if risk.owner is not None:
        access.grant_object_edit(risk.owner, risk)


def risk_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    actions: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> Risk:
    """Record a risk scored on the criteria in force, with its treatment actions and links."""
    with transaction.atomic():
        criteria = fields.pop("criteria", None) or current_criteria(management_system=management_system)
        if criteria is None or criteria.management_system_id != management_system.pk:
            raise ValidationError({"criteria": "Set up the risk criteria of this management system first."})
        check_assignee(management_system, fields.get("owner"), "owner")
        m2m = _split(fields)
        fields = _scored(criteria, None, fields)
        risk = register_create(
            Risk, management_system=management_system, user=user, reason=reason, m2m=m2m, criteria=criteria, **fields
        )
        _replace_actions(risk, actions, user, reason)
        _sync_owner_grant(risk, None)
    return risk


def risk_update(
    risk: Risk,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    actions: Iterable[Mapping[str, Any]] | None = None,
    rescore: bool = False,
    **fields: Any,
) -> Risk:
    """Change a risk; it keeps its criteria version unless rescore puts it on the criteria in force."""
    with transaction.atomic():
        if "owner" in fields:
            check_assignee(risk.management_system, fields["owner"], "owner")
        criteria = risk.criteria
        if rescore:
            criteria = current_criteria(management_system=risk.management_system)
            fields["criteria"] = criteria
        previous_owner = risk.owner
        m2m = _split(fields)
        fields = _scored(criteria, risk, fields)
        updated = register_update(risk, user=user, expected_version=expected_version, reason=reason, m2m=m2m, **fields)
        if actions is not None:
            _replace_actions(updated, actions, user, reason)
        if "owner" in fields:
            _sync_owner_grant(updated, previous_owner)
    return updated


def risk_delete(
    risk: Risk, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str = "Deleted"
) -> None:
    """Remove a risk from the register; its history and any acceptance stay."""
    with transaction.atomic():
        _replace_actions(risk, [], user, reason)
        register_delete(risk, user=user, expected_version=expected_version, reason=reason)


def risk_withdraw(risk: Risk, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str) -> Risk:
    """Withdraw a risk that sign-offs or other records refer to (closed, still readable with its history)."""
    return register_retire(risk, user=user, expected_version=expected_version, reason=reason)


def risk_accept(
    risk: Risk,
    *,
    user: AbstractBaseUser,
    expected_version: int | None,
    statement: str,
    verification: str | Callable[[], str],
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Accept a risk's residual level and treatment plan as the version the user saw (6.1.3, 8.3)."""
    with transaction.atomic():
        current = Risk.objects.select_for_update().select_related("criteria", "management_system").get(pk=risk.pk)
        _check_version(current, expected_version)
        return ledger.sign_off(
            kind=signoffs.ACCEPTANCE,
            subject=current,
            user=user,
            statement=statement,
            verification=verification,
            override_reason=override_reason,
            job_title=job_title,
        )


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError(obj, expected_version)


# --- impact assessments ----------------------------------------------------------------


def _replace_rows(
    assessment: ImpactAssessment, rows: Iterable[Mapping[str, Any]], user: AbstractBaseUser | None, reason: str
) -> None:
    """Update rows that keep their id, add new ones and delete those left out (raised risks keep their link)."""
    existing = {row.pk: row for row in assessment.rows.all()}
    kept = set()
    for data in rows:
        row = existing.get(data.get("id")) or ImpactRow(assessment=assessment)
        values = {name: data[name] for name in ROW_FIELDS if name in data}
        if row.pk and all(getattr(row, k) == v for k, v in values.items()):
            kept.add(row.pk)
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.full_clean(exclude=["assessment"])
        _save_child(row, user, reason)
        kept.add(row.pk)
    for pk, row in existing.items():
        if pk not in kept:
            _save_child(row, user, reason, delete=True)


def _check_system(management_system: ManagementSystem, fields: Mapping[str, Any]) -> None:
    system = fields.get("ai_system")
    if system is not None and system.management_system_id != management_system.pk:
        raise ValidationError({"ai_system": "This AI system belongs to another management system."})


def impact_assessment_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "Created",
    rows: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> ImpactAssessment:
    """Record an AI system impact assessment with its impact rows."""
    with transaction.atomic():
        _check_system(management_system, fields)
        if not fields.get("system_version") and fields.get("ai_system") is not None:
            fields["system_version"] = f"register v{fields['ai_system'].version}"
        if fields.get("impact_criteria") is None:
            fields["impact_criteria"] = impact_criteria_ensure_default(management_system=management_system, user=user)
        assessment = register_create(
            ImpactAssessment, management_system=management_system, user=user, reason=reason, **fields
        )
        _replace_rows(assessment, rows, user, reason)
    return assessment


def impact_assessment_update(
    assessment: ImpactAssessment,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Updated",
    rows: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> ImpactAssessment:
    """Change an impact assessment and its rows, refusing a stale version; an approved one is locked."""
    with transaction.atomic():
        _check_system(assessment.management_system, fields)
        refuse_if_locked(assessment)
        updated = register_update(assessment, user=user, expected_version=expected_version, reason=reason, **fields)
        if rows is not None:
            _replace_rows(updated, rows, user, reason)
    return updated


def is_locked(assessment: ImpactAssessment) -> bool:
    """An approved impact assessment is locked: a change is a re-assessment, a new record."""
    return SignOff.objects.filter(
        kind=signoffs.APPROVAL,
        subject_type=ContentType.objects.get_for_model(ImpactAssessment),
        subject_id=assessment.pk,
    ).exists()


def refuse_if_locked(assessment: ImpactAssessment) -> None:
    """Refuse to change an approved impact assessment (withdrawing it stays possible)."""
    if is_locked(assessment):
        raise ValidationError(
            f"{assessment.reference} is approved, so it is locked: start a re-assessment (a new record linked to it) "
            "to change it."
        )


def impact_assessment_reassess(
    assessment: ImpactAssessment,
    *,
    user: AbstractBaseUser | None,
    trigger: str = ImpactAssessment.Trigger.CHANGE,
    reason: str = "Re-assessment started",
) -> ImpactAssessment:
    """Start a re-assessment: a new record copying the assessment and its rows, on the criteria in force."""
    with transaction.atomic():
        current = ImpactAssessment.objects.select_for_update().get(pk=assessment.pk)
        successor = ImpactAssessment.objects.filter(predecessor=current).first()
        if successor is not None:
            raise ValidationError(f"{current.reference} is already re-assessed by {successor.reference}.")
        fields = {name: getattr(current, name) for name in ImpactAssessment.editable_fields}
        fields.update(
            trigger=trigger,
            decision=ImpactAssessment.Decision.PENDING,
            predecessor=current,
            impact_criteria=None,
            system_version="",
            title=f"Re-assessment of {current.ai_system.name}",
        )
        rows = [{name: getattr(row, name) for name in ImpactRow.editable_fields} for row in current.rows.all()]
        return impact_assessment_create(
            management_system=current.management_system,
            user=user,
            reason=f"{reason} (re-assesses {current.reference})",
            rows=rows,
            **fields,
        )


def current_impact_criteria(*, management_system: ManagementSystem) -> ImpactCriteria | None:
    """The management system's impact criteria in force (the highest version), if any."""
    return _current_version(ImpactCriteria, management_system)


def impact_criteria_create(
    *,
    management_system: ManagementSystem,
    user: AbstractBaseUser | None,
    reason: str = "New criteria version",
    **fields: Any,
) -> ImpactCriteria:
    """Put a new version of the impact criteria in force; earlier versions stay as they were."""
    return _new_version(ImpactCriteria, management_system=management_system, user=user, reason=reason, **fields)


def impact_criteria_ensure_default(
    *, management_system: ManagementSystem, user: AbstractBaseUser | None
) -> ImpactCriteria:
    """The impact criteria in force, creating the default definitions when there are none."""
    return current_impact_criteria(management_system=management_system) or impact_criteria_create(
        management_system=management_system, user=user, reason="Default impact criteria"
    )


def impact_assessment_approve(
    assessment: ImpactAssessment,
    *,
    user: AbstractBaseUser,
    expected_version: int | None,
    statement: str,
    verification: str | Callable[[], str],
    override_reason: str = "",
    job_title: str = "",
) -> SignOff:
    """Approve an impact assessment and its decision as the version the user saw (42005 5.11)."""
    with transaction.atomic():
        current = ImpactAssessment.objects.select_for_update().get(pk=assessment.pk)
        _check_version(current, expected_version)
        return ledger.sign_off(
            kind=signoffs.APPROVAL,
            subject=current,
            user=user,
            statement=statement,
            verification=verification,
            override_reason=override_reason,
            job_title=job_title,
        )


def impact_assessment_delete(
    assessment: ImpactAssessment,
    *,
    user: AbstractBaseUser | None,
    expected_version: int | None,
    reason: str = "Deleted",
) -> None:
    """Remove an impact assessment and its rows; history stays and raised risks keep existing."""
    with transaction.atomic():
        _replace_rows(assessment, [], user, reason)
        register_delete(assessment, user=user, expected_version=expected_version, reason=reason)


def impact_assessment_withdraw(
    assessment: ImpactAssessment, *, user: AbstractBaseUser | None, expected_version: int | None, reason: str
) -> ImpactAssessment:
    """Withdraw an impact assessment (superseded, or done for a system never deployed), keeping it readable."""
    return register_retire(assessment, user=user, expected_version=expected_version, reason=reason)


def risk_raise_from_impact_row(
    row: ImpactRow, *, user: AbstractBaseUser | None, reason: str = "Raised from an impact assessment"
) -> Risk:
    """Create a risk pre-filled from an impact row, linked to it and to the assessed AI system."""
    assessment = row.assessment
    criteria = risk_criteria_ensure_default(management_system=assessment.management_system, user=user)
    return risk_create(
        management_system=assessment.management_system,
        user=user,
        reason=f"{reason} {assessment.reference}",
        **raise_prefill(row, criteria),
    )


def raise_prefill(row: ImpactRow, criteria: RiskCriteria) -> dict[str, Any]:
    """The fields a risk raised from an impact row starts with (ratings fitted to the criteria's scale)."""
    assessment = row.assessment

    def fit(value: int | None, size: int) -> int | None:
        return None if value is None else max(1, min(size, round(value * size / 5)))

    return {
        "title": f"{row.get_area_display()} impact on {row.affected_group}"[:200],
        "description": row.description,
        "source": AREA_SOURCE.get(row.area, "other"),
        "lifecycle_stage": assessment.lifecycle_stage,
        "consequence_individuals": row.description if row.area != ImpactRow.Area.ECONOMIC else "",
        "treatment_plan": row.measures,
        "likelihood": fit(row.likelihood, criteria.likelihood_size),
        # An impact row is about the people affected: its severity rates the consequence for individuals.
        **(
            {"consequence_individuals_rating": fit(row.severity, criteria.consequence_size)}
            if criteria.consequence_basis == RiskCriteria.ConsequenceBasis.PER_PARTY
            else {"consequence": fit(row.severity, criteria.consequence_size)}
        ),
        "ai_systems": [assessment.ai_system],
        "impact_row": row,
    }
