"""A small chart per metric: its values against its target over time, as geometry for an SVG template.

The template (``templates/governance/objectives/partials/chart_svg.html``) draws it with SVG
presentation attributes only (no style attribute, no script: the pages' CSP allows them, and
WeasyPrint renders them in the pack). It reads without colour: a met value is a circle, a missed
one a triangle; the target is a dashed line labelled with its value, the threshold a dotted one;
axes are labelled; the ``<title>`` and ``<desc>`` say everything in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from governance.models.objectives import Metric, format_value, unit_suffix
from governance.objectives.results import PeriodResult

WIDTH, HEIGHT = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 22, 58
MAX_POINTS = 12
MARK = 6


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    met: bool
    label: str
    title: str

    @property
    def triangle(self) -> str:
        """The missed marker: a triangle pointing down, as an SVG path."""
        x, y, m = self.x, self.y, MARK
        return f"M{x - m:.1f},{y - m * 0.8:.1f} L{x + m:.1f},{y - m * 0.8:.1f} L{x:.1f},{y + m:.1f} Z"


def _step(span: float) -> float:
    raw = span / 4 or 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _scale(values: list[float]) -> tuple[float, float, float]:
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - (abs(lo) * 0.1 or 1), hi + (abs(hi) * 0.1 or 1)
    margin = (hi - lo) * 0.08  # no value or target line on the plot's edge
    lo, hi = lo - margin, hi + margin
    step = _step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _number(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:.{decimals}f}"


def chart(
    metric: Metric, results: list[PeriodResult], *, threshold: Decimal | None = None, ident: str = ""
) -> dict[str, Any]:
    """The points, target line, ticks and labels of a metric's chart (the last 12 periods), in SVG units."""
    shown = results[-MAX_POINTS:]
    unit = unit_suffix(metric.unit)
    target = float(metric.target_value)
    lines = [target] + ([float(threshold)] if threshold is not None else [])
    lo, hi, step = _scale([float(r.value) for r in shown] + lines)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (hi - value) / (hi - lo), 1)

    slot = plot_w / max(len(shown), 1)
    points = []
    for i, result in enumerate(shown):
        verdict = "met the target" if result.met else "missed the target"
        corrected = ", corrected" if result.corrected else ""
        text = f"{result.label}: {format_value(result.value)}{unit}, {verdict}{corrected}"
        points.append(
            Point(round(LEFT + slot * (i + 0.5), 1), y_of(float(result.value)), result.met, result.label, text)
        )
    ticks = []
    value = lo
    while value <= hi + step / 1000:
        ticks.append({"y": y_of(value), "label": _number(value, step)})
        value += step
    target_text = f"Target: {metric.get_direction_display().lower()} {format_value(metric.target_value)}{unit}"
    summary = "; ".join(p.title for p in points) or "No measurement recorded yet."
    return {
        "id": ident or f"metric-{metric.pk}",
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "baseline": TOP + plot_h,
        "middle_y": round(TOP + plot_h / 2, 1),
        "points": points,
        "polyline": " ".join(f"{p.x},{p.y}" for p in points),
        "ticks": ticks,
        "target_y": y_of(target),
        "target_label": target_text,
        "threshold_y": y_of(float(threshold)) if threshold is not None else None,
        "threshold_label": f"Threshold: {format_value(threshold)}{unit}" if threshold is not None else "",
        "label_y": TOP + plot_h + 18,
        "axis_title_y": HEIGHT - 22,
        "legend_y": HEIGHT - 6,
        "y_title": f"Value ({metric.unit})" if metric.unit else "Value",
        "title": f"{metric.reference} {metric.name}: values against the target, by period",
        "summary": f"{target_text}. {summary}",
        "empty": not points,
    }
