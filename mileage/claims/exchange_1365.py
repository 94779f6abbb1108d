"""The 1365 exchange: approved hours out to the national volunteer portal, certified hours back in.

The portal's exact bulk format could not be checked here, so the file's shape is data, a profile:
its columns (header and the field each holds, in order), date and time formats, the encoding and
the delimiter. `DEFAULT_PROFILE` ships; `MILEAGE_1365_PROFILE` (a JSON object, or a path to a JSON
file) replaces it, e.g. ``{"columns": [["봉사자ID", "portal_1365_id"], ...], "encoding": "utf-8-sig"}``.

Export: every approved claim in a period whose volunteer has a 1365 id, one row each.
Import: every row certified on the portal becomes an approved claim here, matched to the volunteer
by 1365 id and to the organisation by id or by name, under the same claim rules as any claim (a row
that breaks one is reported and not paid). A row identical to a live claim (same volunteer,
organisation, day and times) is skipped, so importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.claims import review, spreadsheets
from mileage.claims.imports import decode_csv
from mileage.claims.rules import LIVE_STATES, ClaimPolicy, ClaimRequest
from mileage.claims.submission import submit_claim
from mileage.claims.uploads import RowMessage, RowStatus, UploadRow, already_recorded
from mileage.errors import (
    DomainError,
    ImportColumnsMissing,
    ImportFileEmpty,
    ImportFileUnreadable,
    ImportTooManyRows,
    ImportValueInvalid,
    ImportValueMissing,
    OrganisationNotFound,
    Portal1365IdUnknown,
)
from mileage.models import Claim, ClaimState, Organisation, Volunteer

MAX_ROWS = 20_000
# What a column of a profile may hold.
FIELDS = {
    "portal_1365_id": "1365 ID",
    "volunteer_name": "성명",
    "work_date": "활동일자",
    "start": "시작시간",
    "end": "종료시간",
    "minutes": "인정시간(분)",
    "hours": "인정시간",
    "organisation_id": "기관ID",
    "organisation_name": "수요처",
    "category": "활동분야",
    "note": "비고",
    "claim_id": "연계번호",
}
REQUIRED_FOR_IMPORT = ("portal_1365_id", "work_date", "start", "end", "category")


@dataclass(frozen=True)
class ExchangeProfile:
    """The shape of a 1365 exchange file."""

    name: str = "1365-default"
    columns: tuple[tuple[str, str], ...] = (
        ("1365ID", "portal_1365_id"),
        ("성명", "volunteer_name"),
        ("활동일자", "work_date"),
        ("시작시간", "start"),
        ("종료시간", "end"),
        ("인정시간(분)", "minutes"),
        ("활동분야", "category"),
        ("수요처", "organisation_name"),
        ("비고", "note"),
        ("연계번호", "claim_id"),
    )
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M"
    encoding: str = "cp949"
    delimiter: str = ","

    def __post_init__(self):
        unknown = [name for _header, name in self.columns if name not in FIELDS]
        if unknown:
            raise ValueError(f"unknown 1365 profile fields: {unknown}")

    @classmethod
    def from_mapping(cls, values: dict) -> ExchangeProfile:
        """Build a profile from configuration, keeping defaults for what is absent."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        if "columns" in known:
            known["columns"] = tuple((str(header), str(name)) for header, name in known["columns"])
        return cls(**known)

    @classmethod
    def from_setting(cls, setting: str | None) -> ExchangeProfile:
        """Read a profile from a JSON object or a path to a JSON file; the default without one."""
        if not setting:
            return DEFAULT_PROFILE
        text = setting if setting.lstrip().startswith("{") else Path(setting).read_text(encoding="utf-8")
        return cls.from_mapping(json.loads(text))

    def format_time(self, minute_of_day: int) -> str:
        if minute_of_day == 24 * 60:
            return "24:00"
        return datetime(2000, 1, 1, minute_of_day // 60, minute_of_day % 60).strftime(self.time_format)


DEFAULT_PROFILE = ExchangeProfile()


# --- export ---------------------------------------------------------------------------------

@dataclass
class ExportedHours:
    """An export file and what went into it."""

    content: bytes
    rows: int
    minutes: int
    skipped_without_1365_id: int
    filename: str


def export_approved_hours(
    session: Session,
    *,
    date_from: date,
    date_to: date,
    profile: ExchangeProfile = DEFAULT_PROFILE,
    organisation_id: int | None = None,
    actor: Actor,
) -> ExportedHours:
    """Write every approved claim of a period in the profile's shape (volunteers with a 1365 id only)."""
    statement = (
        select(Claim, Volunteer, Organisation)
        .join(Volunteer, Volunteer.id == Claim.volunteer_id)
        .join(Organisation, Organisation.id == Claim.organisation_id)
        .where(Claim.state == ClaimState.APPROVED, Claim.work_date >= date_from, Claim.work_date <= date_to)
        .order_by(Claim.work_date, Claim.start_minute, Claim.id)
    )
    if organisation_id is not None:
        statement = statement.where(Claim.organisation_id == organisation_id)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=profile.delimiter, lineterminator="\r\n")
    writer.writerow([header for header, _name in profile.columns])
    rows = minutes = skipped = 0
    for claim, volunteer, organisation in session.execute(statement):
        if not volunteer.portal_1365_id:
            skipped += 1
            continue
        values = {
            "portal_1365_id": volunteer.portal_1365_id,
            "volunteer_name": volunteer.name,
            "work_date": claim.work_date.strftime(profile.date_format),
            "start": profile.format_time(claim.start_minute),
            "end": profile.format_time(claim.end_minute),
            "minutes": str(claim.minutes),
            "hours": f"{claim.minutes // 60}.{claim.minutes % 60:02d}",
            "organisation_id": str(organisation.id),
            "organisation_name": organisation.name,
            "category": claim.category,
            "note": claim.note,
            "claim_id": str(claim.id),
        }
        writer.writerow([values[name] for _header, name in profile.columns])
        rows += 1
        minutes += claim.minutes
    try:
        content = buffer.getvalue().encode(profile.encoding, errors="strict")
    except UnicodeEncodeError:
        # A name outside CP949 (rare hanja, emoji in a note) must not break the whole export.
        content = buffer.getvalue().encode(profile.encoding, errors="replace")
    record_audit(session, actor, "claims.export_1365", target_type="claim_export", target_id=profile.name,
                 after={"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "rows": rows,
                        "minutes": minutes, "skipped_without_1365_id": skipped, "organisation_id": organisation_id})
    return ExportedHours(content=content, rows=rows, minutes=minutes, skipped_without_1365_id=skipped,
                         filename=f"1365-hours-{date_from.isoformat()}-{date_to.isoformat()}.csv")


# --- import ---------------------------------------------------------------------------------

@dataclass
class PortalImportReport:
    """What importing a 1365 file did, row by row."""

    rows: list[UploadRow] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def approved(self) -> int:
        return sum(1 for row in self.rows if row.status == RowStatus.OK)

    @property
    def skipped(self) -> int:
        return self.count(RowStatus.WARNING)

    @property
    def errors(self) -> int:
        return self.count(RowStatus.ERROR)

    @property
    def approved_minutes(self) -> int:
        return sum(row.end_minute - row.start_minute for row in self.rows if row.status == RowStatus.OK)


def _read_records(data: bytes, profile: ExchangeProfile) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = data.decode(profile.encoding)
    except (UnicodeDecodeError, LookupError):
        text, _encoding = decode_csv(data)
    text = text.lstrip("\ufeff")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter))
    except csv.Error as exc:
        raise ImportFileUnreadable() from exc
    numbered = [(n, r) for n, r in enumerate(records, start=1) if any(cell.strip() for cell in r)]
    if len(numbered) < 2:
        raise ImportFileEmpty()
    (_, header), *rows = numbered
    return [cell.strip() for cell in header], rows


def _parse_date(text: str, profile: ExchangeProfile) -> date:
    try:
        return datetime.strptime(text, profile.date_format).date()
    except ValueError:
        return spreadsheets.read_date(text)


def _parse_time(text: str, profile: ExchangeProfile) -> int:
    if text.strip() == "24:00":
        return 24 * 60
    try:
        moment = datetime.strptime(text, profile.time_format)
        return moment.hour * 60 + moment.minute
    except ValueError:
        return spreadsheets.read_clock_time(text)


def import_1365_hours(
    session: Session,
    data: bytes,
    *,
    actor: Actor,
    policy: ClaimPolicy,
    profile: ExchangeProfile = DEFAULT_PROFILE,
    default_organisation_id: int | None = None,
    filename: str = "",
    now: datetime | None = None,
) -> PortalImportReport:
    """Turn every row certified on the portal into an approved claim here, exactly once.

    :raises ImportFileUnreadable:
    :raises ImportFileEmpty:
    :raises ImportColumnsMissing:
    :raises ImportTooManyRows:
    """
    header, records = _read_records(data, profile)
    if len(records) > MAX_ROWS:
        raise ImportTooManyRows(max_rows=MAX_ROWS)
    by_header = {h: name for h, name in profile.columns}
    positions = {by_header[h]: i for i, h in enumerate(header) if h in by_header}
    missing = [name for name in REQUIRED_FOR_IMPORT if name not in positions]
    if "organisation_id" not in positions and "organisation_name" not in positions and default_organisation_id is None:
        missing.append("organisation_name")
    if missing:
        labels = {name: header for header, name in profile.columns}
        raise ImportColumnsMissing(columns=", ".join(labels.get(name, FIELDS[name]) for name in missing))

    report = PortalImportReport()
    organisations_by_name: dict[str, int | None] = {}
    for row_number, record in records:
        cells = {name: record[i].strip() for name, i in positions.items() if i < len(record)}
        row = UploadRow(row=row_number, status=RowStatus.OK)
        try:
            with session.begin_nested():
                _import_row(session, cells, row, profile=profile, actor=actor, policy=policy,
                            default_organisation_id=default_organisation_id, now=now,
                            organisations_by_name=organisations_by_name)
        except DomainError as error:
            row.status = RowStatus.ERROR
            row.messages = [RowMessage.of(error)]
            row.claim_id = None
        report.rows.append(row)
    record_audit(session, actor, "claims.import_1365", target_type="claim_import", target_id=filename[:64] or None,
                 after={"profile": profile.name, "rows": len(report.rows), "approved": report.approved,
                        "skipped": report.skipped, "errors": report.errors,
                        "claim_ids": [r.claim_id for r in report.rows if r.status == RowStatus.OK]})
    return report


def _import_row(
    session: Session,
    cells: dict[str, str],
    row: UploadRow,
    *,
    profile: ExchangeProfile,
    actor: Actor,
    policy: ClaimPolicy,
    default_organisation_id: int | None,
    now: datetime | None,
    organisations_by_name: dict[str, int | None],
) -> None:
    def required(name: str) -> str:
        if not cells.get(name):
            raise ImportValueMissing(column=_label(profile, name))
        return cells[name]

    def parsed(name: str, parse):
        text = required(name)
        try:
            return parse(text, profile)
        except ValueError:
            raise ImportValueInvalid(column=_label(profile, name), value=text[:40]) from None

    row.work_date = parsed("work_date", _parse_date)
    row.start_minute = parsed("start", _parse_time)
    row.end_minute = parsed("end", _parse_time)
    row.category = required("category")[:50]
    portal_id = required("portal_1365_id")
    volunteer = session.scalar(select(Volunteer).where(Volunteer.portal_1365_id == portal_id))
    if volunteer is None:
        raise Portal1365IdUnknown(portal_1365_id=portal_id[:32])
    row.volunteer_id, row.volunteer_name = volunteer.id, volunteer.name
    organisation_id = _organisation_of(session, cells, default_organisation_id, organisations_by_name, profile)
    existing = session.scalar(
        select(Claim.id).where(
            Claim.volunteer_id == volunteer.id, Claim.organisation_id == organisation_id,
            Claim.work_date == row.work_date, Claim.start_minute == row.start_minute,
            Claim.end_minute == row.end_minute, Claim.state.in_([str(s) for s in LIVE_STATES]),
        ).limit(1)
    )
    if existing is not None:
        row.status, row.claim_id, row.messages = RowStatus.WARNING, existing, [already_recorded(existing)]
        return
    request = ClaimRequest(
        volunteer_id=volunteer.id, organisation_id=organisation_id, work_date=row.work_date,
        start_minute=row.start_minute, end_minute=row.end_minute, category=row.category,
        note=(cells.get("note") or "1365 포털 인증")[:500],
    )
    claim = submit_claim(session, request, actor=actor, policy=policy, now=now)
    # Certified on the portal: approved here at once, paid by the same rule as any approval.
    review.approve_claim(session, claim.id, actor=actor, policy=policy)
    row.claim_id = claim.id


def _organisation_of(
    session: Session, cells: dict[str, str], default: int | None, cache: dict[str, int | None],
    profile: ExchangeProfile,
) -> int:
    if cells.get("organisation_id"):
        text = cells["organisation_id"]
        if not text.isdigit():
            raise ImportValueInvalid(column=_label(profile, "organisation_id"), value=text[:40])
        organisation = session.get(Organisation, int(text))
        if organisation is None:
            raise OrganisationNotFound(organisation_id=int(text))
        return organisation.id
    name = cells.get("organisation_name", "")
    if name:
        if name not in cache:
            cache[name] = session.scalar(select(Organisation.id).where(Organisation.name == name))
        if cache[name] is None:
            raise OrganisationNotFound(organisation=name)
        return cache[name]
    if default is None:
        raise ImportValueMissing(column=_label(profile, "organisation_name"))
    return default


def _label(profile: ExchangeProfile, name: str) -> str:
    for header, field_name in profile.columns:
        if field_name == name:
            return header
    return FIELDS[name]

