"""The risk method: levels follow the criteria in every cell, and risks keep their criteria version."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments import scoring, services
from assessments.models import LEVEL_RANK, Level, RiskCriteria
from tests.assessments.helpers import make_criteria, make_risk

LEVELS = [level.value for level in Level]


@st.composite
def product_criteria(draw):
    """Any valid product-banded criteria: scale sizes 3-7 and increasing bands reaching the top score."""
    size_l = draw(st.integers(3, 7))
    size_c = draw(st.integers(3, 7))
    top = size_l * size_c
    n_bands = draw(st.integers(1, 4))
    levels = sorted(
        draw(st.lists(st.sampled_from(LEVELS), min_size=n_bands, max_size=n_bands, unique=True)), key=LEVEL_RANK.get
    )
    cuts = sorted(draw(st.lists(st.integers(1, top - 1), min_size=n_bands - 1, max_size=n_bands - 1, unique=True)))
    bands = [{"level": lv, "max_score": m} for lv, m in zip(levels, [*cuts, top], strict=True)]
    return SimpleNamespace(
        method="product",
        likelihood_scale=[{"label": f"L{i}"} for i in range(size_l)],
        consequence_scale=[{"label": f"C{i}"} for i in range(size_c)],
        likelihood_size=size_l,
        consequence_size=size_c,
        bands=bands,
        matrix=[],
        acceptable_level=draw(st.sampled_from(LEVELS)),
    )


@given(product_criteria())
def test_every_cell_gets_the_level_of_the_band_holding_its_score(criteria):
    assert scoring.criteria_errors(criteria) == {}
    for lk in range(1, criteria.likelihood_size + 1):
        for cq in range(1, criteria.consequence_size + 1):
            expected = next(b["level"] for b in criteria.bands if lk * cq <= b["max_score"])
            assert scoring.level_for(criteria, lk, cq) == expected


@given(product_criteria())
def test_levels_never_fall_as_likelihood_or_consequence_rise(criteria):
    grid = scoring.matrix_of(criteria)
    for lk in range(criteria.likelihood_size):
        for cq in range(criteria.consequence_size):
            if lk + 1 < criteria.likelihood_size:
                assert LEVEL_RANK[grid[lk][cq]] <= LEVEL_RANK[grid[lk + 1][cq]]
            if cq + 1 < criteria.consequence_size:
                assert LEVEL_RANK[grid[lk][cq]] <= LEVEL_RANK[grid[lk][cq + 1]]


@given(st.data())
def test_matrix_method_returns_the_matrix_cell_everywhere(data):
    size_l, size_c = data.draw(st.integers(3, 7)), data.draw(st.integers(3, 7))
    matrix = [[data.draw(st.sampled_from(LEVELS)) for _ in range(size_c)] for _ in range(size_l)]
    criteria = SimpleNamespace(method="matrix", matrix=matrix, likelihood_size=size_l, consequence_size=size_c)
    for lk in range(1, size_l + 1):
        for cq in range(1, size_c + 1):
            assert scoring.level_for(criteria, lk, cq) == matrix[lk - 1][cq - 1]


@given(product_criteria(), st.integers(-3, 12), st.integers(-3, 12))
def test_ratings_off_the_scale_are_refused(criteria, lk, cq):
    inside = 1 <= lk <= criteria.likelihood_size and 1 <= cq <= criteria.consequence_size
    if inside:
        assert scoring.level_for(criteria, lk, cq) in LEVELS
    else:
        with pytest.raises(ValueError):
            scoring.level_for(criteria, lk, cq)


def test_default_criteria_are_five_by_five_with_four_levels(world):
    criteria = make_criteria(world.acme, world.officer)
    assert (criteria.likelihood_size, criteria.consequence_size) == (5, 5)
    assert scoring.level_for(criteria, 1, 1) == "low"
    assert scoring.level_for(criteria, 3, 3) == "medium"
    assert scoring.level_for(criteria, 4, 4) == "high"
    assert scoring.level_for(criteria, 5, 5) == "critical"


def test_risk_stores_levels_computed_from_its_criteria(world):
    risk = make_risk(
        world.acme, world.officer, likelihood=4, consequence=5, residual_likelihood=2, residual_consequence=3
    )
    assert (risk.inherent_level, risk.residual_level, risk.evaluation) == ("critical", "medium", "above")


def test_risk_keeps_its_criteria_version_after_the_criteria_change(world):
    risk = make_risk(world.acme, world.officer, likelihood=3, consequence=3)
    old = risk.criteria
    new = make_criteria(
        world.acme,
        world.officer,
        likelihood_scale=[{"label": "Low"}, {"label": "Medium"}, {"label": "High"}],
        consequence_scale=[{"label": "Minor"}, {"label": "Major"}, {"label": "Severe"}],
        bands=[{"level": "low", "max_score": 2}, {"level": "high", "max_score": 9}],
    )
    assert new.number == old.number + 1
    risk = services.risk_update(risk, user=world.officer, expected_version=risk.version, title="Reworded")
    risk.refresh_from_db()
    assert risk.criteria == old
    assert risk.criteria.likelihood_label(risk.likelihood) == "Possible"
    assert risk.inherent_level == "medium"
    fresh = make_risk(world.acme, world.officer, likelihood=2, consequence=3)
    assert fresh.criteria == new and fresh.inherent_level == "high"


def test_used_criteria_cannot_be_edited(world):
    from django.core.exceptions import ValidationError

    risk = make_risk(world.acme, world.officer)
    with pytest.raises(ValidationError):
        services.risk_criteria_update(risk.criteria, user=world.officer, expected_version=1, acceptable_level="high")
    assert RiskCriteria.objects.get(pk=risk.criteria.pk).acceptable_level == "medium"


def test_rescore_moves_a_risk_onto_the_criteria_in_force(world):
    risk = make_risk(world.acme, world.officer, likelihood=3, consequence=3)
    new = make_criteria(
        world.acme, world.officer, bands=[{"level": "low", "max_score": 10}, {"level": "critical", "max_score": 25}]
    )
    risk = services.risk_update(risk, user=world.officer, expected_version=risk.version, rescore=True)
    assert risk.criteria == new and risk.inherent_level == "low"


def test_invalid_criteria_are_refused(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        make_criteria(
            world.acme, world.officer, bands=[{"level": "high", "max_score": 9}, {"level": "low", "max_score": 25}]
        )
    assert "bands" in err.value.message_dict
    assert not RiskCriteria.objects.filter(management_system=world.acme).exists()
