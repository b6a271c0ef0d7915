"""The risk heat map: counts of risks per likelihood x consequence cell, inherent and residual.

``heatmap(management_system, as_of=None)`` returns the matrix as data (for the JSON API
and templates); ``heatmap_svg(management_system, as_of=None, cell_url=None)`` returns
self-contained SVG markup (no scripts, no external references) that a page or a PDF can
embed. Each cell shows its level label and count in text, so it reads without colour.
Both use a fixed number of queries whatever the number of risks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from aims.models import ManagementSystem
from assessments import scoring
from assessments.models import Level, Risk, RiskCriteria

BASES = ("inherent", "residual")
# Fill colours chosen for contrast with black text; the label carries the meaning anyway.
FILL = {Level.LOW: "#cfe8cf", Level.MEDIUM: "#fbe7a1", Level.HIGH: "#f7c08a", Level.CRITICAL: "#f09a9a"}
PATTERN = {Level.LOW: "", Level.MEDIUM: "", Level.HIGH: "url(#hatch)", Level.CRITICAL: "url(#cross)"}


@dataclass
class Cell:
    likelihood: int
    consequence: int
    level: str
    level_label: str
    count: int


@dataclass
class HeatMap:
    criteria: RiskCriteria | None
    as_of: datetime | None
    grids: dict[str, list[list[Cell]]] = field(default_factory=dict)  # rows: likelihood high to low
    off_scale: int = 0
    total: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The heat map as plain JSON-ready data."""
        criteria = self.criteria
        return {
            "criteria": None
            if criteria is None
            else {
                "id": criteria.pk,
                "version": criteria.number,
                "likelihood_labels": [p["label"] for p in criteria.likelihood_scale],
                "consequence_labels": [p["label"] for p in criteria.consequence_scale],
                "acceptable_level": criteria.acceptable_level,
            },
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "total": self.total,
            "off_scale": self.off_scale,
            **{
                basis: [
                    {"likelihood": c.likelihood, "consequence": c.consequence, "level": c.level, "count": c.count}
                    for row in grid
                    for c in row
                ]
                for basis, grid in self.grids.items()
            },
        }


def _criteria_as_of(management_system: ManagementSystem, as_of: datetime | None) -> RiskCriteria | None:
    qs = RiskCriteria.objects.filter(management_system=management_system)
    if as_of is not None:
        qs = qs.filter(created_at__lte=as_of)
    return qs.order_by("-number").first()


def _ratings(management_system: ManagementSystem, as_of: datetime | None, risk_ids: Any = None) -> list[tuple]:
    """Ratings of the risks open at the moment (withdrawn risks are not on the map), of only some risks if given."""
    fields = ("likelihood", "consequence", "residual_likelihood", "residual_consequence")
    only = {} if risk_ids is None else {"id__in": list(risk_ids)}
    if as_of is None:
        open_risks = Risk.objects.filter(management_system=management_system, retired_at__isnull=True, **only)
        return list(open_risks.values_list(*fields))
    rows = Risk.history.as_of(as_of).filter(management_system_id=management_system.pk, retired_at__isnull=True, **only)
    return [tuple(getattr(r, f) for f in fields) for r in rows]


def heatmap(management_system: ManagementSystem, as_of: datetime | None = None, *, risk_ids: Any = None) -> HeatMap:
    """Count the management system's risks (or only ``risk_ids``) per cell on the criteria in force (at as_of if given)."""
    criteria = _criteria_as_of(management_system, as_of)
    result = HeatMap(criteria=criteria, as_of=as_of)
    if criteria is None:
        return result
    ratings = _ratings(management_system, as_of, risk_ids)
    result.total = len(ratings)
    counts = {"inherent": Counter(), "residual": Counter()}
    size_l, size_c = criteria.likelihood_size, criteria.consequence_size
    for lk, cq, rlk, rcq in ratings:
        if not (1 <= lk <= size_l and 1 <= cq <= size_c):
            result.off_scale += 1
            continue
        counts["inherent"][(lk, cq)] += 1
        if rlk is not None and rcq is not None and 1 <= rlk <= size_l and 1 <= rcq <= size_c:
            counts["residual"][(rlk, rcq)] += 1
    labels = dict(Level.choices)
    levels = scoring.matrix_of(criteria)
    for basis in BASES:
        result.grids[basis] = [
            [
                Cell(lk, cq, levels[lk - 1][cq - 1], labels[levels[lk - 1][cq - 1]], counts[basis][(lk, cq)])
                for cq in range(1, size_c + 1)
            ]
            for lk in range(size_l, 0, -1)
        ]
    return result


CELL, LEFT, TOP, GAP = 64, 118, 34, 40


def _panel(hm: HeatMap, basis: str, x0: int, cell_url: Callable[[str, int, int], str] | None) -> list[str]:
    criteria = hm.criteria
    grid = hm.grids[basis]
    size_c = len(grid[0])
    out = [
        f'<text x="{x0 + LEFT + size_c * CELL / 2}" y="20" class="title" font-size="13" font-weight="bold" text-anchor="middle">{basis.capitalize()} risk</text>'
    ]
    for r, row in enumerate(grid):
        y = TOP + r * CELL
        label = escape(criteria.likelihood_label(row[0].likelihood))
        out.append(
            f'<text x="{x0 + LEFT - 6}" y="{y + CELL / 2 + 4}" text-anchor="end">{row[0].likelihood} {label}</text>'
        )
        for c, cell in enumerate(row):
            x = x0 + LEFT + c * CELL
            title = (
                f"{basis.capitalize()}: likelihood {cell.likelihood}, consequence {cell.consequence}, "
                f"{cell.level_label}, {cell.count} risk{'s' if cell.count != 1 else ''}"
            )
            rect = (
                f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{FILL[cell.level]}" stroke="#333"/>'
                + (
                    f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{PATTERN[cell.level]}"/>'
                    if PATTERN[cell.level]
                    else ""
                )
                + f'<text x="{x + CELL / 2}" y="{y + 20}" text-anchor="middle" class="lvl" font-size="10">{escape(cell.level_label)}</text>'
                + f'<text x="{x + CELL / 2}" y="{y + 48}" text-anchor="middle" class="count" font-size="20" font-weight="bold">{cell.count or "·"}</text>'
            )
            body = f"<title>{escape(title)}</title>{rect}"
            if cell_url is not None and cell.count:
                href = escape(cell_url(basis, cell.likelihood, cell.consequence))
                body = f'<a href="{href}" aria-label="{escape(title)}">{body}</a>'
            out.append(f'<g class="cell">{body}</g>')
    bottom = TOP + len(grid) * CELL
    for c in range(size_c):
        x = x0 + LEFT + c * CELL + CELL / 2
        label = escape(criteria.consequence_label(c + 1))
        out.append(f'<text x="{x}" y="{bottom + 16}" text-anchor="middle">{c + 1}</text>')
        out.append(f'<text x="{x}" y="{bottom + 30}" text-anchor="middle" class="small" font-size="9">{label}</text>')
    out.append(
        f'<text x="{x0 + LEFT + size_c * CELL / 2}" y="{bottom + 50}" text-anchor="middle" class="axis" font-weight="bold">Consequence</text>'
    )
    out.append(
        f'<text x="{x0 + 14}" y="{TOP + len(grid) * CELL / 2}" class="axis" font-weight="bold" text-anchor="middle" '
        f'transform="rotate(-90 {x0 + 14} {TOP + len(grid) * CELL / 2})">Likelihood</text>'
    )
    return out


def heatmap_svg(
    management_system: ManagementSystem,
    as_of: datetime | None = None,
    cell_url: Callable[[str, int, int], str] | None = None,
    *,
    data: HeatMap | None = None,
) -> SafeString:
    """Return SVG markup of the inherent and residual heat maps side by side.

    ``cell_url(basis, likelihood, consequence)`` makes non-empty cells links (pages pass
    one to the filtered register; PDFs leave it out). Pass ``data`` to reuse a computed
    heat map. Every label is escaped; the markup holds no script and no external reference.
    """
    hm = data or heatmap(management_system, as_of)
    if hm.criteria is None:
        return mark_safe('<p class="empty">No risk criteria yet, so no heat map.</p>')  # noqa: S308
    size_l, size_c = hm.criteria.likelihood_size, hm.criteria.consequence_size
    panel_width = LEFT + size_c * CELL
    width, height = 2 * panel_width + GAP + 10, TOP + size_l * CELL + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="Risk heat map, {hm.total} risks, criteria v{hm.criteria.number}">',
        "<defs>"
        '<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#00000022" stroke-width="3"/></pattern>'
        '<pattern id="cross" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<path d="M0,0 L8,8 M8,0 L0,8" stroke="#00000026" stroke-width="1.5"/></pattern>'
        "</defs>",
        # Presentation attributes, not a <style> element: pages allow no inline style (CSP).
        '<g font-family="sans-serif" font-size="11" fill="#111">',
    ]
    parts += _panel(hm, "inherent", 0, cell_url)
    parts += _panel(hm, "residual", panel_width + GAP, cell_url)
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every interpolated label is escaped above
