"""Reading the spreadsheets coordinators really keep: CSV (UTF-8, UTF-8 with BOM, CP949) and .xlsx.

A file becomes a header and numbered rows of cells. Cells keep what the file holds: text from a CSV,
and from a workbook whatever Excel stored (text, numbers, dates, times). The readers below turn a
cell into a date, a minute of the day or a card number, accepting every form Excel writes:

* times: ``09:00``, ``09:00:00``, ``9:00``, ``오전 9:00``, ``오후 1:30``, ``1:30 PM``, ``24:00``
  (the end of the day), an Excel time cell, or a fraction of a day in a number cell;
* dates: ``2026-11-03``, ``2026.11.03``, ``2026. 11. 3.``, ``2026/11/3``, ``2026년 11월 3일``,
  an Excel date cell, or an Excel serial day number;
* card numbers: text (spaces and dashes allowed) or a number cell. Excel keeps only 15 significant
  digits of a number, so a 16-digit card typed into a number cell comes back with its last digit
  turned to 0; the Luhn check catches that and the row says to format the column as text.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mileage.claims.imports import decode_csv
from mileage.errors import ImportFileEmpty, ImportFileUnreadable, ImportWorkbookUnreadable

XLSX_MAGIC = b"PK\x03\x04"
EXCEL_EPOCH = date(1899, 12, 30)
# Serial day numbers that can only be dates of volunteering (1982 to 2064), not some other number.
_SERIAL_DAYS = range(30000, 60000)

Cell = str | int | float | date | datetime | time | timedelta | bool | None


@dataclass(frozen=True)
class Sheet:
    """A file's header row and its non-blank data rows, numbered as a spreadsheet numbers them."""

    file_format: str
    encoding: str
    header: list[str]
    rows: list[tuple[int, list[Cell]]]


def is_workbook(data: bytes) -> bool:
    """Tell whether a file is a zip container (an .xlsx workbook) rather than text."""
    return data[:4] == XLSX_MAGIC


def read_sheet(data: bytes, *, max_rows: int | None = None) -> Sheet:
    """Read a CSV or .xlsx file into its header and numbered rows (of a workbook, a few past `max_rows`).

    :raises ImportFileUnreadable: a text file in no encoding we read.
    :raises ImportWorkbookUnreadable: a zip that is not a workbook we can open.
    :raises ImportFileEmpty: not even a header row.
    """
    if is_workbook(data):
        # Blank rows are dropped below; past the limit by a margin is enough to say "too many".
        records = _workbook_records(data, None if max_rows is None else max_rows * 2 + 10)
        file_format, encoding = "xlsx", ""
    else:
        text, encoding = decode_csv(data)
        try:
            records = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise ImportFileUnreadable() from exc
        file_format = "csv"
    numbered = [(number, list(record)) for number, record in enumerate(records, start=1) if not _blank(record)]
    if not numbered:
        raise ImportFileEmpty()
    (_, header), *rows = numbered
    return Sheet(file_format=file_format, encoding=encoding, header=[cell_text(cell) for cell in header], rows=rows)


def _blank(record) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)


MAX_COLUMNS = 60


def _workbook_records(data: bytes, max_records: int | None) -> list[tuple]:
    """Return the rows of a workbook's first sheet as values (read-only mode: streamed, small).

    Reading stops after `max_records` rows and `MAX_COLUMNS` columns: a small zip can hold a
    sheet of millions of cells, and the caller only needs to know that there are too many.

    :raises ImportWorkbookUnreadable:
    """
    # Imported here: reading a CSV, and importing the domain, need not load openpyxl.
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they change no value.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise ImportWorkbookUnreadable()
                rows = workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
                records = []
                for record in rows:
                    records.append(record)
                    if max_records is not None and len(records) > max_records:
                        break
                return records
            finally:
                workbook.close()
    except ImportWorkbookUnreadable:
        raise
    except Exception as exc:
        # An uploaded file is untrusted: whatever openpyxl trips over, the answer is "cannot read it".
        raise ImportWorkbookUnreadable() from exc


def cell_text(cell: Cell) -> str:
    """Return a cell as text, stripped; a whole number without a decimal point."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    return str(cell).strip()


def canonical_text(cell: Cell) -> str:
    """Return a cell as the text a CSV would hold: a date as 2026-11-03, a time as 09:00."""
    if isinstance(cell, datetime):
        if cell.date() in (EXCEL_EPOCH, EXCEL_EPOCH + timedelta(days=1)):
            return f"{_minutes_of(cell.time()) // 60:02d}:{_minutes_of(cell.time()) % 60:02d}"
        if cell.time() == time(0):
            return cell.date().isoformat()
    if isinstance(cell, time):
        minutes = _minutes_of(cell)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(cell, timedelta):
        minutes = round(cell.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return cell_text(cell)


# --- dates ----------------------------------------------------------------------------------

_DATE = re.compile(r"([0-9]{4})\s*[-./년]\s*([0-9]{1,2})\s*[-./월]\s*([0-9]{1,2})\s*[.일]?")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def read_date(cell: Cell) -> date:
    """Return the day a cell holds.

    :raises ValueError: not a date in any accepted form.
    """
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, int | float):
        if cell != int(cell) or int(cell) not in _SERIAL_DAYS:
            raise ValueError(cell)
        return EXCEL_EPOCH + timedelta(days=int(cell))
    text = cell_text(cell)
    # A date cell that went through text keeps a midnight time: "2026-11-03 00:00:00".
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


# --- times of day ---------------------------------------------------------------------------

_TIME = re.compile(
    r"(?P<before>오전|오후|AM|PM|A\.M\.|P\.M\.)?\s*(?P<hours>[0-9]{1,2})\s*"
    r"(?::\s*(?P<minutes>[0-9]{2})(?::(?P<seconds>[0-9]{2})(?:\.[0-9]+)?)?|시(?:\s*(?P<kminutes>[0-9]{1,2})\s*분)?)"
    r"\s*(?P<after>AM|PM|A\.M\.|P\.M\.)?",
    re.IGNORECASE,
)
_MORNING = {"오전", "am", "a.m."}


def read_clock_time(cell: Cell) -> int:
    """Return the minute of the day a cell holds; 24:00 (1440) is the end of the day.

    :raises ValueError: not a time of one day in any accepted form.
    """
    if isinstance(cell, datetime):
        return _minutes_of(cell.time())
    if isinstance(cell, time):
        return _minutes_of(cell)
    if isinstance(cell, timedelta):
        seconds = round(cell.total_seconds())
        if not 0 <= seconds <= 24 * 3600:
            raise ValueError(cell)
        return round(seconds / 60)
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, int | float):
        # A time cell read without its format is the fraction of a day (0.375 is 09:00).
        if not 0 <= cell <= 1:
            raise ValueError(cell)
        return round(cell * 24 * 60)
    text = cell_text(cell)
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(text)
    hours, minutes = int(match["hours"]), int(match["minutes"] or match["kminutes"] or 0)
    seconds = int(match["seconds"] or 0)
    if minutes > 59 or seconds > 59:
        raise ValueError(text)
    half = match["before"] or match["after"]
    if half:
        if match["before"] and match["after"]:
            raise ValueError(text)
        if not 1 <= hours <= 12:
            raise ValueError(text)
        hours = hours % 12 + (0 if half.lower() in _MORNING else 12)
    if hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(text)
    return hours * 60 + minutes


def _minutes_of(moment: time) -> int:
    # Excel stores times as fractions of a day; 09:00 may come back as 08:59:59.999.
    return round((moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6) / 60)


# --- card numbers ---------------------------------------------------------------------------

def read_card_number(cell: Cell) -> tuple[str, bool]:
    """Return a card number as text and whether it came from a number cell (where digits can be lost)."""
    if isinstance(cell, bool):
        return str(cell), False
    if isinstance(cell, int):
        return str(cell), True
    if isinstance(cell, float):
        return (str(int(cell)) if cell.is_integer() else repr(cell)), True
    text = cell_text(cell)
    # A number pasted through text keeps Excel's exponent: "9.41012345678901E+15".
    if re.fullmatch(r"[0-9.]+[eE]\+?[0-9]+", text):
        try:
            return str(int(float(text))), True
        except ValueError:
            return text, True
    return text, False
