"""Spreadsheet uploads against a real database: every form Excel writes, preview, confirm exactly once."""

import io
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from mileage.audit import Actor
from mileage.claims import uploads
from mileage.claims.rules import DEFAULT_POLICY
from mileage.claims.upload_template import build_upload_template
from mileage.clock import SEOUL
from mileage.errors import ImportColumnsMissing, ImportWorkbookUnreadable
from mileage.models import Claim, ClaimImport

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=SEOUL)
ACTOR = Actor(user_id=None, role="staff", ip_address="10.1.2.3", request_id="upload-test")


def preview(session, data: bytes, **options):
    options.setdefault("policy", DEFAULT_POLICY)
    return uploads.preview_claim_upload(session, data, actor=ACTOR, now=NOW, **options)


def confirm(session, report, **options):
    options.setdefault("policy", DEFAULT_POLICY)
    return uploads.confirm_claim_upload(session, report.upload_id, actor=ACTOR, now=NOW, **options)


def workbook(rows: list[list], header=("카드번호", "기관ID", "날짜", "시작", "종료", "분야")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def statuses(report):
    return [(row.row, row.status, [m.code for m in row.messages]) for row in report.rows]


def claim_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Claim))


@pytest.fixture
def card(make):
    return make.card(volunteer=make.volunteer(name="최유진", phone="010-1234-5678", portal_1365_id="yujin1365"))


@pytest.fixture
def place(make):
    return make.organisation()


def test_every_time_form_excel_writes_is_read(session, card, place):
    forms = ["09:00", "09:00:00", "9:00", "오전 9:00", "오후 1:30", "1:30 PM", "오후 12:00", "오전 12:30"]
    expected = [9 * 60, 9 * 60, 9 * 60, 9 * 60, 13 * 60 + 30, 13 * 60 + 30, 12 * 60, 30]
    lines = ["카드번호,기관ID,날짜,시작,종료,분야"]
    for day, (form, start) in enumerate(zip(forms, expected, strict=True), start=1):
        end = f"{start // 60 + 1}:{start % 60:02d}"
        lines.append(f"{card.number},{place.id},2026-11-{day:02d},{form},{end},복지")
    report = preview(session, "\n".join(lines).encode())
    assert [row.status for row in report.rows] == ["ok"] * len(forms)
    assert [row.start_minute for row in report.rows] == expected


def test_every_date_form_is_read_and_bad_ones_are_errors_in_korean(session, card, place):
    forms = ["2026-11-03", "2026.11.04", "2026/11/5", "2026. 11. 6.", "2026년 11월 7일", "20261108", "2026-02-30",
             "11/09/2026"]
    lines = ["카드번호,기관ID,날짜,시작,종료,분야"] + [f"{card.number},{place.id},{f},09:00,10:00,복지" for f in forms]
    report = preview(session, "\n".join(lines).encode())
    assert [row.status for row in report.rows] == ["ok"] * 6 + ["error", "error"]
    assert [row.work_date for row in report.rows[:6]] == [date(2026, 11, day) for day in range(3, 9)]
    assert report.rows[6].messages[0].text() == "'날짜(date)' 값을 읽을 수 없습니다: 2026-02-30"
    assert report.rows[6].messages[0].text("en") == "The 'date(date)' value cannot be read: 2026-02-30" or \
        "cannot be read" in report.rows[6].messages[0].text("en")


def test_excel_date_and_time_cells_and_a_card_number_as_text_and_as_a_number(session, card, place):
    data = workbook(
        [
            [card.number, place.id, date(2026, 11, 3), time(9, 0), time(12, 30), "복지"],
            [int(card.number), place.id, datetime(2026, 11, 4), datetime(1899, 12, 30, 13, 0), time(14, 0), "환경"],
            # A time cell read as a plain number: a fraction of the day; a date as Excel's serial number.
            [card.number, place.id, 46331, 0.375, 0.5, "교육"],
        ]
    )
    report = preview(session, data)
    assert statuses(report) == [(2, "ok", []), (3, "warning", ["card_number_number_cell"]), (4, "ok", [])]
    assert [(r.work_date, r.start_minute, r.end_minute) for r in report.rows] == [
        (date(2026, 11, 3), 540, 750), (date(2026, 11, 4), 780, 840), (date(2026, 11, 5), 540, 720),
    ]
    assert report.file_format == "xlsx"


@pytest.mark.parametrize("how", ["excel_cut_to_15_digits", "double_rounding", "exact"])
def test_a_16_digit_card_number_in_a_number_cell_is_restored_and_named_for_checking(session, card, place, how):
    value = {
        "excel_cut_to_15_digits": int(card.number[:15] + "0"),
        "double_rounding": int(float(card.number)),
        "exact": int(card.number),
    }[how]
    report = preview(session, workbook([[value, place.id, date(2026, 11, 3), "09:00", "10:00", "복지"]]))
    assert statuses(report) == [(2, "warning", ["card_number_number_cell"])]
    assert report.rows[0].volunteer_id == card.volunteer_id
    assert f"{card.number}(최유진)" in report.rows[0].messages[0].text()


def test_a_number_cell_that_matches_no_card_is_an_error_that_says_to_use_text(session, card, place):
    report = preview(session, workbook([[1234567890123456, place.id, date(2026, 11, 3), "09:00", "10:00", "복지"]]))
    assert statuses(report) == [(2, "error", ["card_number_cell_lost_digits"])]
    assert "텍스트 형식" in report.rows[0].messages[0].text()


def test_cp949_and_utf8_with_bom_files(session, card, place):
    text = f"카드번호,기관ID,날짜,시작,종료,분야,비고\n{card.number},{place.id},2026-11-03,09:00,10:00,복지,도시락\n"
    for encoding in ("cp949", "utf-8-sig", "utf-8"):
        report = preview(session, text.encode(encoding))
        assert (report.encoding, statuses(report)) == (
            {"cp949": "cp949", "utf-8-sig": "utf-8-sig", "utf-8": "utf-8-sig"}[encoding], [(2, "ok", [])]
        )


def test_volunteer_named_by_1365_id_or_by_name_and_phone(session, card, place, make):
    data = workbook(
        [
            ["yujin1365", "", "", place.id, "2026-11-03", "09:00", "10:00", "복지"],
            ["", "최유진", "01012345678", place.id, "2026-11-04", "09:00", "10:00", "복지"],
            ["", "최유진", "010-9999-0000", place.id, "2026-11-05", "09:00", "10:00", "복지"],
            ["nobody", "", "", place.id, "2026-11-06", "09:00", "10:00", "복지"],
            ["", "", "", place.id, "2026-11-07", "09:00", "10:00", "복지"],
        ],
        header=("1365 ID", "이름", "연락처", "기관ID", "날짜", "시작", "종료", "분야"),
    )
    report = preview(session, data)
    assert statuses(report) == [
        (2, "ok", []), (3, "ok", []), (4, "error", ["volunteer_name_phone_unknown"]),
        (5, "error", ["portal_1365_id_unknown"]), (6, "error", ["import_volunteer_unidentified"]),
    ]
    assert {row.volunteer_id for row in report.rows[:2]} == {card.volunteer_id}


def test_preview_posts_nothing_and_confirm_posts_once_even_when_confirmed_twice(session, card, place):
    data = workbook([
        [card.number, place.id, "2026-11-03", "09:00", "12:00", "복지"],
        [card.number, place.id, "2026-11-03", "11:00", "13:00", "복지"],  # overlaps the row above
    ])
    before = claim_count(session)
    report = preview(session, data)
    assert statuses(report) == [(2, "ok", []), (3, "error", ["claim_overlaps"])]
    assert claim_count(session) == before
    confirmed = confirm(session, report)
    assert statuses(confirmed) == statuses(report) and confirmed.created == 1
    assert claim_count(session) == before + 1
    again = confirm(session, report)
    assert again.replayed and statuses(again) == statuses(confirmed)
    assert claim_count(session) == before + 1
    assert session.get(ClaimImport, report.upload_id).state == "confirmed"


def test_the_same_file_uploaded_twice_creates_no_duplicate_claims(session, card, place):
    data = workbook([[card.number, place.id, "2026-11-03", "09:00", "12:00", "복지"],
                     [card.number, place.id, "2026-11-04", "09:00", "12:00", "복지"]])
    first = confirm(session, preview(session, data))
    assert first.created == 2
    count = claim_count(session)
    second_preview = preview(session, data)
    assert [row.status for row in second_preview.rows] == ["warning", "warning"]
    assert second_preview.rows[0].messages[0].text().startswith("이미 등록된 봉사시간입니다")
    second = confirm(session, second_preview)
    assert (second.created, second.skipped, claim_count(session)) == (0, 2, count)


def test_every_claim_rule_applies_to_uploaded_rows(session, card, place):
    data = workbook([
        [card.number, place.id, "2026-11-10", "08:00", "17:00", "복지"],   # 9 h in one day
        [card.number, place.id, "2026-07-01", "09:00", "10:00", "복지"],   # older than 90 days
        [card.number, place.id, "2026-11-21", "09:00", "10:00", "복지"],   # in the future
        [card.number, place.id, "2026-11-11", "12:00", "10:00", "복지"],   # ends before it starts
    ])
    assert [row.messages[0].code for row in preview(session, data).rows] == [
        "claim_exceeds_daily_limit", "claim_outside_window", "claim_in_future", "claim_invalid_times"
    ]


def test_a_coordinator_is_confined_to_their_organisation(session, card, place, make):
    other = make.organisation()
    data = workbook([[card.number, other.id, "2026-11-03", "09:00", "10:00", "복지"],
                     [card.number, "", "2026-11-04", "09:00", "10:00", "복지"]])
    report = preview(session, data, organisation_scope=place.id)
    assert statuses(report) == [(2, "error", ["not_owner"]), (3, "ok", [])]
    with pytest.raises(Exception) as refused:
        uploads.confirm_claim_upload(
            session, report.upload_id, actor=ACTOR, policy=DEFAULT_POLICY, organisation_scope=other.id, now=NOW
        )
    assert refused.value.code == "claim_import_not_found"


def test_file_level_problems_refuse_the_upload(session):
    with pytest.raises(ImportColumnsMissing):
        preview(session, "이름,날짜\n김민수,2026-11-03\n".encode())
    with pytest.raises(ImportWorkbookUnreadable):
        preview(session, b"PK\x03\x04 not really a workbook")


def test_the_template_keeps_the_card_number_column_as_text_and_reads_back(session, card, place):
    book = load_workbook(io.BytesIO(build_upload_template()))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[0] == "카드번호"
    assert sheet.cell(row=2, column=1).number_format == "@"
    sheet.cell(row=2, column=1).value = card.number
    for column, value in zip(headers, ["", "", "", "", place.id, date(2026, 11, 3), time(9), time(11), "복지"],
                             strict=False):
        if column != "카드번호" and value != "":
            sheet.cell(row=2, column=headers.index(column) + 1).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    report = preview(session, buffer.getvalue())
    assert statuses(report) == [(2, "ok", [])]


def test_a_zip_that_is_no_workbook_and_a_sheet_with_too_many_rows_are_refused(session, card, place, monkeypatch):
    import zipfile

    from mileage.errors import ImportTooManyRows

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    with pytest.raises(ImportWorkbookUnreadable):
        preview(session, buffer.getvalue())
    monkeypatch.setattr(uploads, "MAX_UPLOAD_ROWS", 3)
    rows = [[card.number, place.id, f"2026-11-{day:02d}", "09:00", "10:00", "복지"] for day in range(1, 9)]
    with pytest.raises(ImportTooManyRows):
        preview(session, workbook(rows))
