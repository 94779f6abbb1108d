"""The CSV claims import against a real database: reading the file, each row on its own."""

import io
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from mileage.audit import Actor
from mileage.claims import imports
from mileage.claims.rules import DEFAULT_POLICY
from mileage.clock import SEOUL
from mileage.errors import ImportColumnsMissing, ImportFileUnreadable, ImportTooManyRows
from mileage.models import AuditEvent, Claim

# A fixed "now" keeps the policy's future and window rules independent of when the tests run.
NOW = datetime(2025, 6, 20, 18, 0, tzinfo=SEOUL)
ACTOR = Actor(user_id=None, role="staff", ip_address="10.1.2.3", request_id="import-test")


def run_import(session, text: str, *, encoding: str = "utf-8", **options):
    options.setdefault("policy", DEFAULT_POLICY)
    return imports.import_claims_csv(session, text.encode(encoding), actor=ACTOR, now=NOW, **options)


def outcome(report):
    return [(row.row, row.error.code if row.error else "ok") for row in report.rows]


@pytest.fixture
def card(make):
    return make.card(volunteer=make.volunteer(name="최유진"))


@pytest.fixture
def place(make):
    return make.organisation()


def test_dates_in_the_forms_spreadsheets_write(session, card, place):
    text = "\n".join(
        [
            "카드번호,기관ID,날짜,시작,종료,분야",
            f"{card.number},{place.id},2025-06-01,09:00,10:00,복지",
            f"{card.number},{place.id},2025.06.02,09:00,10:00,복지",
            f"{card.number},{place.id},2025/6/3,09:00,10:00,복지",
            f"{card.number},{place.id},2025. 6. 4.,09:00,10:00,복지",
            f"{card.number},{place.id},06/05/2025,09:00,10:00,복지",
            f"{card.number},{place.id},2025-02-30,09:00,10:00,복지",
        ]
    )
    report = run_import(session, text)
    assert outcome(report) == [(2, "ok"), (3, "ok"), (4, "ok"), (5, "ok"), (6, "import_value_invalid"),
                               (7, "import_value_invalid")]
    assert [row.claim.work_date for row in report.rows[:4]] == [date(2025, 6, day) for day in range(1, 5)]


def test_headers_match_whatever_their_spacing_and_case_and_extra_columns_are_ignored(session, card, place):
    text = (
        "순번, 카드 번호 ,Organisation_ID,DATE,Start ,END,Category,내부 메모\n"
        f"1,{card.number[:4]}-{card.number[4:8]}-{card.number[8:12]}-{card.number[12:]},{place.id},2025-06-19,"
        "21:00,24:00,야간 돌봄,확인 필요\n"
    )
    report = run_import(session, text)
    assert outcome(report) == [(2, "ok")]
    claim = report.rows[0].claim
    assert (claim.volunteer_id, claim.start_minute, claim.end_minute, claim.category, claim.note) == (
        card.volunteer_id, 21 * 60, 24 * 60, "야간 돌봄", ""
    )


def test_quoted_cells_may_hold_commas_and_line_breaks_and_rows_keep_spreadsheet_numbers(session, card, place):
    text = (
        "카드번호,기관ID,날짜,시작,종료,분야,비고\r\n"
        f'{card.number},{place.id},2025-06-10,09:00,10:00,복지,"첫 줄\r\n둘째 줄, 쉼표"\r\n'
        ",,,,,,\r\n"
        f"{card.number},{place.id},2025-06-10,09:30,10:30,복지,겹침\r\n"
    )
    report = run_import(session, text)
    assert outcome(report) == [(2, "ok"), (4, "claim_overlaps")]
    assert report.rows[0].claim.note == "첫 줄\r\n둘째 줄, 쉼표"


def test_a_refused_row_leaves_nothing_and_does_not_undo_the_rows_before_it(session, card, place):
    text = "\n".join(
        [
            "카드번호,기관ID,날짜,시작,종료,분야",
            f"{card.number},{place.id},2025-06-18,09:00,13:00,복지",
            f"{card.number},{place.id},2025-06-18,14:00,19:00,복지",  # 9 hours that day: over the limit
            f"{card.number},{place.id},2025-06-18,14:00,17:00,복지",
            f"{card.number},{place.id},2025-06-20,17:00,19:00,복지",  # ends after NOW
            f"{card.number},{place.id},2025-01-01,09:00,10:00,복지",  # outside the 90-day window
        ]
    )
    report = run_import(session, text)
    assert outcome(report) == [(2, "ok"), (3, "claim_exceeds_daily_limit"), (4, "ok"), (5, "claim_in_future"),
                               (6, "claim_outside_window")]
    stored = session.scalars(select(Claim).where(Claim.volunteer_id == card.volunteer_id).order_by(Claim.id)).all()
    assert [(c.start_minute, c.end_minute) for c in stored] == [(540, 780), (840, 1020)]
    assert (report.created, report.failed) == (2, 3)


def test_over_long_values_are_refused_per_row(session, card, place):
    text = "\n".join(
        [
            "카드번호,기관ID,날짜,시작,종료,분야,비고",
            f"{card.number},{place.id},2025-06-18,09:00,10:00,{'가' * 51},",
            f"{card.number},{place.id},2025-06-18,10:00,11:00,복지,{'나' * 501}",
        ]
    )
    assert outcome(run_import(session, text)) == [(2, "import_value_invalid"), (3, "import_value_invalid")]


def test_cp949_is_read_when_the_file_is_not_utf8(session, card, place):
    text = (
        "카드번호,이름,기관ID,날짜,시작,종료,분야,비고\r\n"
        f"{card.number},최유진,{place.id},2025-06-18,09:00,10:00,환경,공원 정화\r\n"
    )
    report = run_import(session, text, encoding="cp949")
    assert report.encoding == "cp949"
    assert outcome(report) == [(2, "ok")]
    assert (report.rows[0].claim.category, report.rows[0].claim.note) == ("환경", "공원 정화")


def test_either_the_card_or_the_volunteer_column_is_required(session, place):
    with pytest.raises(ImportColumnsMissing) as refused:
        run_import(session, "이름,기관ID,날짜,시작,종료,분야\n최유진,1,2025-06-18,09:00,10:00,복지\n")
    assert refused.value.params["columns"] == "카드번호(card_number)"


def test_a_file_with_nul_bytes_is_unreadable(session):
    with pytest.raises(ImportFileUnreadable):
        imports.import_claims_csv(
            session, b"card_number,date\x00\n", actor=ACTOR, policy=DEFAULT_POLICY, now=NOW
        )


def test_too_many_rows_refuse_the_whole_file(session, card, place, monkeypatch):
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 2)
    rows = [f"{card.number},{place.id},2025-06-1{day},09:00,10:00,복지" for day in range(3)]
    with pytest.raises(ImportTooManyRows):
        run_import(session, "\n".join(["카드번호,기관ID,날짜,시작,종료,분야", *rows]))
    assert session.scalar(select(func.count()).select_from(Claim)) == 0


def test_the_import_is_audited_once_with_its_outcome(session, card, place):
    text = (
        "카드번호,기관ID,날짜,시작,종료,분야\n"
        f"{card.number},{place.id},2025-06-18,09:00,10:00,복지\n,{place.id},,,,\n"
    )
    report = run_import(session, text, filename="june.csv")
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "claims.import")).all()
    assert (event.target_id, event.ip_address, event.request_id) == ("june.csv", "10.1.2.3", "import-test")
    assert event.after == {"encoding": "utf-8-sig", "rows": 2, "created": 1, "failed": 1,
                           "claim_ids": [report.rows[0].claim.id]}



def test_an_xlsx_and_the_times_excel_writes_go_through_the_same_import(session, card, place):
    from datetime import time as clock

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["카드번호", "기관ID", "날짜", "시작", "종료", "분야"])
    book.active.append([card.number, place.id, datetime(2025, 6, 2), clock(9), clock(10, 30), "복지"])
    book.active.append([card.number, place.id, "2025.06.03", "오전 9:00", "오후 1:30", "복지"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = imports.import_claims_csv(session, buffer.getvalue(), actor=ACTOR, now=NOW, policy=DEFAULT_POLICY)
    assert (report.encoding, outcome(report)) == ("xlsx", [(2, "ok"), (3, "ok")])
    assert [(r.claim.start_minute, r.claim.end_minute) for r in report.rows] == [(540, 630), (540, 810)]
