"""Risk acceptance and impact-assessment approval as kinds of sign-off (see ``aims.ledger``).

A risk acceptance signs the risk's current version together with its treatment actions;
an approval signs the impact assessment with its impact rows. Editing either afterwards
shows "changed since accepted/approved"; the old sign-off stays in the chain.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Max
from django.urls import reverse

from aims import access, ledger
from aims.access import Action
from aims.models import Role, SignOff
from assessments.models import AUTHORITY_RANK, Authority, ImpactAssessment, ImpactCriteria, Risk, RiskCriteria

ACCEPTANCE = "risk_acceptance"
APPROVAL = "impact_assessment_approval"
CRITERIA_APPROVAL = "risk_criteria_approval"
IMPACT_CRITERIA_APPROVAL = "impact_criteria_approval"


def _latest_rows(obj: Any, children: Any) -> list[Any]:
    """The latest history row of the record and of each child (two queries however many children)."""
    rows = [obj.history.order_by("-history_id").first()]
    children = list(children)
    if children:
        history = type(children[0]).history
        newest = history.filter(id__in=[child.pk for child in children]).order_by().values("id")
        latest = {
            row.id: row
            for row in history.filter(history_id__in=newest.annotate(newest=Max("history_id")).values("newest"))
        }
        rows += [latest.get(child.pk) for child in children]
    return [row for row in rows if row is not None]


def risk_versions(risk: Risk) -> list[Any]:
    """The risk's latest version and those of its treatment actions."""
    return _latest_rows(risk, risk.actions.all())


def risk_blockers(risk: Risk) -> list[str]:
    """What stops a risk from being accepted (6.1.3): its residual level judged against its criteria."""
    if not risk.residual_level:
        return ["Assess the residual likelihood and consequence before accepting the risk."]
    criteria = risk.criteria
    missing = []
    if criteria.is_intolerable(risk.residual_level):
        missing.append(
            f"The residual risk is {risk.get_residual_level_display().lower()}, at or above the intolerable level of "
            f"{criteria}: treat it further; it cannot be accepted."
        )
    elif not criteria.is_acceptable(risk.residual_level) and not risk.acceptance_rationale.strip():
        missing.append(
            f"The residual risk is above the acceptable level ({criteria.get_acceptable_level_display().lower()}): "
            "record the acceptance rationale (why it is accepted rather than treated further)."
        )
    if risk.acceptance_review_by is None:
        missing.append("Set the date by which the acceptance must be reviewed (acceptance review by).")
    return missing


def authority_of(user: Any, risk: Risk) -> int:
    """The highest acceptance authority the user holds for this risk (0: none)."""
    if not access.is_visible(user, risk):
        return 0
    if access.can(user, Action.SIGN_OFF, risk):
        return AUTHORITY_RANK[Authority.LEADERSHIP]
    role = access.role_of(user, risk.management_system)
    if role == Role.OFFICER:
        return AUTHORITY_RANK[Authority.OFFICER]
    if role != Role.AUDITOR and risk.owner_id is not None and risk.owner_id == user.pk:
        return AUTHORITY_RANK[Authority.RISK_OWNER]
    return 0


def can_accept_risk(user: Any, risk: Risk) -> bool:
    """Whoever holds the authority the criteria give the risk's level (or a higher one) may accept it."""
    return authority_of(user, risk) >= AUTHORITY_RANK[risk.acceptance_authority]


def acceptance_refusal(risk: Risk) -> str:
    """Explain why a member may not accept this risk."""
    level = risk.get_residual_level_display() or risk.get_inherent_level_display()
    needed = Authority(risk.acceptance_authority).label.lower()
    return f"{risk.reference} is {level.lower()}: under {risk.criteria}, {needed} accepts it."


def acceptance_rule(risk: Risk) -> str:
    """Who may accept this risk, in words."""
    criteria = risk.criteria
    level = risk.get_residual_level_display() or risk.get_inherent_level_display()
    rule = f"{level} risk: accepted by {Authority(risk.acceptance_authority).label.lower()} (or a higher authority)."
    if risk.residual_level and not criteria.is_acceptable(risk.residual_level):
        rule += f" It is above the acceptable level ({criteria.get_acceptable_level_display().lower()}): a rationale is needed."
    return rule


RATED_FIELDS = (
    "likelihood",
    "consequence",
    "consequence_organisation_rating",
    "consequence_individuals_rating",
    "consequence_society_rating",
    "residual_likelihood",
    "residual_consequence",
    "owner_id",
)


_RATING_EDITORS_SQL = """
WITH marked AS (
    SELECT id, history_user_id, history_date, history_id,
           LAG(history_id) OVER w IS NULL OR {changed} AS changed
    FROM {table} WHERE id IN ({ids})
    WINDOW w AS (PARTITION BY id ORDER BY history_date, history_id)
), ranked AS (
    SELECT id, history_user_id,
           ROW_NUMBER() OVER (PARTITION BY id ORDER BY history_date DESC, history_id DESC) AS n
    FROM marked WHERE changed
)
SELECT id, history_user_id FROM ranked WHERE n = 1
"""


def rating_editors(risk_ids: list[int]) -> dict[int, int | None]:
    """{risk id: who last changed its ratings or owner}: the person whose judgement an acceptance approves.

    That is the author of the newest version whose rated fields differ from the version before
    it, or of the first version when none does. One query, worked out by the database however
    many versions the risks have (a window over each risk's history, null-safe comparisons).
    """
    if not risk_ids:
        return {}
    history = Risk.history.model
    quote = connection.ops.quote_name
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"  # both null-safe
    columns = [quote(history._meta.get_field(name).column) for name in RATED_FIELDS]
    # Only the model's own table and column names are put into the statement; the ids are parameters.
    sql = _RATING_EDITORS_SQL.format(
        table=quote(history._meta.db_table),
        changed=" OR ".join(f"{column} {distinct} LAG({column}) OVER w" for column in columns),
        ids=", ".join(["%s"] * len(risk_ids)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [int(pk) for pk in risk_ids])
        return dict(cursor.fetchall())


def risk_last_editor(risk: Risk) -> int | None:
    """Who last changed the risk's ratings or owner: the person whose judgement an acceptance approves."""
    return rating_editors([risk.pk]).get(risk.pk)


def impact_versions(assessment: ImpactAssessment) -> list[Any]:
    """The assessment's latest version and those of its impact rows."""
    return _latest_rows(assessment, assessment.rows.all())


def impact_blockers(assessment: ImpactAssessment) -> list[str]:
    """What stops an impact assessment from being approved."""
    if assessment.decision == ImpactAssessment.Decision.PENDING:
        return ["Record the decision (proceed, proceed with conditions or stop) before approval."]
    return []


def _history_url(name: str) -> Any:
    def url(obj: Any, signoff: SignOff) -> str:
        return reverse(f"assessments:{name}", args=[obj.management_system_id, obj.pk]) + "#history"

    return url


def criteria_versions(criteria: RiskCriteria) -> list[Any]:
    """The criteria version's latest history row: what leadership approves."""
    return _latest_rows(criteria, [])


def register() -> None:
    """Declare risk acceptance, impact-assessment approval and risk-criteria approval as kinds of sign-off."""
    ledger.register_signable(
        ACCEPTANCE,
        label="Risk acceptance",
        subject_model=Risk,
        versions=risk_versions,
        may_sign=can_accept_risk,
        blockers=risk_blockers,
        diff_url=_history_url("risk_detail"),
        refusal=acceptance_refusal,
        last_editor=risk_last_editor,
        verb="Accept",
        done_label="Accepted",
        rule=acceptance_rule,
    )
    ledger.register_signable(
        APPROVAL,
        label="AI impact assessment approval",
        subject_model=ImpactAssessment,
        versions=impact_versions,
        blockers=impact_blockers,
        diff_url=_history_url("impact_detail"),
        rule=lambda assessment: "Leadership approves the assessment and its decision (ISO/IEC 42005 5.11).",
    )
    ledger.register_signable(
        CRITERIA_APPROVAL,
        label="Risk criteria approval",
        subject_model=RiskCriteria,
        versions=criteria_versions,
        diff_url=lambda criteria, signoff: reverse(
            "assessments:criteria_detail", args=[criteria.management_system_id, criteria.pk]
        ),
        subject_url=lambda signoff: reverse(
            "assessments:criteria_detail", args=[signoff.management_system_id, signoff.subject_id]
        ),
        statement="I approve these risk criteria: the scales, the acceptable level and who may accept each level.",
        rule=lambda criteria: (
            "Leadership approves the risk criteria (6.1.2): risks scored on criteria that are not approved are flagged."
        ),
    )
    ledger.register_signable(
        IMPACT_CRITERIA_APPROVAL,
        label="Impact criteria approval",
        subject_model=ImpactCriteria,
        versions=criteria_versions,
        diff_url=lambda criteria, signoff: reverse(
            "assessments:impact_criteria_detail", args=[criteria.management_system_id, criteria.pk]
        ),
        subject_url=lambda signoff: reverse(
            "assessments:impact_criteria_detail", args=[signoff.management_system_id, signoff.subject_id]
        ),
        statement="I approve these impact criteria: what each severity, likelihood, reversibility and scale means.",
        rule=lambda criteria: "Leadership approves the impact criteria (ISO/IEC 42005 5.7).",
    )
