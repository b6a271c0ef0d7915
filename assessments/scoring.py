"""The risk method: how risk criteria turn a likelihood and a consequence into a level.

Pure functions over a ``RiskCriteria`` row (or anything with the same attributes), so the
same answer comes out every time the method is applied (6.1.2 b: consistent, valid and
comparable results).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from assessments.models import LEVEL_RANK, MAX_SCALE, MIN_SCALE, Level


def level_for(criteria: Any, likelihood: int, consequence: int) -> str:
    """Return the level (a ``Level`` value) of one cell of the criteria's scale."""
    if not 1 <= int(likelihood) <= criteria.likelihood_size:
        raise ValueError(f"likelihood {likelihood} is outside 1-{criteria.likelihood_size}")
    if not 1 <= int(consequence) <= criteria.consequence_size:
        raise ValueError(f"consequence {consequence} is outside 1-{criteria.consequence_size}")
    if criteria.method == "matrix":
        return criteria.matrix[likelihood - 1][consequence - 1]
    score = likelihood * consequence
    for band in criteria.bands:
        if score <= band["max_score"]:
            return band["level"]
    return criteria.bands[-1]["level"]


def _scale_error(criteria: Any, field: str, value: Any, size: int, label: str) -> dict[str, str]:
    if value in (None, ""):
        return {field: f"Give the {label} (1 to {size})."}
    try:
        number = int(value)
    except (TypeError, ValueError):
        return {field: f"The {label} must be a whole number from 1 to {size}."}
    if not 1 <= number <= size:
        return {field: f"The {label} must be from 1 to {size} on {criteria}; {number} is off the scale."}
    return {}


PARTY_RATINGS = {
    "consequence_organisation_rating": "consequence for the organisation",
    "consequence_individuals_rating": "consequence for individuals",
    "consequence_society_rating": "consequence for society",
}


def _party_consequence(criteria: Any, fields: dict[str, Any], errors: dict[str, str]) -> int | None:
    """On criteria rating each party: the highest of the given ratings (at least one is needed)."""
    given = {name: fields.get(name) for name in PARTY_RATINGS if fields.get(name) not in (None, "")}
    if not given:
        errors["consequence_individuals_rating"] = (
            "Rate the consequence for at least one of the organisation, individuals and society "
            f"(1 to {criteria.consequence_size}); the highest rating counts."
        )
        return None
    for name, value in given.items():
        errors |= _scale_error(criteria, name, value, criteria.consequence_size, PARTY_RATINGS[name])
    return None if errors else max(int(v) for v in given.values())


def score_fields(criteria: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the ratings in fields against the criteria and return the computed levels and evaluations.

    On criteria that rate consequences per party, the consequence is the highest of the
    organisation, individuals and society ratings. Raises ``ValidationError`` naming each
    rating that is off the scale.
    """
    errors: dict[str, str] = {}
    computed: dict[str, Any] = {}
    errors |= _scale_error(criteria, "likelihood", fields.get("likelihood"), criteria.likelihood_size, "likelihood")
    if getattr(criteria, "consequence_basis", "worst") == "per_party":
        party = _party_consequence(criteria, fields, errors)
        if party is not None:
            fields = {**fields, "consequence": party}
            computed["consequence"] = party
    else:
        errors |= _scale_error(
            criteria, "consequence", fields.get("consequence"), criteria.consequence_size, "consequence"
        )
    residual = (fields.get("residual_likelihood"), fields.get("residual_consequence"))
    if residual != (None, None):
        rl, rc = residual
        errors |= _scale_error(criteria, "residual_likelihood", rl, criteria.likelihood_size, "residual likelihood")
        errors |= _scale_error(criteria, "residual_consequence", rc, criteria.consequence_size, "residual consequence")
    if errors:
        raise ValidationError(errors)
    inherent = level_for(criteria, int(fields["likelihood"]), int(fields["consequence"]))
    residual_level = level_for(criteria, int(residual[0]), int(residual[1])) if residual != (None, None) else ""
    return {
        **computed,
        "inherent_level": inherent,
        "residual_level": residual_level,
        "evaluation": criteria.evaluate(inherent),
        "residual_evaluation": criteria.evaluate(residual_level) if residual_level else "",
    }


def criteria_errors(criteria: Any) -> dict[str, str]:
    """Explain what is wrong with a set of criteria, field by field (empty when valid)."""
    errors: dict[str, str] = {}
    for field in ("likelihood_scale", "consequence_scale"):
        scale = getattr(criteria, field) or []
        if not isinstance(scale, list) or not MIN_SCALE <= len(scale) <= MAX_SCALE:
            errors[field] = f"A scale has {MIN_SCALE} to {MAX_SCALE} points."
        elif any(not isinstance(p, dict) or not str(p.get("label", "")).strip() for p in scale):
            errors[field] = "Every point of the scale needs a label."
    if errors:
        return errors
    if criteria.method == "matrix":
        errors |= _matrix_errors(criteria)
    else:
        errors |= _band_errors(criteria)
    return errors


def _band_errors(criteria: Any) -> dict[str, str]:
    bands = criteria.bands or []
    levels = [b.get("level") for b in bands if isinstance(b, dict)]
    if len(levels) != len(bands) or not bands or any(level not in LEVEL_RANK for level in levels):
        return {"bands": "Each band names a level (low, medium, high, critical) and its highest score."}
    try:
        maxima = [int(b["max_score"]) for b in bands]
    except (KeyError, TypeError, ValueError):
        return {"bands": "Each band's highest score must be a whole number."}
    if maxima != sorted(set(maxima)) or [LEVEL_RANK[lv] for lv in levels] != sorted({LEVEL_RANK[lv] for lv in levels}):
        return {"bands": "Bands go from the lowest level and score to the highest, each higher than the last."}
    top = criteria.likelihood_size * criteria.consequence_size
    if maxima[-1] < top:
        return {"bands": f"The highest band must reach the top score ({top})."}
    return {}


def _matrix_errors(criteria: Any) -> dict[str, str]:
    matrix = criteria.matrix or []
    shape_ok = (
        isinstance(matrix, list)
        and len(matrix) == criteria.likelihood_size
        and all(isinstance(row, list) and len(row) == criteria.consequence_size for row in matrix)
    )
    if not shape_ok:
        return {"matrix": f"The matrix needs {criteria.likelihood_size} rows of {criteria.consequence_size} levels."}
    if any(cell not in LEVEL_RANK for row in matrix for cell in row):
        return {"matrix": "Every cell must be one of: low, medium, high, critical."}
    return {}


def matrix_of(criteria: Any) -> list[list[str]]:
    """Every cell's level, rows by likelihood (1 first), columns by consequence (1 first)."""
    return [
        [level_for(criteria, lk, cq) for cq in range(1, criteria.consequence_size + 1)]
        for lk in range(1, criteria.likelihood_size + 1)
    ]


LEVEL_LABELS = dict(Level.choices)
