"""Measurements are append-only and corrected by new rows; flags, the one-step nonconformity and the chart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from aims.models import AppendOnlyError
from governance.models import Measurement, Metric, ObjectiveNonconformity
from governance.objectives import selectors, services
from governance.objectives.chart import chart
from governance.objectives.results import last_completed_period, period_results
from improvement.models import Nonconformity
from tests.governance.objectives_helpers import make_metric, make_objective, months_back, record

pytestmark = pytest.mark.django_db


def test_a_measurement_cannot_be_changed_or_deleted_in_the_application(world):
    row = record(make_metric(world.acme, world.officer), world.officer, "96")[0]
    row.value = Decimal("10")
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        Measurement.objects.filter(pk=row.pk).update(value=Decimal("10"))
    with pytest.raises(AppendOnlyError):
        Measurement.objects.filter(pk=row.pk).delete()
    assert Measurement.objects.get(pk=row.pk).value == Decimal("96")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_refuses_a_raw_update_or_delete_of_a_measurement(world):
    row = record(make_metric(world.acme, world.officer), world.officer, "96")[0]
    for sql in (
        "UPDATE governance_measurement SET value = 10 WHERE id = %s",
        "DELETE FROM governance_measurement WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    # Removing the recorder's account only forgets who recorded it: the one change allowed.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE governance_measurement SET recorded_by_id = NULL WHERE id = %s", [row.pk])
    assert Measurement.objects.get(pk=row.pk).value == Decimal("96")


def test_a_correction_is_a_new_row_and_the_latest_is_the_period_s_result(world):
    metric = make_metric(world.acme, world.officer)
    first, second = record(metric, world.officer, "94", "97")
    fixed = services.measurement_correct(first, user=world.officer, value=Decimal("95.5"), note="Recounted")
    again = services.measurement_correct(fixed, user=world.contributor, value=Decimal("96"), note="Recounted again")

    results = period_results(metric, Measurement.objects.filter(metric=metric))
    assert [r.value for r in results] == [Decimal("96"), Decimal("97")]
    assert [row.pk for row in results[0].rows] == [first.pk, fixed.pk, again.pk]
    assert results[0].corrected and results[0].met and not results[1].corrected
    assert (again.period, again.corrects_id, again.recorded_by) == (first.period, fixed.pk, world.contributor)
    assert Measurement.objects.get(pk=first.pk).value == Decimal("94")  # kept as recorded
    with pytest.raises(ValidationError, match="already corrected"):
        services.measurement_correct(first, user=world.officer, value=Decimal("1"), note="Stale")
    with pytest.raises(ValidationError, match="Say why"):
        services.measurement_correct(again, user=world.officer, value=Decimal("1"), note=" ")
    assert second.period == months_back(1)[0]


def test_a_period_is_recorded_once_on_its_first_day_and_never_ahead(world):
    metric = make_metric(world.acme, world.officer, cadence=Metric.Cadence.QUARTERLY)
    row = services.measurement_record(metric, user=world.officer, period=date(2026, 5, 17), value=Decimal("90"))
    assert row.period == date(2026, 4, 1)
    with pytest.raises(ValidationError, match="already recorded"):
        services.measurement_record(metric, user=world.officer, period=date(2026, 6, 30), value=Decimal("91"))
    next_year = timezone.localdate().replace(day=1, month=1, year=timezone.localdate().year + 1)
    with pytest.raises(ValidationError, match="not begun"):
        services.measurement_record(metric, user=world.officer, period=next_year, value=Decimal("91"))
    assert Measurement.objects.filter(metric=metric).count() == 1


def test_an_objective_without_a_measurement_for_the_last_completed_period_is_flagged(world):
    objective = make_objective(world.acme, world.officer)
    metric = objective.metric
    services.measurement_record(metric, user=world.officer, period=months_back(2)[0], value=Decimal("97"))
    objective = selectors.objective_queryset(user=world.officer).get(pk=objective.pk)
    standing = selectors.standing_of(objective)
    assert standing.missing and standing.due_period == months_back(1)[0] and not standing.missed

    services.measurement_record(metric, user=world.officer, period=months_back(1)[0], value=Decimal("90"))
    standing = selectors.standing_of(selectors.objective_queryset(user=world.officer).get(pk=objective.pk))
    assert not standing.missing and standing.missed
    assert last_completed_period(Metric.Cadence.YEARLY, date(2026, 3, 5)) == date(2025, 1, 1)
    assert last_completed_period(Metric.Cadence.QUARTERLY, date(2026, 3, 5)) == date(2025, 10, 1)


def test_a_missed_target_raises_a_nonconformity_in_one_step_linked_back(world):
    objective = make_objective(world.acme, world.officer, metric=make_metric(world.acme, world.officer,
                                                                               direction="at_most", target_value=5))  # fmt: skip
    met, missed = record(objective.metric, world.officer, "4", "7.5")

    link = services.objective_raise_nonconformity(objective, user=world.officer, measurement=missed)

    nc = link.nonconformity
    assert (nc.source, nc.state, nc.management_system) == ("monitoring", "open", world.acme)
    assert sorted(c.key for c in nc.requirements.all()) == ["6.2", "9.1"]
    assert objective.reference in nc.title and "7.5%" in nc.nature
    assert (link.objective, link.measurement, link.raised_by) == (objective, missed, world.officer)
    with pytest.raises(ValidationError, match="already raised"):
        services.objective_raise_nonconformity(objective, user=world.officer, measurement=missed)
    with pytest.raises(ValidationError, match="met its target"):
        services.objective_raise_nonconformity(objective, user=world.officer, measurement=met)
    # A correction that brings the period back within the target leaves the NC where it is.
    services.measurement_correct(missed, user=world.officer, value=Decimal("3"), note="Miscount")
    assert Nonconformity.objects.count() == 1 and ObjectiveNonconformity.objects.count() == 1


def test_the_chart_draws_each_value_against_a_dashed_labelled_target(world):
    metric = make_metric(world.acme, world.officer, name="Accuracy <sampled>")
    record(metric, world.officer, "96", "93.5", "97")
    results = period_results(metric, Measurement.objects.filter(metric=metric))
    svg = render_to_string(
        "governance/objectives/partials/chart_svg.html", {"chart": chart(metric, results, threshold=Decimal("97"))}
    )

    assert svg.count('class="objective-chart__met"') == 2 and svg.count('class="objective-chart__missed"') == 1
    assert "<circle" in svg and "<path" in svg  # met and missed differ in shape, not only colour
    assert 'stroke-dasharray="6 4"' in svg and "Target: at least 95%" in svg
    assert "Threshold: 97%" in svg
    assert "<title" in svg and "<desc" in svg and "93.5%, missed the target" in svg
    assert "Accuracy &lt;sampled&gt;" in svg and "<sampled>" not in svg
    assert "style=" not in svg and "<script" not in svg
    labels = [r.label for r in results]
    assert all(f">{label}</text>" in svg for label in labels)
    empty = render_to_string("governance/objectives/partials/chart_svg.html", {"chart": chart(metric, [])})
    assert "No measurement recorded yet." in empty
