"""What measurements say: the effective value of each period, met or missed, and the flags of an objective.

Pure computation on rows already read (a metric's measurements, prefetched or as of a pack's
date), shared by the pages, the API and the pack, so that they all judge alike:

- the **effective value** of a period is its latest row (the last correction), rows ordered by
  ``recorded_at`` then id;
- a value is **met** or **missed** against the metric's target and direction;
- an objective is flagged **missing measurement** when its metric has no row for the last
  completed period (the period before the one containing the day judged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from governance.models.objectives import Metric, period_label, period_start, previous_period


@dataclass
class PeriodResult:
    """One period of a metric: its rows (oldest first) and the effective one (the latest)."""

    period: date
    label: str
    rows: list[Any]
    met: bool

    @property
    def effective(self) -> Any:
        return self.rows[-1]

    @property
    def value(self) -> Decimal:
        return self.effective.value

    @property
    def corrected(self) -> bool:
        return len(self.rows) > 1

    @property
    def missed(self) -> bool:
        return not self.met


def period_results(metric: Metric, measurements: Iterable[Any]) -> list[PeriodResult]:
    """Each period measured, oldest first, with its effective (latest) value judged against the target."""
    by_period: dict[date, list[Any]] = {}
    for row in sorted(measurements, key=lambda m: (m.period, m.recorded_at, m.pk)):
        by_period.setdefault(row.period, []).append(row)
    return [
        PeriodResult(
            period=period, label=period_label(period, metric.cadence), rows=rows, met=metric.meets(rows[-1].value)
        )
        for period, rows in sorted(by_period.items())
    ]


def last_completed_period(cadence: str, today: date) -> date:
    """The start of the last period that has ended by ``today``."""
    return previous_period(period_start(today, cadence), cadence)


@dataclass
class Standing:
    """Where an objective stands on a day: its results, the latest, and its flags."""

    results: list[PeriodResult]
    due_period: date
    due_label: str
    nonconformities: dict[int, Any] = field(default_factory=dict)  # measurement id -> nonconformity

    @property
    def latest(self) -> PeriodResult | None:
        return self.results[-1] if self.results else None

    @property
    def missing(self) -> bool:
        """No measurement for the last completed period."""
        return not any(result.period == self.due_period for result in self.results)

    @property
    def missed(self) -> bool:
        """The latest result misses the target."""
        return self.latest is not None and self.latest.missed

    def nonconformity_of(self, result: PeriodResult) -> Any:
        """The nonconformity raised from this period's missed target, if any (raised from any of its rows)."""
        return next((self.nonconformities[row.pk] for row in result.rows if row.pk in self.nonconformities), None)

    @property
    def latest_nonconformity(self) -> Any:
        return self.nonconformity_of(self.latest) if self.latest else None


def standing(metric: Metric, measurements: Iterable[Any], today: date, links: Iterable[Any] = ()) -> Standing:
    """An objective's standing on ``today`` from its metric's measurements and its raised nonconformities."""
    due = last_completed_period(metric.cadence, today)
    return Standing(
        results=period_results(metric, measurements),
        due_period=due,
        due_label=period_label(due, metric.cadence),
        nonconformities={link.measurement_id: link.nonconformity for link in links},
    )
