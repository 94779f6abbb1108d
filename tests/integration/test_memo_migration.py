"""Migration 0010: entries written with English memos get their parameters and render in both languages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from mileage.cards import statements
from mileage.db import make_engine
from mileage.migrations_runner import downgrade_database, upgrade_database
from mileage.models import JournalEntry
from tests.support.databases import configured_server_url, scratch_database

SHOP, CAUSE = "상계 행복베이커리", "노원 푸드뱅크"
OLD, NEW = "9410123412341234", "9410999988887777"
NOW = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
HANGUL = re.compile("[가-힣]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")

# (kind, old memo, the parameters 0010 must find), in the order they were posted.
OLD_ENTRIES = [
    ("claim_approval", "claim {claim}", {"claim": "{claim}"}),
    ("redemption", f"discount at {SHOP}", {"shop": SHOP}),
    ("redemption_refund", f"refund of redemption 7 at {SHOP}", {"redemption": 7, "shop": SHOP}),
    ("hold", f"hold at {SHOP}", {"shop": SHOP}),
    ("hold_capture", f"capture of hold 3 at {SHOP}", {"hold": 3, "shop": SHOP}),
    ("hold_release", "voided hold 4", {"hold": 4}),
    ("donation", f"donation to {CAUSE}", {"cause": CAUSE}),
    ("expiry", "points credited before 2023-01-01 expire as of 2025-12-31",
     {"cutoff": "2023-01-01", "as_of": "2025-12-31"}),
    ("expiry_donation", "points credited before 2023-01-01 expire as of 2025-12-31",
     {"cutoff": "2023-01-01", "as_of": "2025-12-31", "cause": CAUSE}),
    ("card_reissue", f"reissue card {OLD} -> {NEW}", {"old_card": OLD, "new_card": NEW}),
    ("claim_reversal", "중복 신청 확인", {"claim": "{claim}", "note": "중복 신청 확인"}),
    ("reversal", "reversal of entry {first}", {"entry": "{first}"}),
]


def _insert(connection, table: str, **values) -> int:
    columns = ", ".join(values)
    placeholders = ", ".join(f":{name}" for name in values)
    return connection.execute(
        text(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id"), values
    ).scalar_one()


def _write_old_ledger(connection) -> dict:
    """Write, at revision 0009, a volunteer whose card saw every kind of entry, memos as the old code wrote them."""
    volunteer = _insert(connection, "volunteers", name="김민수", phone="010-1234-5678", status="active", created_at=NOW)
    card_account = _insert(connection, "accounts", kind="card", code=f"card:{OLD}", balance=0, created_at=NOW)
    cause_account = _insert(connection, "accounts", kind="cause", code="cause:1", balance=0, created_at=NOW)
    _insert(connection, "cards", number=OLD, volunteer_id=volunteer, account_id=card_account, status="active",
            pin_failed_attempts=0, pin_locked=False, issued_at=NOW, status_changed_at=NOW)
    organisation = _insert(connection, "organisations", name="노원 노인종합복지관", address="", phone="",
                           created_at=NOW)
    cause = _insert(connection, "causes", name=CAUSE, receiving_organisation="노원구", description="", status="active",
                    account_id=cause_account, created_at=NOW)
    claim = _insert(connection, "claims", volunteer_id=volunteer, organisation_id=organisation,
                    work_date=date(2026, 3, 13), start_minute=540, end_minute=660, category="환경정화", note="",
                    state="reversed", submitted_at=NOW)
    ids: dict[str, int] = {"claim": claim}
    first = None
    for kind, memo, _ in OLD_ENTRIES:
        memo = memo.format(claim=claim, first=first)
        entry = _insert(connection, "journal_entries", kind=kind, memo=memo, created_at=NOW,
                        reverses_entry_id=first if kind == "reversal" else None)
        first = first or entry
        ids[kind] = entry
        _insert(connection, "postings", entry_id=entry, account_id=card_account, amount=100, balance_after=100,
                created_at=NOW)
        if kind in ("donation", "expiry_donation"):
            _insert(connection, "donations", volunteer_id=volunteer, cause_id=cause, points=100,
                    channel="volunteer" if kind == "donation" else "expiry", entry_id=entry, consent_note="",
                    created_at=NOW)
    disbursement = _insert(connection, "journal_entries", kind="disbursement", memo="쌀 20kg 전달", created_at=NOW)
    _insert(connection, "disbursements", cause_id=cause, points=100, memo="쌀 20kg 전달", attachment_ref="",
            entry_id=disbursement, created_at=NOW)
    ids["disbursement"] = disbursement
    connection.execute(text("UPDATE claims SET approval_entry_id = :a, reversal_entry_id = :r WHERE id = :c"),
                       {"a": ids["claim_approval"], "r": ids["claim_reversal"], "c": claim})
    ids["volunteer"], ids["first"] = volunteer, first
    return ids


@pytest.fixture(scope="module")
def migrated():
    """A database that had old-style entries at 0009 and was then migrated to the head."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url, revision="0009")
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                ids = _write_old_ledger(connection)
            upgrade_database(url)
            yield engine, url, ids
        finally:
            engine.dispose()


def test_the_migration_finds_every_old_entrys_parameters(migrated):
    engine, _, ids = migrated
    with Session(engine) as session:
        found = {entry.kind: entry.memo_params for entry in session.scalars(select(JournalEntry))}
    expected = {
        kind: {name: ids[value[1:-1]] if isinstance(value, str) and value.startswith("{") else value
               for name, value in params.items()}
        for kind, _, params in OLD_ENTRIES
    }
    expected["disbursement"] = {"cause": CAUSE, "note": "쌀 20kg 전달"}
    assert found == expected


def test_old_entries_render_in_korean_and_english_in_the_history_and_the_statement(migrated):
    engine, _, ids = migrated
    with Session(engine) as session:
        korean = statements.my_history(session, ids["volunteer"], limit=50, language="ko").items
        english = statements.my_history(session, ids["volunteer"], limit=50, language="en").items
        statement = statements.my_statement(session, ids["volunteer"], language="ko")
    assert len(korean) == len(OLD_ENTRIES)
    by_kind = {movement.kind: movement.memo for movement in korean}
    assert by_kind["redemption"] == f"{SHOP} 할인 사용"
    assert by_kind["donation"] == f"{CAUSE}에 기부"
    assert by_kind["card_reissue"] == "카드 ****1234 → 새 카드 ****7777 재발급"
    assert by_kind["claim_reversal"] == f"봉사시간 신청 #{ids['claim']} 적립 취소: 중복 신청 확인"
    for movement in korean:
        assert HANGUL.search(movement.memo) and not ENGLISH_WORD.search(movement.memo), movement
    english_by_kind = {movement.kind: movement.memo for movement in english}
    assert english_by_kind["redemption"] == f"Discount at {SHOP}"
    assert english_by_kind["expiry"] == "Points credited before Sun, 1 Jan 2023 expired on Wed, 31 Dec 2025"
    for movement in english:
        # Korean only in the names of shops and causes and in a person's own words.
        assert not HANGUL.search(movement.memo.replace(SHOP, "").replace(CAUSE, "").replace("중복 신청 확인", ""))
    assert all(not ENGLISH_WORD.search(line.memo or "") for line in statement.lines)


def test_history_stays_append_only_after_the_migration(migrated):
    engine, _, ids = migrated
    with pytest.raises((DBAPIError, IntegrityError)), engine.begin() as connection:
        connection.execute(text("UPDATE journal_entries SET memo = 'x' WHERE id = :id"), {"id": ids["first"]})


def test_coming_down_gives_back_the_old_memos(migrated):
    engine, url, ids = migrated
    downgrade_database(url, revision="0009")
    try:
        with engine.connect() as connection:
            memo = connection.scalar(text("SELECT memo FROM journal_entries WHERE id = :id"), {"id": ids["redemption"]})
        assert memo == f"discount at {SHOP}"
    finally:
        upgrade_database(url)
