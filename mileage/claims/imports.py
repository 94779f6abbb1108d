"""Importing many hours claims from a CSV file, as coordinators export them from a spreadsheet.

The file
--------
* Encoding: UTF-8 (with or without a byte-order mark) or CP949/EUC-KR, which Korean Excel writes.
* Comma-separated, with one header row. Headers may be Korean or English, in any order, with any
  spacing or case; columns not listed below are ignored (so a sheet may keep its own notes).

  ============  =====================  =========================================================
  Korean        English                value
  ============  =====================  =========================================================
  카드번호        card_number            the 16-digit card number (spaces and dashes allowed)
  봉사자ID       volunteer_id           the volunteer's id (instead of, or as well as, the card)
  이름           name                   optional: when present it must match the volunteer
  기관ID         organisation_id        optional for a coordinator (own organisation) or when the
                                       upload names a default organisation
  날짜           date                   the Seoul calendar day: 2025-03-14, 2025.03.14 or 2025/3/14
  시작           start                  HH:MM, 24-hour
  종료           end                    HH:MM, 24-hour; 24:00 ends at midnight
  분야           category               for example 복지, 환경, 교육
  비고           note                   optional
  ============  =====================  =========================================================

The report
----------
One line per data row, numbered as a spreadsheet numbers them (the header is row 1). Each valid row
becomes a submitted claim in its own savepoint, so a bad row never stops the others. A row that
repeats an earlier row of the same file, or a claim already on record, overlaps it in time and is
refused by the policy's overlap rule like any other overlapping claim.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.claims.rules import ClaimPolicy
from mileage.claims.submission import ClaimDraft, organisation_in_scope, parse_clock_time, submit_claim_draft
from mileage.errors import (
    DomainError,
    ImportColumnsMissing,
    ImportFileEmpty,
    ImportFileUnreadable,
    ImportTooManyRows,
    ImportValueInvalid,
    ImportValueMissing,
)
from mileage.models import Claim

MAX_IMPORT_ROWS = 2000
MAX_CATEGORY_LENGTH = 50
MAX_NOTE_LENGTH = 500
ENCODINGS = ("utf-8-sig", "cp949")

# Each column: the headers that name it (compared without spaces, case-folded) and its label in reports.
COLUMNS = {
    "card_number": ({"카드번호", "card_number", "cardnumber", "card"}, "카드번호(card_number)"),
    "volunteer_id": ({"봉사자id", "봉사자번호", "volunteer_id", "volunteerid"}, "봉사자ID(volunteer_id)"),
    "name": ({"이름", "성명", "봉사자명", "name"}, "이름(name)"),
    "organisation_id": (
        {"기관id", "기관번호", "organisation_id", "organization_id", "organisationid", "organizationid"},
        "기관ID(organisation_id)",
    ),
    "date": ({"날짜", "봉사일", "봉사일자", "date", "work_date"}, "날짜(date)"),
    "start": ({"시작", "시작시간", "시작시각", "start", "start_time"}, "시작(start)"),
    "end": ({"종료", "종료시간", "종료시각", "end", "end_time"}, "종료(end)"),
    "category": ({"분야", "봉사분야", "category"}, "분야(category)"),
    "note": ({"비고", "메모", "note", "notes"}, "비고(note)"),
}
ALWAYS_REQUIRED = ("date", "start", "end", "category")

_DATE = re.compile(r"([0-9]{4})\s*[-./]\s*([0-9]{1,2})\s*[-./]\s*([0-9]{1,2})\.?")


@dataclass
class ImportedRow:
    """One data row of the file: the claim it became, or why it did not."""

    row: int
    claim: Claim | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ImportReport:
    """What an import did, row by row."""

    encoding: str
    rows: list[ImportedRow] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def failed(self) -> int:
        return len(self.rows) - self.created


def decode_csv(data: bytes) -> tuple[str, str]:
    """Return the text of a CSV file and the encoding it was written in.

    :raises ImportFileUnreadable: neither UTF-8 nor CP949, or binary.
    """
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, encoding
    raise ImportFileUnreadable()


def _read_records(text: str) -> list[tuple[int, list[str]]]:
    """Return the non-blank records of a CSV text with their spreadsheet row numbers.

    :raises ImportFileUnreadable: the text is not CSV.
    :raises ImportFileEmpty: not even a header row.
    """
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportFileUnreadable() from exc
    # Spreadsheets leave blank lines (",,,,") at the end; they are skipped but keep their numbers.
    numbered = [(number, record) for number, record in enumerate(records, start=1) if any(c.strip() for c in record)]
    if not numbered:
        raise ImportFileEmpty()
    return numbered


def _header_key(header: str) -> str:
    return "".join(header.split()).casefold()


def _map_headers(headers: list[str]) -> dict[str, int]:
    """Return the position of each known column in the header row (the first one wins)."""
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        key = _header_key(header)
        for column, (names, _label) in COLUMNS.items():
            if key in names and column not in positions:
                positions[column] = position
    return positions


def _check_columns(positions: dict[str, int], *, organisation_known: bool) -> None:
    missing = [column for column in ALWAYS_REQUIRED if column not in positions]
    if "card_number" not in positions and "volunteer_id" not in positions:
        missing.insert(0, "card_number")
    if "organisation_id" not in positions and not organisation_known:
        missing.append("organisation_id")
    if missing:
        raise ImportColumnsMissing(columns=", ".join(COLUMNS[column][1] for column in missing))


def _parse_row(cells: dict[str, str], default_organisation_id: int | None) -> ClaimDraft:
    """Turn one row's cells into a draft claim.

    :raises ImportValueMissing:
    :raises ImportValueInvalid:
    """

    def required(column: str) -> str:
        if not cells.get(column):
            raise ImportValueMissing(column=COLUMNS[column][1])
        return cells[column]

    def integer(column: str) -> int | None:
        text = cells.get(column)
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            raise ImportValueInvalid(column=COLUMNS[column][1], value=text[:40])
        return int(text)

    def clock(column: str) -> int:
        text = required(column)
        try:
            return parse_clock_time(text)
        except ValueError:
            pass
        try:
            # The other forms Excel writes: 9:00:00, 오전 9:00, 오후 1:30, 1:30 PM.
            from mileage.claims.spreadsheets import read_clock_time

            return read_clock_time(text)
        except ValueError:
            raise ImportValueInvalid(column=COLUMNS[column][1], value=text[:40]) from None

    def work_date() -> date:
        text = required("date")
        match = _DATE.fullmatch(text)
        try:
            if match is None:
                raise ValueError(text)
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise ImportValueInvalid(column=COLUMNS["date"][1], value=text[:40]) from None

    def bounded(column: str, text: str, max_length: int) -> str:
        if len(text) > max_length:
            raise ImportValueInvalid(column=COLUMNS[column][1], value=f"{text[:20]}… ({len(text)} > {max_length})")
        return text

    volunteer_id = integer("volunteer_id")
    card_number = cells.get("card_number") or None
    if volunteer_id is None and card_number is None:
        raise ImportValueMissing(column=COLUMNS["card_number"][1])
    return ClaimDraft(
        work_date=work_date(),
        start_minute=clock("start"),
        end_minute=clock("end"),
        category=bounded("category", required("category"), MAX_CATEGORY_LENGTH),
        note=bounded("note", cells.get("note", ""), MAX_NOTE_LENGTH),
        organisation_id=integer("organisation_id") or default_organisation_id,
        volunteer_id=volunteer_id,
        card_number=card_number,
        volunteer_name=cells.get("name") or None,
    )


def import_claims_csv(
    session: Session,
    data: bytes,
    *,
    actor: Actor,
    policy: ClaimPolicy,
    organisation_scope: int | None = None,
    default_organisation_id: int | None = None,
    filename: str = "",
    now: datetime | None = None,
) -> ImportReport:
    """Create a submitted claim for every valid row of a CSV file and report on every row.

    File-level problems refuse the whole upload; row-level problems are reported per row.

    :raises ImportFileUnreadable:
    :raises ImportFileEmpty:
    :raises ImportColumnsMissing:
    :raises ImportTooManyRows:
    :raises NotOwner: a coordinator named another organisation as the default.
    """
    if default_organisation_id is not None:
        default_organisation_id = organisation_in_scope(default_organisation_id, organisation_scope)
    if data[:4] == b"PK\x03\x04":
        # An .xlsx saved by Excel: its cells, written as a CSV would hold them.
        from mileage.claims import spreadsheets

        sheet = spreadsheets.read_sheet(data, max_rows=MAX_IMPORT_ROWS)
        encoding = "xlsx"
        header = sheet.header
        rows = [(number, [spreadsheets.canonical_text(cell) for cell in record]) for number, record in sheet.rows]
    else:
        text, encoding = decode_csv(data)
        (_, header), *rows = _read_records(text)
    if not rows:
        raise ImportFileEmpty()
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportTooManyRows(max_rows=MAX_IMPORT_ROWS)
    positions = _map_headers(header)
    _check_columns(positions, organisation_known=(default_organisation_id or organisation_scope) is not None)

    report = ImportReport(encoding=encoding)
    for row_number, record in rows:
        cells = {column: record[position].strip() for column, position in positions.items() if position < len(record)}
        imported = ImportedRow(row=row_number)
        try:
            # Each row in its own savepoint: a refused row leaves nothing behind, and the rows
            # created before it stay, so a later duplicate row is caught by the overlap rule.
            with session.begin_nested():
                draft = _parse_row(cells, default_organisation_id)
                imported.claim = submit_claim_draft(
                    session, draft, actor=actor, policy=policy, organisation_scope=organisation_scope, now=now
                )
        except DomainError as error:
            imported.error = error
        report.rows.append(imported)

    record_audit(
        session,
        actor,
        "claims.import",
        target_type="claim_import",
        target_id=filename[:64] or None,
        after={
            "encoding": encoding,
            "rows": len(report.rows),
            "created": report.created,
            "failed": report.failed,
            "claim_ids": [row.claim.id for row in report.rows if row.claim is not None],
        },
    )
    return report
