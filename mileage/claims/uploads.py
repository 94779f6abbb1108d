"""Uploading a spreadsheet of hours: preview every row, then confirm once to create the claims.

The flow
--------
1. `preview_claim_upload` stores the file (`ClaimImport`) and runs every row through the same checks
   a confirmation runs (who the volunteer is, every claim rule, the rows before it in the same file),
   inside a savepoint that is rolled back: nothing is posted. Each row is ok, warning or error.
2. `confirm_claim_upload` runs the stored file again, for real, and marks the upload confirmed in
   the same transaction. Confirming twice returns the first confirmation's report.
3. Uploading the same file again (or a file repeating rows already on record) creates nothing new: a
   row identical to a live claim (same volunteer, organisation, day, start and end) is a warning,
   "already recorded", and is skipped rather than refused by the overlap rule.

`import_claim_file` does both steps at once for the command line (`mileage import-claims`).

Columns (Korean or English headers, any order, other columns ignored): those of `imports.COLUMNS`,
plus ``1365 ID``/``portal_1365_id`` and ``연락처``/``phone``. The volunteer is named by card number,
by volunteer id, by 1365 id, or by name and phone number together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage import i18n
from mileage.audit import Actor, record_audit
from mileage.cards.numbers import is_valid_card_number, normalise_card_number
from mileage.claims import imports, spreadsheets
from mileage.claims.rules import LIVE_STATES, ClaimPolicy
from mileage.claims.submission import ClaimDraft, organisation_in_scope, submit_claim_draft
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import (
    CardNotFound,
    CardNumberCellLostDigits,
    ClaimImportNotFound,
    ClaimVolunteerMismatch,
    DomainError,
    ImportColumnsMissing,
    ImportFileEmpty,
    ImportFileTooLarge,
    ImportTooManyRows,
    ImportValueInvalid,
    ImportValueMissing,
    ImportVolunteerUnidentified,
    InvalidCardNumber,
    Portal1365IdUnknown,
    VolunteerByNamePhoneAmbiguous,
    VolunteerByNamePhoneUnknown,
)
from mileage.i18n import N_
from mileage.models import Card, Claim, ClaimImport, ClaimImportState, Volunteer
from mileage.people.organisations import get_organisation

MAX_UPLOAD_ROWS = 20_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

COLUMNS = {
    **imports.COLUMNS,
    "portal_1365_id": (
        {"1365id", "1365아이디", "1365", "1365_id", "portal_1365_id", "1365회원id", "1365회원번호"},
        "1365 ID(portal_1365_id)",
    ),
    "phone": ({"연락처", "전화번호", "휴대폰", "휴대전화", "phone", "phone_number", "mobile"}, "연락처(phone)"),
}
IDENTITY_COLUMNS = ("card_number", "volunteer_id", "portal_1365_id")


class RowStatus:
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class RowMessage:
    """One thing the report says about a row, rendered from the catalogue in Korean and English.

    Both renderings are kept because the report is stored with the upload and replayed later.
    """

    code: str
    ko: str
    en: str

    def text(self, language: str | None = "ko") -> str:
        """Return the sentence in a language (Korean unless "en")."""
        return self.en if language == "en" else self.ko

    @classmethod
    def of(cls, error: DomainError) -> RowMessage:
        return cls(code=error.code, ko=error.message("ko"), en=error.message("en"))

    @classmethod
    def say(cls, code: str, message: str, **params) -> RowMessage:
        return cls(code=code, ko=i18n.translate("ko", message, **params),
                   en=i18n.translate("en", message, **params))


def already_recorded(claim_id: int) -> RowMessage:
    return RowMessage.say(
        "already_recorded",
        N_("These hours are already on record (claim #%(claim)s); the row is skipped, not recorded twice."),
        claim=claim_id,
    )


def _number_cell_notice(number: str, name: str) -> RowMessage:
    return RowMessage.say(
        "card_number_number_cell",
        N_("The card number was in a number cell and was read as %(number)s (%(name)s); check it, and use a "
           "text cell as in the template."),
        number=number, name=name,
    )


@dataclass
class UploadRow:
    """One data row: its status, what the report says about it, and the claim it is (or would be)."""

    row: int
    status: str
    messages: list[RowMessage] = field(default_factory=list)
    claim_id: int | None = None
    volunteer_id: int | None = None
    volunteer_name: str = ""
    work_date: date | None = None
    start_minute: int | None = None
    end_minute: int | None = None
    category: str = ""

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "status": self.status,
            "messages": [{"code": m.code, "ko": m.ko, "en": m.en} for m in self.messages],
            "claim_id": self.claim_id,
            "volunteer_id": self.volunteer_id,
            "volunteer_name": self.volunteer_name,
            "work_date": self.work_date.isoformat() if self.work_date else None,
            "start_minute": self.start_minute,
            "end_minute": self.end_minute,
            "category": self.category,
        }

    @classmethod
    def from_dict(cls, values: dict) -> UploadRow:
        values = dict(values)
        values["messages"] = [RowMessage(**m) for m in values["messages"]]
        values["work_date"] = date.fromisoformat(values["work_date"]) if values["work_date"] else None
        return cls(**values)


@dataclass
class UploadReport:
    """What an upload's rows are (preview) or did (confirmation)."""

    upload_id: int
    state: str
    file_format: str
    encoding: str
    filename: str
    rows: list[UploadRow] = field(default_factory=list)
    replayed: bool = False

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def ok(self) -> int:
        return self.count(RowStatus.OK)

    @property
    def warnings(self) -> int:
        return self.count(RowStatus.WARNING)

    @property
    def errors(self) -> int:
        return self.count(RowStatus.ERROR)

    @property
    def created(self) -> int:
        """Return the claims this upload creates (preview) or created (confirmed)."""
        return sum(1 for row in self.rows if row.status != RowStatus.ERROR and not _skipped(row))

    @property
    def skipped(self) -> int:
        return sum(1 for row in self.rows if _skipped(row))


def _skipped(row: UploadRow) -> bool:
    return any(message.code == "already_recorded" for message in row.messages)


# --- the columns ----------------------------------------------------------------------------

def _map_headers(headers: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        key = "".join(header.split()).casefold()
        for column, (names, _label) in COLUMNS.items():
            if key in names and column not in positions:
                positions[column] = position
    return positions


def _check_columns(positions: dict[str, int], *, organisation_known: bool) -> None:
    missing = [column for column in imports.ALWAYS_REQUIRED if column not in positions]
    named = any(column in positions for column in IDENTITY_COLUMNS) or {"name", "phone"} <= positions.keys()
    if not named:
        missing.insert(0, "card_number")
    if "organisation_id" not in positions and not organisation_known:
        missing.append("organisation_id")
    if missing:
        raise ImportColumnsMissing(columns=", ".join(COLUMNS[column][1] for column in missing))


# --- one row --------------------------------------------------------------------------------

@dataclass
class _Row:
    cells: dict[str, spreadsheets.Cell]

    def text(self, column: str) -> str:
        return spreadsheets.cell_text(self.cells.get(column))

    def required(self, column: str) -> spreadsheets.Cell:
        if not self.text(column):
            raise ImportValueMissing(column=COLUMNS[column][1])
        return self.cells[column]

    def invalid(self, column: str) -> ImportValueInvalid:
        return ImportValueInvalid(column=COLUMNS[column][1], value=self.text(column)[:40])

    def integer(self, column: str) -> int | None:
        text = self.text(column)
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            raise self.invalid(column)
        return int(text)

    def clock(self, column: str) -> int:
        cell = self.required(column)
        try:
            return spreadsheets.read_clock_time(cell)
        except ValueError:
            raise self.invalid(column) from None

    def day(self) -> date:
        cell = self.required("date")
        try:
            return spreadsheets.read_date(cell)
        except ValueError:
            raise self.invalid("date") from None

    def bounded(self, column: str, max_length: int) -> str:
        text = self.text(column)
        if len(text) > max_length:
            raise ImportValueInvalid(column=COLUMNS[column][1], value=f"{text[:20]}… ({len(text)} > {max_length})")
        return text


@dataclass
class _RunMemo:
    """What one run of a file has already read, so that 10,000 rows do not ask the same twice.

    Cards by number, and each volunteer's live claims (updated as rows create claims), for the
    "already recorded" check. Only reads are kept: every rule is still checked row by row.
    """

    cards: dict[str, Card | None] = field(default_factory=dict)
    live_claims: dict[int, dict[tuple, int]] = field(default_factory=dict)

    def card(self, session: Session, number: str) -> Card:
        normal = normalise_card_number(number)
        if normal not in self.cards:
            self.cards[normal] = session.scalar(select(Card).where(Card.number == normal))
        card = self.cards[normal]
        if card is None:
            raise CardNotFound()
        return card

    def prefetch_cards(self, session: Session, numbers: list[str]) -> None:
        wanted = set()
        for number in numbers:
            try:
                wanted.add(normalise_card_number(number))
            except InvalidCardNumber:
                continue
        wanted -= self.cards.keys()
        ordered = sorted(wanted)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            found = {card.number: card for card in session.scalars(select(Card).where(Card.number.in_(chunk)))}
            for number in chunk:
                self.cards[number] = found.get(number)

    def identical_claim(self, session: Session, volunteer_id: int, key: tuple) -> int | None:
        if volunteer_id not in self.live_claims:
            rows = session.execute(
                select(Claim.id, Claim.organisation_id, Claim.work_date, Claim.start_minute, Claim.end_minute)
                .where(Claim.volunteer_id == volunteer_id, Claim.state.in_([str(s) for s in LIVE_STATES]))
            )
            self.live_claims[volunteer_id] = {tuple(row[1:]): row[0] for row in rows}
        return self.live_claims[volunteer_id].get(key)

    def remember_claim(self, claim: Claim) -> None:
        key = (claim.organisation_id, claim.work_date, claim.start_minute, claim.end_minute)
        self.live_claims.setdefault(claim.volunteer_id, {})[key] = claim.id


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def _identify_volunteer(session: Session, row: _Row, warnings: list[RowMessage], memo: _RunMemo) -> int:
    """Return the volunteer a row names: by card number, volunteer id, 1365 id, or name and phone.

    Every identifier the row gives must agree: a typo in one must not credit a stranger.
    """
    found: list[int] = []
    raw_card = row.cells.get("card_number")
    if row.text("card_number"):
        number, from_number_cell = spreadsheets.read_card_number(raw_card)
        if from_number_cell:
            card = _card_from_number_cell(session, number)
            warnings.append(_number_cell_notice(card.number, card.volunteer.name))
        else:
            card = memo.card(session, number)
        found.append(card.volunteer_id)
    volunteer_id = row.integer("volunteer_id")
    if volunteer_id is not None:
        found.append(volunteer_id)
    portal_id = row.text("portal_1365_id")
    if portal_id:
        by_portal = session.scalar(select(Volunteer.id).where(Volunteer.portal_1365_id == portal_id))
        if by_portal is None:
            raise Portal1365IdUnknown(portal_1365_id=portal_id[:32])
        found.append(by_portal)
    if not found:
        name, phone = "".join(row.text("name").split()), _digits(row.text("phone"))
        if not name or not phone:
            raise ImportVolunteerUnidentified()
        candidates = [
            volunteer.id
            for volunteer in session.scalars(select(Volunteer).where(Volunteer.name == name))
            if _digits(volunteer.phone) == phone
        ]
        if not candidates:
            raise VolunteerByNamePhoneUnknown()
        if len(candidates) > 1:
            raise VolunteerByNamePhoneAmbiguous()
        found.append(candidates[0])
    if len(set(found)) > 1:
        raise ClaimVolunteerMismatch(volunteer_id=found[-1])
    return found[0]


def _card_from_number_cell(session: Session, number: str) -> Card:
    """Return the card a number cell meant, restoring the digits a spreadsheet's number lost.

    Excel keeps 15 significant digits (the 16th becomes 0) and a double keeps numbers this large
    only to the nearest even integer. The check digit is a function of the first 15, so among the
    numbers such a cell may have meant at most one or two pass the Luhn check; the one that is a
    card of ours is it. The report names the volunteer, for the coordinator to check.

    :raises CardNumberCellLostDigits: no such number, or more than one candidate card.
    """
    if not number.isdigit() or len(number) != 16:
        raise CardNumberCellLostDigits(value=number[:20])
    value = int(number)
    candidates = [str(value + delta) for delta in range(-2, 10)]
    valid = [candidate for candidate in candidates if is_valid_card_number(candidate)]
    cards = list(session.scalars(select(Card).where(Card.number.in_(valid)))) if valid else []
    if len(cards) != 1:
        raise CardNumberCellLostDigits(value=number)
    return cards[0]


def _run_row(
    session: Session,
    row_number: int,
    row: _Row,
    *,
    actor: Actor,
    policy: ClaimPolicy,
    organisation_scope: int | None,
    default_organisation_id: int | None,
    now: datetime | None,
    memo: _RunMemo,
) -> UploadRow:
    """Check one row and record its claim (the caller decides whether that stays)."""
    result = UploadRow(row=row_number, status=RowStatus.OK)
    warnings: list[RowMessage] = []
    try:
        with session.begin_nested():
            result.work_date = row.day()
            result.start_minute = row.clock("start")
            result.end_minute = row.clock("end")
            result.category = row.bounded("category", imports.MAX_CATEGORY_LENGTH)
            if not result.category:
                raise ImportValueMissing(column=COLUMNS["category"][1])
            volunteer_id = _identify_volunteer(session, row, warnings, memo)
            result.volunteer_id = volunteer_id
            volunteer = session.get(Volunteer, volunteer_id)
            result.volunteer_name = volunteer.name if volunteer is not None else ""
            organisation_id = organisation_in_scope(
                row.integer("organisation_id") or default_organisation_id, organisation_scope
            )
            draft = ClaimDraft(
                work_date=result.work_date,
                start_minute=result.start_minute,
                end_minute=result.end_minute,
                category=result.category,
                note=row.bounded("note", imports.MAX_NOTE_LENGTH),
                organisation_id=organisation_id,
                volunteer_id=volunteer_id,
                volunteer_name=row.text("name") or None,
            )
            existing = memo.identical_claim(
                session, volunteer_id, (organisation_id, draft.work_date, draft.start_minute, draft.end_minute)
            )
            if existing is not None:
                result.claim_id = existing
                warnings.append(already_recorded(existing))
            else:
                claim = submit_claim_draft(
                    session, draft, actor=actor, policy=policy, organisation_scope=organisation_scope, now=now
                )
                result.claim_id = claim.id
                memo.remember_claim(claim)
    except DomainError as error:
        result.status = RowStatus.ERROR
        result.messages = [*warnings, RowMessage.of(error)]
        result.claim_id = None
        return result
    if warnings:
        result.status = RowStatus.WARNING
        result.messages = warnings
    return result


def _run_rows(
    session: Session,
    upload: ClaimImport,
    *,
    actor: Actor,
    policy: ClaimPolicy,
    keep: bool,
    now: datetime | None,
    on_row: Callable[[int], None] | None,
) -> UploadReport:
    """Run every row of a stored upload; keep the claims only when `keep` (a confirmation)."""
    sheet = spreadsheets.read_sheet(upload.content, max_rows=MAX_UPLOAD_ROWS)
    if not sheet.rows:
        raise ImportFileEmpty()
    if len(sheet.rows) > MAX_UPLOAD_ROWS:
        raise ImportTooManyRows(max_rows=MAX_UPLOAD_ROWS)
    positions = _map_headers(sheet.header)
    _check_columns(positions, organisation_known=(upload.organisation_id or upload.organisation_scope) is not None)
    report = UploadReport(
        upload_id=upload.id, state=upload.state, file_format=sheet.file_format, encoding=sheet.encoding,
        filename=upload.filename,
    )
    memo = _RunMemo()
    if "card_number" in positions:
        memo.prefetch_cards(session, [
            record[positions["card_number"]] for _n, record in sheet.rows
            if positions["card_number"] < len(record) and isinstance(record[positions["card_number"]], str)
        ])
    # Rows see the rows before them (an in-file duplicate is caught); a preview then undoes them all.
    outer = session.begin_nested()
    try:
        for row_number, record in sheet.rows:
            cells = {column: record[position] for column, position in positions.items() if position < len(record)}
            report.rows.append(
                _run_row(
                    session, row_number, _Row(cells), actor=actor, policy=policy,
                    organisation_scope=upload.organisation_scope, default_organisation_id=upload.organisation_id,
                    now=now, memo=memo,
                )
            )
            if on_row is not None:
                on_row(1)
    except BaseException:
        outer.rollback()
        raise
    if keep:
        outer.commit()
    else:
        outer.rollback()
        for row in report.rows:
            if not _skipped(row):
                row.claim_id = None
    return report


# --- the services ---------------------------------------------------------------------------

def _store_upload(
    session: Session,
    data: bytes,
    *,
    actor: Actor,
    organisation_scope: int | None,
    default_organisation_id: int | None,
    filename: str,
) -> ClaimImport:
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileTooLarge(max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024))
    if default_organisation_id is not None:
        default_organisation_id = organisation_in_scope(default_organisation_id, organisation_scope)
        get_organisation(session, default_organisation_id)
    sheet_format = "xlsx" if spreadsheets.is_workbook(data) else "csv"
    upload = ClaimImport(
        filename=(filename or "")[:200],
        file_format=sheet_format,
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        organisation_id=default_organisation_id,
        organisation_scope=organisation_scope,
        uploaded_by_user_id=actor.user_id,
        state=ClaimImportState.PREVIEWED,
    )
    session.add(upload)
    session.flush()
    return upload


def preview_claim_upload(
    session: Session,
    data: bytes,
    *,
    actor: Actor,
    policy: ClaimPolicy,
    organisation_scope: int | None = None,
    default_organisation_id: int | None = None,
    filename: str = "",
    now: datetime | None = None,
    on_row: Callable[[int], None] | None = None,
) -> UploadReport:
    """Store an uploaded CSV or .xlsx file and report what confirming it would do, row by row.

    Nothing is posted: every row's claim is checked and then rolled back.

    :raises ImportFileTooLarge:
    :raises ImportFileUnreadable:
    :raises ImportWorkbookUnreadable:
    :raises ImportFileEmpty:
    :raises ImportColumnsMissing:
    :raises ImportTooManyRows:
    :raises NotOwner: a coordinator named another organisation as the default.
    """
    upload = _store_upload(
        session, data, actor=actor, organisation_scope=organisation_scope,
        default_organisation_id=default_organisation_id, filename=filename,
    )
    report = _run_rows(session, upload, actor=actor, policy=policy, keep=False, now=now, on_row=on_row)
    record_audit(
        session, actor, "claims.upload_preview", target_type="claim_import", target_id=upload.id,
        after={"filename": upload.filename, "sha256": upload.sha256, "rows": len(report.rows),
               "ok": report.ok, "warnings": report.warnings, "errors": report.errors},
    )
    return report


def get_claim_upload(session: Session, upload_id: int, *, organisation_scope: int | None = None) -> ClaimImport:
    """Return an upload the caller may see (a coordinator: only their organisation's).

    :raises ClaimImportNotFound:
    """
    upload = session.get(ClaimImport, upload_id)
    if upload is None or (organisation_scope is not None and upload.organisation_scope != organisation_scope):
        raise ClaimImportNotFound(upload_id=upload_id)
    return upload


def confirm_claim_upload(
    session: Session,
    upload_id: int,
    *,
    actor: Actor,
    policy: ClaimPolicy,
    organisation_scope: int | None = None,
    now: datetime | None = None,
    on_row: Callable[[int], None] | None = None,
) -> UploadReport:
    """Create the claims of a previewed upload, exactly once; a second confirmation replays the first.

    :raises ClaimImportNotFound:
    """
    upload = get_claim_upload(session, upload_id, organisation_scope=organisation_scope)
    # Claim the confirmation first: of two racing confirmations, one moves the state, the other waits
    # on the row and then finds it confirmed.
    moved = update_rows(
        session, ClaimImport, ClaimImport.id == upload.id, ClaimImport.state == ClaimImportState.PREVIEWED,
        state=ClaimImportState.CONFIRMED, confirmed_by_user_id=actor.user_id, confirmed_at=utc_now(),
    )
    session.refresh(upload)
    if not moved:
        return _stored_report(upload)
    report = _run_rows(session, upload, actor=actor, policy=policy, keep=True, now=now, on_row=on_row)
    report.state = ClaimImportState.CONFIRMED
    created_ids = [row.claim_id for row in report.rows if row.claim_id is not None and not _skipped(row)]
    upload.result = {
        "file_format": report.file_format,
        "encoding": report.encoding,
        "rows": [row.as_dict() for row in report.rows],
        "claim_ids": created_ids,
    }
    session.flush()
    record_audit(
        session, actor, "claims.upload_confirm", target_type="claim_import", target_id=upload.id,
        after={"filename": upload.filename, "sha256": upload.sha256, "created": report.created,
               "skipped": report.skipped, "errors": report.errors, "claim_ids": created_ids},
    )
    return report


def _stored_report(upload: ClaimImport) -> UploadReport:
    result = upload.result or {"rows": [], "file_format": upload.file_format, "encoding": ""}
    return UploadReport(
        upload_id=upload.id, state=upload.state, file_format=result["file_format"], encoding=result["encoding"],
        filename=upload.filename, rows=[UploadRow.from_dict(row) for row in result["rows"]], replayed=True,
    )


def import_claim_file(
    session: Session,
    data: bytes,
    *,
    actor: Actor,
    policy: ClaimPolicy,
    organisation_id: int | None = None,
    filename: str = "",
    dry_run: bool = False,
    now: datetime | None = None,
    on_row: Callable[[int], None] | None = None,
) -> UploadReport:
    """Preview a file, or (unless a dry run) store and confirm it at once (the command line's import).

    A dry run leaves the stored upload behind only if the caller commits; `mileage import-claims
    --dry-run` rolls it back.
    """
    if dry_run:
        return preview_claim_upload(
            session, data, actor=actor, policy=policy, default_organisation_id=organisation_id, filename=filename,
            now=now, on_row=on_row,
        )
    upload = _store_upload(
        session, data, actor=actor, organisation_scope=None, default_organisation_id=organisation_id,
        filename=filename,
    )
    return confirm_claim_upload(session, upload.id, actor=actor, policy=policy, now=now, on_row=on_row)


def sheet_row_count(data: bytes) -> int:
    """Return how many data rows a file has (for a progress bar)."""
    return len(spreadsheets.read_sheet(data, max_rows=MAX_UPLOAD_ROWS).rows)
