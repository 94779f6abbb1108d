"""The geometry of the dashboard's inline SVG bar chart (its figures come from `reports.dashboard`)."""

from __future__ import annotations

from dataclasses import dataclass

from admin.console.i18n import _
from mileage.reports.dashboard import MonthFigures

# --- the chart ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    value: int
    month: str


@dataclass(frozen=True)
class GridLine:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: float
    bars: list[Bar]
    grid: list[GridLine]
    month_labels: list[tuple[float, str]]


def nice_ceiling(value: int) -> int:
    """Return the smallest 1, 2 or 5 times a power of ten that is at least value (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(months: list[MonthFigures], *, width: int = 720, height: int = 260) -> Chart:
    """Lay out two bars per month (issued, used) on a shared scale with four grid lines."""
    left, right, top, bottom = 64, 8, 12, 32
    plot_width, plot_height = width - left - right, height - top - bottom
    scale_max = nice_ceiling(max([m.issued for m in months] + [m.used for m in months] + [0]))
    baseline = top + plot_height
    slot = plot_width / max(len(months), 1)
    bar_width = slot * 0.34
    bars, labels = [], []
    for index, month in enumerate(months):
        slot_left = left + index * slot
        for offset, series, value in ((0.14, "issued", month.issued), (0.52, "used", month.used)):
            bar_height = plot_height * max(value, 0) / scale_max
            bars.append(
                Bar(
                    x=round(slot_left + slot * offset, 1),
                    y=round(baseline - bar_height, 1),
                    width=round(bar_width, 1),
                    height=round(bar_height, 1),
                    series=series,
                    value=value,
                    month=month.label,
                )
            )
        labels.append((round(slot_left + slot / 2, 1), _("M%(m)s", m=int(month.label[5:7]))))
    grid = [
        GridLine(y=round(baseline - plot_height * step / 4, 1), value=scale_max * step // 4) for step in range(5)
    ]
    return Chart(width, height, left, width - right, baseline, bars, grid, labels)
