"""Reads for risk criteria, risks and impact assessments; selectors own the joins and prefetches."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import JSONObject, Lag, RowNumber
from django.urls import reverse
from django.utils import timezone

from aims import access, ledger
from aims.history import m2m_history_links
from aims.links import url_maker
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, ImpactCriteria, ImpactRow, Risk, RiskCriteria, TreatmentAction
from assessments.signoffs import APPROVAL, CRITERIA_APPROVAL
from controls.models import Control
from controls.selectors import Linked, first_of_groups
from registers.models import AISystem, ModelRecord


def criteria_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[RiskCriteria]:
    """Every version of the management system's risk criteria, newest first."""
    return access.scope(user, RiskCriteria.objects.filter(management_system=management_system)).order_by("-number")


def criteria_queryset(*, user: AbstractBaseUser) -> QuerySet[RiskCriteria]:
    """Risk criteria the user may read."""
    return access.scope(user, RiskCriteria.objects.select_related("management_system"))


def review_overdue() -> Case:
    """Whether a row's next review date has passed, computed by the database (``review_overdue``)."""
    return Case(
        When(next_review__lt=timezone.localdate(), then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _risk_columns(queryset: QuerySet[Risk]) -> QuerySet[Risk]:
    """What the API shows of a risk beside its own columns, computed by the database: the criteria
    version number (a subquery, so that a count leaves it out) and whether its review is overdue."""
    number = RiskCriteria.objects.filter(pk=OuterRef("criteria_id")).values("number")
    return queryset.annotate(criteria_version=Subquery(number), review_overdue=review_overdue())


def risk_queryset(*, user: AbstractBaseUser, links: bool = True) -> QuerySet[Risk]:
    """Risks the user may read with what a risk's page and the API show of one risk (constant queries).

    Without ``links``, the linked AI systems and controls are not read (the history tab shows neither).
    """
    return _risk_columns(
        access.scope(
            user, Risk.objects.select_related("criteria", "owner", "management_system", "impact_row__assessment")
        )
    ).prefetch_related(
        *(("ai_systems", "controls") if links else ()),
        Prefetch("actions", queryset=TreatmentAction.objects.select_related("owner")),
    )


def risk_api_list(*, user: AbstractBaseUser) -> QuerySet[Risk]:
    """Risks the user may read with what the API's list shows, and nothing more.

    No joined rows: the serializer writes ids, the criteria version and overdue state are
    columns of the query, and links are read as the few columns they show (one query each).
    """
    return _risk_columns(access.scope(user, Risk.objects.all())).prefetch_related(
        Prefetch("ai_systems", queryset=AISystem.objects.only("id")),
        Prefetch("controls", queryset=Control.objects.only("id", "key")),
        Prefetch("actions", queryset=TreatmentAction.objects.all()),
    )


RISK_LIST_COLUMNS = (
    "id", "management_system", "reference", "version", "retired_at", "title", "source", "likelihood",
    "consequence", "inherent_level", "treatment_option", "residual_level", "owner", "next_review",
)  # fmt: skip


def risk_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[Risk]:
    """Risks of a management system the user may read, with the columns the register page shows
    (``RiskFilterSet`` filters them): the owner's name, the linked AI systems' names."""
    return (
        access.scope(user, Risk.objects.filter(management_system=management_system))
        .only(*RISK_LIST_COLUMNS)
        .annotate(owner_name=F("owner__username"), review_overdue=review_overdue())
        .prefetch_related(Prefetch("ai_systems", queryset=AISystem.objects.only("id", "reference", "name")))
        .order_by("reference")
    )


# --- acceptance and approval ----------------------------------------------------------


# --- impact assessments ----------------------------------------------------------------


def impact_queryset(*, user: AbstractBaseUser) -> QuerySet[ImpactAssessment]:
    """Impact assessments the user may read, with their system, criteria, re-assessment and rows (and the risks rows raised)."""
    return access.scope(
        user,
        ImpactAssessment.objects.select_related("ai_system", "management_system", "impact_criteria", "reassessment"),
    ).prefetch_related(Prefetch("rows", queryset=ImpactRow.objects.prefetch_related("risks")))


IMPACT_LIST_COLUMNS = (
    "id", "management_system", "reference", "version", "retired_at", "title", "ai_system", "system_version",
    "trigger", "decision", "next_review",
)  # fmt: skip


def impact_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[ImpactAssessment]:
    """Impact assessments of a management system the user may read, with the columns the list page
    shows (``ImpactFilterSet`` filters them)."""
    return (
        access.scope(user, ImpactAssessment.objects.filter(management_system=management_system))
        .only(*IMPACT_LIST_COLUMNS)
        .annotate(ai_system_name=F("ai_system__name"), review_overdue=review_overdue())
        .order_by("-reference")
    )


def latest_impact_assessment(*, user: AbstractBaseUser, ai_system: Any) -> ImpactAssessment | None:
    """The AI system's most recent impact assessment with its approval state (and re-assessment, if any), or None."""
    assessment = (
        access.scope(user, ImpactAssessment.objects.filter(ai_system=ai_system).select_related("reassessment"))
        .order_by("-created_at", "-pk")
        .first()
    )
    if assessment is not None:
        ledger.annotate_sign_offs([assessment], APPROVAL)
    return assessment


def ai_system_impact_context(*, user: AbstractBaseUser, ai_system: Any) -> dict[str, Any]:
    """Template context for the AI system page's impact assessment box.

    The page's AI system (its models prefetched) stands for the assessment's, and the approval
    read with the assessment is the one re-assessment starts from: nothing is read twice.
    """
    latest = latest_impact_assessment(user=user, ai_system=ai_system)
    if latest is not None:
        latest.ai_system = ai_system  # the same row: the filter above is by it
    return {
        "latest_impact_assessment": latest,
        "impact_chain": assessment_chain(latest) if latest else [],
        "reassessment_reasons": reassessment_reasons_since(latest, latest.latest_sign_off) if latest else [],
        "impact_ai_system": ai_system,
    }


# --- SoA rows --------------------------------------------------------------------------


RISKS_SHOWN = 5  # risks the SoA page names per row; it counts the rest and links the risk register


def soa_risks_by_control(
    *, user: AbstractBaseUser, management_system: ManagementSystem, limit: int = RISKS_SHOWN
) -> dict[int, Linked]:
    """{control id: ``Linked`` of its risks}: the first ``limit`` (by id) and how many, for the SoA page.

    Two queries however many risks link the controls: the links numbered and counted per control
    (integers only, window functions), then the few risks named. Each item is a dict of ``id``,
    ``reference``, ``title`` and ``url``; each ``Linked`` has ``more_url``, the risk register
    filtered by the control.
    """
    if not access.can(user, access.Action.VIEW, management_system):
        return {}
    links = Risk.controls.through.objects.filter(risk__management_system=management_system)
    if connection.vendor == "postgresql":
        found = _first_risks_per_control(links, limit)
    else:
        found = first_of_groups(
            links, group="control_id", order_by=[F("risk_id").asc()], values=["risk_id"], limit=limit
        )
        named = Risk.objects.filter(pk__in={item["risk_id"] for linked in found.values() for item in linked.items})
        risks = {risk["id"]: risk for risk in named.values("id", "reference", "title")}
        for linked in found.values():
            linked.items = [risks[item["risk_id"]] for item in linked.items if item["risk_id"] in risks]
    detail = url_maker("assessments:risk_detail", management_system.pk)
    risk_list = reverse("assessments:risk_list", args=[management_system.pk])
    for control_id, linked in found.items():
        items = (risk | {"url": detail(risk["id"])} for risk in linked.items)
        linked.items = sorted(items, key=lambda risk: (len(risk["reference"]), risk["reference"]))
        linked.more_url = f"{risk_list}?{urlencode({'control': control_id})}"
    return found


def _first_risks_per_control(links: QuerySet, limit: int) -> dict[int, Linked]:
    """PostgreSQL: {control id: Linked of its first ``limit`` risks by id (id, reference, title)}, in two queries.

    The links are counted per control by one aggregate; then, for the controls that have any, an
    array subquery reads just the first few links of each (an index walk per control, not a sort
    of every link) with the risk's reference and title.
    """
    from django.contrib.postgres.expressions import ArraySubquery

    counts = dict(links.order_by().values_list("control_id").annotate(n=Count("pk")).values_list("control_id", "n"))
    first = (
        links.filter(control_id=OuterRef("pk"))
        .order_by("risk_id")
        .values(named=JSONObject(id="risk_id", reference="risk__reference", title="risk__title"))[:limit]
    )
    named = (
        Control.objects.filter(pk__in=counts)
        .annotate(first_risks=ArraySubquery(first))
        .values_list("pk", "first_risks")
    )
    return {pk: Linked(count=counts[pk], items=list(risks or [])) for pk, risks in named}


def action_history(risk: Risk) -> QuerySet:
    """Every change to a risk's treatment actions, newest first."""
    return (
        TreatmentAction.history.filter(risk_id=risk.pk)
        .select_related("history_user", "owner")
        .order_by("-history_date", "-history_id")
    )


def impact_row_history(assessment: ImpactAssessment) -> QuerySet:
    """Every change to an impact assessment's impact rows, newest first."""
    return (
        ImpactRow.history.filter(assessment_id=assessment.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def history_of(obj: Any) -> QuerySet:
    """Every version of a record, newest first, with who made it."""
    return obj.history.select_related("history_user").order_by("-history_date", "-history_id")


def criteria_is_approved(criteria: RiskCriteria) -> bool:
    """Whether leadership approved this criteria version as it stands (one query).

    As ``ledger.sign_off_status``: the latest approval signed the criteria's latest history row
    (``signoffs.criteria_versions``), and nothing else.
    """
    current = criteria.history.order_by("-history_id").values("history_id")[:1]
    latest = (
        ledger.sign_offs_of(CRITERIA_APPROVAL, criteria)
        .annotate(current=Subquery(current))
        .values_list("versions", "current")
        .first()
    )
    if latest is None:
        return False
    signed, current_id = latest
    return current_id is not None and {(str(label), int(history_id)) for label, history_id in signed} == {
        (RiskCriteria._meta.label_lower, current_id)
    }


SIGNIFICANT_STAGES = ("deployment", "operation")


def reassessment_reasons(assessment: ImpactAssessment) -> list[str]:
    """Significant changes to the assessed AI system since the assessment was approved (it is then due again).

    A move into deployment or operation, a different set of models, or a new version of one
    of its models, after the approval. Each model's version at the approval is found by the
    database (not read version by version), and the system's versions since the approval are
    read as three plain values each: no history object is built per version.
    """
    return reassessment_reasons_since(assessment, ledger.sign_offs_of(APPROVAL, assessment).first())


def reassessment_reasons_since(assessment: ImpactAssessment, latest: Any) -> list[str]:
    """``reassessment_reasons`` from the assessment's latest approval (None: never approved) the caller read.

    Four queries at most: the re-assessment (unless selected with the assessment), the system's
    version at the approval with its moves into a significant stage since, the models linked then
    with their versions at the approval, and the models' changes since (the system's current
    models are its prefetched ones).
    """
    if latest is None or getattr(assessment, "reassessment", None) is not None:
        return []
    since = latest.signed_at
    system = assessment.ai_system
    then, moves = _stage_moves_since(system, since)
    labels = dict(AISystem.LifecycleStage.choices)
    reasons = [f"moved into {str(labels[stage]).lower()} on {date:%d %b %Y}" for stage, date, _ in moves]
    models_then = _linked_models(then[2], at=max(since, then[1])) if then is not None else {}
    models_now = {m.pk: m.model_version for m in system.model_records.all()}
    if then is not None and set(models_now) != set(models_then):
        reasons.append("its models changed")
    changed = ModelRecord.history.filter(id__in=list(models_now), history_date__gt=since, history_type="~")
    reasons += sorted(
        {
            f"{name} is now version {version}"
            for record_id, name, version in changed.values_list("id", "name", "model_version").distinct()
            if version != models_then.get(record_id, version)
        }
    )
    return reasons


def _stage_moves_since(system: AISystem, since: Any) -> tuple[tuple | None, list[tuple]]:
    """The system's version at ``since`` and its moves into a significant stage after it (one query).

    Each as (lifecycle stage, history date, history id). The version at ``since`` is the last one
    made by then; with none before it (not made through the services), the first after. A move is
    a later version whose stage is significant and differs from the version before it. The
    database compares each version with the one before (a window over the versions since), so
    only the first version and the moves leave it, however often the system was edited since.
    """
    then_id = system.history.filter(history_date__lte=since).order_by("-history_date", "-history_id")
    order = [F("history_date").asc(), F("history_id").asc()]
    rows = list(
        system.history.filter(Q(history_date__gt=since) | Q(history_id=Subquery(then_id.values("history_id")[:1])))
        .annotate(
            position=Window(RowNumber(), order_by=order),
            previous_stage=Window(Lag("lifecycle_stage"), order_by=order),
        )
        .filter(Q(position=1) | (Q(lifecycle_stage__in=SIGNIFICANT_STAGES) & ~Q(lifecycle_stage=F("previous_stage"))))
        .order_by("history_date", "history_id")
        .values_list("position", "lifecycle_stage", "history_date", "history_id")
    )
    if not rows:
        return None, []
    return rows[0][1:], [row[1:] for row in rows if row[0] != 1]


def _linked_models(system_history_id: int, *, at: Any) -> dict[int, str]:
    """The model records linked to an AI system version, with their versions at the moment ``at`` (one query).

    ``at`` is the approval (or the version's own date when later): a model's new version made
    between the system's last change and the approval was assessed, and is no reason again.
    """
    links = m2m_history_links(AISystem, "model_records").filter(history_id=system_history_id)
    at_the_time = ModelRecord.history.filter(id=OuterRef("id"), history_date__lte=at).order_by(
        "-history_date", "-history_id"
    )
    rows = ModelRecord.history.filter(
        id__in=links.values("modelrecord_id"), history_id=Subquery(at_the_time.values("history_id")[:1])
    )
    return dict(rows.values_list("id", "model_version"))


def successor_of(assessment: ImpactAssessment) -> ImpactAssessment | None:
    """The re-assessment that follows an impact assessment, if any."""
    return ImpactAssessment.objects.filter(predecessor=assessment).first()


def assessment_chain(assessment: ImpactAssessment) -> list[ImpactAssessment]:
    """Every assessment of the chain the assessment belongs to, oldest first (one query)."""
    rows = {
        row.pk: row
        for row in ImpactAssessment.objects.filter(ai_system_id=assessment.ai_system_id).only(
            "pk", "reference", "created_at", "predecessor_id", "management_system_id"
        )
    }
    successors = {row.predecessor_id: row for row in rows.values() if row.predecessor_id}
    first = rows.get(assessment.pk, assessment)
    while first.predecessor_id in rows:
        first = rows[first.predecessor_id]
    chain = [first]
    while chain[-1].pk in successors:
        chain.append(successors[chain[-1].pk])
    return chain


def impact_criteria_list(*, user: AbstractBaseUser, management_system: ManagementSystem) -> QuerySet[ImpactCriteria]:
    """Every version of the management system's impact criteria, newest first."""
    return access.scope(user, ImpactCriteria.objects.filter(management_system=management_system)).order_by("-number")


def impact_criteria_queryset(*, user: AbstractBaseUser) -> QuerySet[ImpactCriteria]:
    """Impact criteria the user may read."""
    return access.scope(user, ImpactCriteria.objects.select_related("management_system"))
