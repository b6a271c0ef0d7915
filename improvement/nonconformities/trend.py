"""The nonconformity trend (9.3.2 d: trends in nonconformities and corrective actions), month by month.

For each of the last twelve months: how many nonconformities were opened, how many closed, and
how many were overdue at the month's end (open then, with a corrective action past its due date
and not done, or an effectiveness review past its planned date and not performed). What was
overdue at a past month's end is read from history, so a late action completed since still
counts in the month it was late. Three queries, whatever the number of records.

``chart`` lays the numbers out as bars for the SVG template
(``improvement/nonconformities/partials/trend_svg.html``): geometry here, markup there, colours in
the page's stylesheet (no inline style: the pages' CSP allows none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from aims.models import ManagementSystem
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity

SERIES = (("opened", "Opened"), ("closed", "Closed"), ("overdue", "Overdue at month end"))


@dataclass(frozen=True)
class Month:
    start: date
    opened: int
    closed: int
    overdue: int

    @property
    def label(self) -> str:
        return f"{self.start:%b %Y}"


def _month_starts(today: date, count: int) -> list[date]:
    starts = []
    year, month = today.year, today.month
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


def _next_month(start: date) -> date:
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _states_at(rows: list[tuple], moments: list[datetime]) -> list[dict[int, tuple]]:
    """For each moment, the latest history row of each record before it (rows sorted by date; id first)."""
    states: list[dict[int, tuple]] = []
    current: dict[int, tuple] = {}
    index = 0
    for moment in moments:
        while index < len(rows) and rows[index][-1] < moment:
            row = rows[index]
            if row[-2] == "-":
                current.pop(row[0], None)
            else:
                current[row[0]] = row
            index += 1
        states.append(dict(current))
    return states


def nc_trend(management_system: ManagementSystem, *, today: date | None = None, months: int = 12) -> list[Month]:
    """Opened, closed and overdue nonconformities per month, oldest month first (three queries)."""
    today = today or timezone.localdate()
    now = timezone.now()
    starts = _month_starts(today, months)
    # Each month is judged at its end; the current one as it stands now.
    ends = [min(_midnight(_next_month(start)), now) for start in starts]
    days = [min(_next_month(start), today) for start in starts]
    ncs = list(
        Nonconformity.objects.filter(management_system=management_system).values_list(
            "pk", "created_at", "closed_at", "retired_at"
        )
    )
    actions = list(
        CorrectiveAction.history.filter(management_system_id=management_system.pk, history_date__lt=ends[-1])
        .order_by("history_date", "history_id")
        .values_list("id", "nonconformity_id", "status", "due_date", "history_type", "history_date")
    )
    reviews = list(
        EffectivenessReview.history.filter(
            nonconformity__management_system=management_system, history_date__lt=ends[-1]
        )
        .order_by("history_date", "history_id")
        .values_list("id", "nonconformity_id", "result", "planned_on", "history_type", "history_date")
    )
    action_states = _states_at(actions, ends)
    review_states = _states_at(reviews, ends)
    result = []
    for i, start in enumerate(starts):
        begin, end, day = _midnight(start), ends[i], days[i]
        late = {nc for _id, nc, status, due, *_ in action_states[i].values() if _late_action(status, due, day)}
        late |= {nc for _id, nc, res, planned, *_ in review_states[i].values() if not res and planned and planned < day}
        result.append(
            Month(
                start=start,
                opened=sum(1 for _pk, created, *_ in ncs if begin <= created < end),
                closed=sum(1 for _pk, _c, closed, _r in ncs if closed is not None and begin <= closed < end),
                overdue=sum(
                    1 for pk, created, closed, retired in ncs if pk in late and _open_at(created, closed, retired, end)
                ),
            )
        )
    return result


def _late_action(status: str, due: date | None, day: date) -> bool:
    return status in CorrectiveAction.OPEN and due is not None and due < day


def _open_at(created: datetime, closed: datetime | None, retired: datetime | None, moment: datetime) -> bool:
    return created < moment and (closed is None or closed >= moment) and (retired is None or retired >= moment)


# --- the picture ---------------------------------------------------------------------------------

WIDTH, HEIGHT = 1000, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 14, 46
BAR, GAP = 12, 2


@dataclass(frozen=True)
class Bar:
    series: str
    x: float
    y: float
    height: float
    value: int
    title: str

    @property
    def middle(self) -> float:
        return round(self.x + BAR / 2, 1)


def _ceiling(value: int) -> tuple[int, int]:
    """A round top for the axis and the step between its ticks."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 5:
            return max(step, -(-value // step) * step), step
    step = 10 ** len(str(value))
    return -(-value // step) * step, step


def chart(months: list[Month]) -> dict[str, Any]:
    """The bars, ticks and labels of the trend picture, in SVG user units."""
    top, step = _ceiling(max([getattr(m, key) for m in months for key, _ in SERIES] + [1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(months), 1)
    group = len(SERIES) * BAR + (len(SERIES) - 1) * GAP
    bars, labels = [], []
    for i, month in enumerate(months):
        x0 = LEFT + i * slot + (slot - group) / 2
        for j, (key, name) in enumerate(SERIES):
            value = getattr(month, key)
            height = plot_h * value / top
            title = f"{month.label}: {value} {name.lower()}"
            bars.append(
                Bar(
                    key, round(x0 + j * (BAR + GAP), 1), round(TOP + plot_h - height, 1), round(height, 1), value, title
                )
            )
        labels.append({"x": round(LEFT + i * slot + slot / 2, 1), "month": f"{month.start:%b}", "year": month.start.year,
                       "new_year": i == 0 or month.start.month == 1})  # fmt: skip
    ticks = [{"value": v, "y": round(TOP + plot_h - plot_h * v / top, 1)} for v in range(0, top + 1, step)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": TOP + plot_h,
        "bars": bars,
        "labels": labels,
        "ticks": ticks,
        "bar_width": BAR,
        "label_y": TOP + plot_h + 16,
        "year_y": TOP + plot_h + 30,
        "legend_y": HEIGHT - 4,
        "legend": [{"key": key, "name": name, "x": LEFT + i * 150} for i, (key, name) in enumerate(SERIES)],
        "months": months,
        "summary": ", ".join(f"{m.label}: {m.opened} opened, {m.closed} closed, {m.overdue} overdue" for m in months),
    }
