"""The volunteer's statement as a CSV file that Excel opens with the Korean intact."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from mileage.cards.statements import Statement
from mileage.i18n import NP_, translate_in_context
from mileage.labels import label
from mileage.spreadsheet_cells import spreadsheet_text

# Excel only reads a CSV file as UTF-8 when it starts with a byte order mark.
ENCODING = "utf-8-sig"

HEADERS = (
    NP_("statement column", "date"),
    NP_("statement column", "type"),
    NP_("statement column", "organisation"),
    NP_("statement column", "hours"),
    NP_("statement column", "minutes"),
    NP_("statement column", "points"),
    NP_("statement column", "balance"),
    NP_("statement column", "memo"),
)

OPENING_BALANCE = NP_("statement row", "opening balance")



def _hours(minutes: int | None) -> str:
    """Return minutes as hours with two decimals, computed without floats (150 -> "2.50")."""
    if minutes is None:
        return ""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01")))


def render_statement_csv(statement: Statement, language: str = "ko") -> bytes:
    """Return the statement as CSV bytes: one row per movement, with the running balance."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([translate_in_context(language, *heading) for heading in HEADERS])
    if statement.first_day is not None:
        writer.writerow(
            [statement.first_day.isoformat(), translate_in_context(language, *OPENING_BALANCE),
             "", "", "", "", statement.opening_balance, ""]
        )
    for line in statement.lines:
        writer.writerow(
            [
                line.day.isoformat(),
                label("entry_kind", line.kind, language),
                spreadsheet_text(line.organisation_name),
                _hours(line.minutes),
                "" if line.minutes is None else line.minutes,
                line.points,
                line.balance,
                spreadsheet_text(line.memo),
            ]
        )
    return buffer.getvalue().encode(ENCODING)
