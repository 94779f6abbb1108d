"""Reports for a period (hours, point movements and liability, volunteers, donations, shops), with CSV
download, and closing a shop settlement period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, flash, render_template, request

from admin.console import forms
from admin.console.i18n import N_, NP_, _, console_language, pgettext
from admin.console.navigation import redirect_back
from admin.reports.csv_tables import COLUMNS, render_report_csv
from mileage.clock import seoul_today
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.models import PeriodKind
from mileage.reports import donations, hours, periods, points, shops, volunteers
from mileage.reports.dashboard import CHART_MONTHS, months_back
from mileage.shops import settlement

blueprint = Blueprint("reports", __name__, url_prefix="/reports")

# The ledger reports (columns shared with the reports API's CSV files), then shop settlement.
LEDGER_REPORTS = ("movements", "hours", "volunteers", "top_volunteers", "donations", "shop_accounts")
SETTLEMENT = "settlement"
REPORT_NAMES = (*LEDGER_REPORTS, SETTLEMENT)
HOURS_DIMENSIONS = {"month": "month", "organisation": "organisation_name", "category": "category"}
SETTLEMENT_COLUMNS = list(settlement.READABLE_COLUMNS)


@dataclass(frozen=True)
class Table:
    """A report as the page shows it: headings, rows of cells, and a totals row when the report has one."""

    headings: list[str]
    numeric: list[bool]
    rows: list[list]
    totals: list | None


def _table(rows: list, columns: list[tuple[str, tuple[str, str]]], totals: dict | None) -> Table:
    headings = [pgettext(*heading) for _, heading in columns]
    cells = [[getattr(row, attribute) for attribute, _ in columns] for row in rows]
    numeric = [
        attribute not in ("month", "rank", "period_start", "period_end") and not attribute.endswith("_id")
        and all(isinstance(row[index], int) and not isinstance(row[index], bool) for row in cells)
        for index, (attribute, _) in enumerate(columns)
    ]
    total_row = None
    if totals:
        total_row = [_("Total"), *(totals.get(attribute) for attribute, _ in columns[1:])]
    return Table(headings, numeric, cells, total_row)


def _csv(body: bytes | str, name: str, start: date, end: date) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{start.isoformat()}-{end.isoformat()}.csv"'},
    )


@blueprint.get("/")
def index():
    """Show one report for a period (Seoul days, both included), or download it as CSV."""
    today = seoul_today()
    name = forms.choice("report", REPORT_NAMES, label=N_("Report"), required=False, where="args") or "movements"
    start = (
        forms.day("start", label=NP_("common.date_from", "From"), where="args") or months_back(today, CHART_MONTHS - 1)
    )
    end = forms.day("end", label=N_("To"), where="args") or today
    group_by = tuple(
        dimension for dimension in HOURS_DIMENSIONS if dimension in request.args.getlist("group_by")
    ) or tuple(HOURS_DIMENSIONS)
    period_kind = forms.choice(
        "period_kind", list(PeriodKind), label=N_("Settlement period"), required=False, where="args"
    ) or str(PeriodKind.MONTH)
    session = get_session()
    wants_csv = request.args.get("format") == "csv"

    if name == SETTLEMENT:
        lines = settlement.settlement_report(session, period=PeriodKind(period_kind), start=start, end=end)
        if wants_csv:
            return _csv(settlement.settlement_csv(lines, console_language()), name, start, end)
        table = _table(lines, SETTLEMENT_COLUMNS, None)
    else:
        period = periods.report_period(start, end)
        leave_out: tuple[str, ...] = ()
        if name == "hours":
            report = hours.hours_report(session, period, group_by=group_by)
            leave_out = tuple(column for dimension, column in HOURS_DIMENSIONS.items() if dimension not in group_by)
        else:
            report = {
                "movements": points.movements_report,
                "volunteers": volunteers.volunteer_activity_report,
                "top_volunteers": volunteers.top_volunteers_report,
                "donations": donations.donations_report,
                "shop_accounts": shops.shop_accounts_report,
            }[name](session, period)
        if wants_csv:
            return _csv(render_report_csv(report, name, console_language(), leave_out=leave_out), name, start, end)
        columns = [column for column in COLUMNS[name] if column[0] not in leave_out]
        table = _table(report.rows, columns, report.totals)

    return render_template(
        "console/reports/index.html",
        name=name,
        names=REPORT_NAMES,
        start=start,
        end=end,
        group_by=group_by,
        dimensions=list(HOURS_DIMENSIONS),
        period_kind=period_kind,
        period_kinds=[str(kind) for kind in PeriodKind],
        table=table,
        csv_args={**request.args.to_dict(flat=False), "format": "csv"},
    )


@blueprint.post("/settlement/close")
def close_settlement():
    """Close every shop's settlement period holding a day; closed figures never change."""
    lines = settlement.close_period(
        get_session(),
        period=PeriodKind(forms.choice("period_kind", list(PeriodKind), label=N_("Settlement period"))),
        day=forms.day("day", label=N_("A day in the period to close"), required=True),
        actor=current_actor(),
    )
    flash(_("Settlement closed for %(count)s shops.", count=len(lines)), "success")
    return redirect_back("console.reports.index", report=SETTLEMENT)
