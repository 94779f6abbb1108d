"""The dashboard's figures (from the reports service) and the geometry of its inline SVG bar chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.console.i18n import t
from mileage.clock import seoul_today
from mileage.models import Claim, ClaimState
from mileage.reports import periods, points, volunteers

CHART_MONTHS = 12


@dataclass(frozen=True)
class MonthFigures:
    """One month of points: issued by approvals, and used (redeemed net of refunds, plus donated)."""

    label: str
    issued: int
    used: int


@dataclass(frozen=True)
class Overview:
    """This month's figures and the last twelve months of points issued and used."""

    month: str
    issued: int
    redeemed: int
    donated: int
    waiting_claims: int
    active_volunteers: int
    liability: int
    months: list[MonthFigures]


def months_back(day: date, count: int) -> date:
    """Return the first day of the month `count` months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def count_waiting_claims(session: Session) -> int:
    """Return how many claims wait for review (a read-only count; no service offers it)."""
    return int(session.scalar(select(func.count()).select_from(Claim).where(Claim.state == str(ClaimState.SUBMITTED))))


def month_overview(session: Session, today: date | None = None) -> Overview:
    """Return the dashboard's figures for the Seoul month of today and the eleven months before it."""
    today = today or seoul_today()
    period = periods.report_period(months_back(today, CHART_MONTHS - 1), today)
    movements = points.movements_report(session, period)
    this_month = movements.rows[-1]
    activity = volunteers.volunteer_activity_report(session, period)
    return Overview(
        month=this_month.month,
        issued=this_month.issued - this_month.reversed,
        redeemed=this_month.redeemed - this_month.refunded,
        donated=this_month.donated,
        waiting_claims=count_waiting_claims(session),
        active_volunteers=activity.rows[-1].active_volunteers,
        liability=this_month.liability_end,
        months=[
            MonthFigures(
                label=row.month,
                issued=row.issued - row.reversed,
                used=row.redeemed - row.refunded + row.donated,
            )
            for row in movements.rows
        ],
    )


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
        labels.append((round(slot_left + slot / 2, 1), t("chart.month", m=int(month.label[5:7]))))
    grid = [
        GridLine(y=round(baseline - plot_height * step / 4, 1), value=scale_max * step // 4) for step in range(5)
    ]
    return Chart(width, height, left, width - right, baseline, bars, grid, labels)
