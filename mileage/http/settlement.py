"""The settlement answer both the shop API and the staff API give: the lines as JSON, or as a CSV download."""

from __future__ import annotations

from flask import Response

from mileage.clock import seoul_today
from mileage.http.boundary import get_session
from mileage.models import PeriodKind
from mileage.shops import settlement

# format=csv answers with a spreadsheet instead of JSON.
CSV_SCHEMA = {"type": "string", "description": "UTF-8 CSV with a byte-order mark"}


def settlement_answer(args: dict, *, merchant_id: int | None):
    """Answer a settlement query (period, start, end, format) for one shop, or for every shop when None."""
    today = seoul_today()
    lines = settlement.settlement_report(
        get_session(),
        period=PeriodKind(args["period"]),
        start=args["start"] or today.replace(day=1),
        end=args["end"] or today,
        merchant_id=merchant_id,
    )
    if args["format"] == "csv":
        return Response(
            settlement.settlement_csv(lines),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="settlement.csv"'},
        )
    return {"items": lines}
