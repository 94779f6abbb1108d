"""The double-entry ledger against a real database: posting, refusing, replaying, reversing, reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from mileage import ledger
from mileage.clock import SEOUL
from mileage.errors import (
    AccountNotFound,
    EntryAlreadyReversed,
    EntryNotFound,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidAmount,
    InvalidCursor,
    UnbalancedEntry,
)
from mileage.ledger import Leg, posting
from mileage.models import AccountKind, JournalEntry, Posting


@pytest.fixture
def issuance(session):
    return ledger.system_account(session, AccountKind.ISSUANCE)


@pytest.fixture
def merchant(session):
    return ledger.open_account(session, AccountKind.MERCHANT, "merchant:nowon-bakery")


def _counts(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(JournalEntry)),
        session.scalar(select(func.count()).select_from(Posting)),
    )


def _balances(session, *holders) -> list[int]:
    """Return the balances of cards and accounts, in the order given."""
    return [ledger.get_balance(session, getattr(holder, "account_id", None) or holder.id) for holder in holders]


def _redeem(session, card, merchant, amount, **options):
    return ledger.transfer(
        session, kind="redemption", from_account_id=card.account_id, to_account_id=merchant.id, amount=amount,
        **options,
    )


# --- posting --------------------------------------------------------------------------------

def test_a_transfer_moves_points_and_records_both_sides(session, make, merchant):
    card = make.card(balance=10_000)

    entry = _redeem(session, card, merchant, 3_500)

    assert ledger.get_balance(session, card.account_id) == 6_500
    assert ledger.get_balance(session, merchant.id) == 3_500
    assert sorted((p.account_id, p.amount, p.balance_after) for p in entry.postings) == sorted(
        [(card.account_id, -3_500, 6_500), (merchant.id, 3_500, 3_500)]
    )
    assert ledger.check_invariants(session).ok


def test_system_accounts_exist_once_each_after_migrating(session):
    for kind in ledger.SYSTEM_ACCOUNTS:
        account = ledger.system_account(session, kind)
        assert account.kind == kind
    assert ledger.get_balance(session, ledger.system_account(session, AccountKind.EXPIRED).id) == 0


@pytest.mark.parametrize(
    "amounts",
    [[100, -99], [100, -50, -49], [1, 1]],
    ids=["two legs off by one", "three legs off by one", "both credits"],
)
def test_an_unbalanced_entry_is_refused_and_posts_nothing(session, make, issuance, merchant, amounts):
    card = make.card(balance=1_000)
    before = _counts(session), _balances(session, card, merchant, issuance)
    accounts = [issuance.id, card.account_id, merchant.id]

    with pytest.raises(UnbalancedEntry):
        ledger.post_entry(
            session, kind="test", legs=[Leg(accounts[i], amount) for i, amount in enumerate(amounts)]
        )

    assert (_counts(session), _balances(session, card, merchant, issuance)) == before


@pytest.mark.parametrize("shape", ["no legs", "one leg", "legs that cancel on one account"])
def test_an_entry_must_move_points_between_at_least_two_accounts(session, make, shape):
    card = make.card(balance=1_000)
    legs = {
        "no legs": [],
        "one leg": [Leg(card.account_id, 5)],
        "legs that cancel on one account": [Leg(card.account_id, 5), Leg(card.account_id, -5)],
    }[shape]
    entries_before = _counts(session)

    with pytest.raises(UnbalancedEntry):
        ledger.post_entry(session, kind="test", legs=legs)

    assert _counts(session) == entries_before


@pytest.mark.parametrize("amount", [0, 1.0, 2.5, True, Decimal("100"), "100"])
def test_points_must_be_non_zero_whole_numbers(session, make, issuance, amount):
    card = make.card()
    before = _counts(session)

    with pytest.raises(InvalidAmount):
        ledger.post_entry(session, kind="test", legs=[Leg(card.account_id, amount), Leg(issuance.id, -1)])
    with pytest.raises(InvalidAmount):
        ledger.transfer(
            session, kind="test", from_account_id=issuance.id, to_account_id=card.account_id, amount=amount
        )

    assert _counts(session) == before
    assert ledger.get_balance(session, card.account_id) == 0


def test_a_transfer_of_a_negative_amount_is_refused(session, make, merchant):
    card = make.card(balance=1_000)
    with pytest.raises(InvalidAmount):
        _redeem(session, card, merchant, -500)
    assert _balances(session, card, merchant) == [1_000, 0]


def test_an_insufficient_balance_leaves_no_partial_state(session, make, issuance, merchant):
    """The issuance leg (lowest account id) is applied first; the card's debit then fails."""
    card = make.card(balance=100)
    before = _counts(session), _balances(session, issuance, card, merchant)

    with pytest.raises(InsufficientBalance) as refused:
        ledger.post_entry(
            session,
            kind="test",
            legs=[Leg(issuance.id, -50), Leg(card.account_id, -200), Leg(merchant.id, 250)],
            idempotency_key="partial-1",
        )

    assert refused.value.params == {"account_id": card.account_id, "available": 100, "requested": 200}
    assert (_counts(session), _balances(session, issuance, card, merchant)) == before
    assert session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == "partial-1")) is None
    assert ledger.check_invariants(session).ok


def test_a_refused_entry_leaves_nothing_behind_for_the_next_one_in_the_same_unit(session, make, merchant):
    """A campaign keeps a refusal and carries on: the next entry may get the refused one's id (SQLite reuses it)."""
    poor, rich = make.card(balance=100), make.card(balance=5_000)
    with pytest.raises(InsufficientBalance) as refused:
        _redeem(session, poor, merchant, 200)

    entry = _redeem(session, rich, merchant, 300)

    assert refused.value.params["available"] == 100
    assert session.get(JournalEntry, entry.id) is entry
    assert {(p.account_id, p.amount) for p in entry.postings} == {(rich.account_id, -300), (merchant.id, 300)}
    assert ledger.get_balance(session, rich.account_id) == 4_700
    assert ledger.check_invariants(session).ok


def test_a_debit_of_exactly_the_balance_empties_the_card(session, make, merchant):
    card = make.card(balance=2_000)
    _redeem(session, card, merchant, 2_000)
    assert ledger.get_balance(session, card.account_id) == 0
    with pytest.raises(InsufficientBalance):
        _redeem(session, card, merchant, 1)


def test_posting_to_an_unknown_account_is_refused_and_posts_nothing(session, issuance):
    before = _counts(session), _balances(session, issuance)
    with pytest.raises(AccountNotFound):
        ledger.transfer(session, kind="test", from_account_id=issuance.id, to_account_id=999_999, amount=10)
    assert (_counts(session), _balances(session, issuance)) == before


def test_reading_the_balance_of_an_unknown_account_is_refused(session):
    with pytest.raises(AccountNotFound):
        ledger.get_balance(session, 999_999)


# --- idempotency ----------------------------------------------------------------------------

def test_a_replayed_request_returns_the_first_entry_and_posts_nothing(session, make, merchant):
    card = make.card(balance=5_000)
    first = _redeem(session, card, merchant, 1_200, idempotency_key="pos-77-sale-1")
    counts = _counts(session)

    replay = _redeem(session, card, merchant, 1_200, idempotency_key="pos-77-sale-1")

    assert replay.id == first.id
    assert _counts(session) == counts
    assert _balances(session, card, merchant) == [3_800, 1_200]


def test_the_same_key_with_a_different_request_is_refused(session, make, merchant):
    card, other_card = make.card(balance=5_000), make.card(balance=5_000)
    _redeem(session, card, merchant, 1_200, idempotency_key="pos-77-sale-2")
    counts = _counts(session)

    with pytest.raises(IdempotencyKeyReused):
        _redeem(session, card, merchant, 1_300, idempotency_key="pos-77-sale-2")
    with pytest.raises(IdempotencyKeyReused):
        _redeem(session, other_card, merchant, 1_200, idempotency_key="pos-77-sale-2")

    assert _counts(session) == counts
    assert _balances(session, card, merchant, other_card) == [3_800, 1_200, 5_000]


def test_a_refused_request_does_not_use_up_its_key(session, make, merchant):
    card = make.card(balance=1_000)
    with pytest.raises(InsufficientBalance):
        _redeem(session, card, merchant, 1_500, idempotency_key="pos-77-sale-3")
    make.credit(card, 500)

    entry = _redeem(session, card, merchant, 1_500, idempotency_key="pos-77-sale-3")

    assert entry.idempotency_key == "pos-77-sale-3"
    assert ledger.get_balance(session, card.account_id) == 0


# --- reversal -------------------------------------------------------------------------------

def test_a_reversal_posts_the_exact_opposite_and_points_at_the_original(session, make, merchant):
    card = make.card(balance=5_000)
    sale = _redeem(session, card, merchant, 1_800)

    reversal = ledger.reverse_entry(session, sale.id, memo="cashier mistake")

    assert reversal.reverses_entry_id == sale.id
    assert sorted((p.account_id, p.amount) for p in reversal.postings) == sorted(
        (p.account_id, -p.amount) for p in sale.postings
    )
    assert _balances(session, card, merchant) == [5_000, 0]
    assert ledger.is_reversed(session, sale.id)
    assert ledger.check_invariants(session).ok


def test_an_entry_can_be_reversed_only_once(session, make, merchant):
    card = make.card(balance=5_000)
    sale = _redeem(session, card, merchant, 1_800)
    ledger.reverse_entry(session, sale.id)
    counts = _counts(session)

    with pytest.raises(EntryAlreadyReversed):
        ledger.reverse_entry(session, sale.id)

    assert _counts(session) == counts
    assert _balances(session, card, merchant) == [5_000, 0]


def test_a_retried_reversal_with_its_key_returns_the_first_reversal(session, make, merchant):
    card = make.card(balance=5_000)
    sale = _redeem(session, card, merchant, 1_800)
    first = ledger.reverse_entry(session, sale.id, idempotency_key="refund-1")

    assert ledger.reverse_entry(session, sale.id, idempotency_key="refund-1").id == first.id
    assert _balances(session, card, merchant) == [5_000, 0]


def test_a_reversal_that_would_overdraw_an_account_is_refused_and_posts_nothing(session, make, merchant):
    card = make.card()
    credit = make.credit(card, 3_000)
    _redeem(session, card, merchant, 2_000)
    counts = _counts(session)

    with pytest.raises(InsufficientBalance):
        ledger.reverse_entry(session, credit.id)

    assert _counts(session) == counts
    assert not ledger.is_reversed(session, credit.id)
    assert _balances(session, card, merchant) == [1_000, 2_000]


def test_reversing_an_unknown_entry_is_refused(session):
    with pytest.raises(EntryNotFound):
        ledger.reverse_entry(session, 999_999)


# --- history and past balances --------------------------------------------------------------

def test_history_pages_run_newest_first_and_new_postings_do_not_shift_them(session, make, merchant):
    card = make.card()
    for amount in range(1, 8):
        make.credit(card, amount * 100)
    first_page = ledger.account_history(session, card.account_id, limit=3)
    assert [p.amount for p in first_page.postings] == [700, 600, 500]

    # Two postings arrive while the volunteer is reading page one.
    make.credit(card, 10_000)
    _redeem(session, card, merchant, 50)

    second_page = ledger.account_history(session, card.account_id, limit=3, cursor=first_page.next_cursor)
    third_page = ledger.account_history(session, card.account_id, limit=3, cursor=second_page.next_cursor)
    assert [p.amount for p in second_page.postings] == [400, 300, 200]
    assert [p.amount for p in third_page.postings] == [100]
    assert third_page.next_cursor is None
    assert [p.amount for p in ledger.account_history(session, card.account_id, limit=3).postings] == [
        -50,
        10_000,
        700,
    ]


def test_history_shows_only_the_accounts_own_postings_with_the_balance_after_each(session, make, merchant):
    card, other = make.card(), make.card(balance=999)
    make.credit(card, 1_000)
    _redeem(session, card, merchant, 400)

    page = ledger.account_history(session, card.account_id)

    assert [(p.amount, p.balance_after) for p in page.postings] == [(-400, 600), (1_000, 1_000)]
    assert page.next_cursor is None
    assert {p.account_id for p in page.postings} == {card.account_id}
    assert other.account_id != card.account_id


def test_a_page_that_ends_exactly_at_the_oldest_posting_has_no_next_cursor(session, make):
    card = make.card()
    for _ in range(4):
        make.credit(card, 10)
    page = ledger.account_history(session, card.account_id, limit=4)
    assert len(page.postings) == 4
    assert page.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage", "cDA", "eDEy"])
def test_history_refuses_an_invalid_cursor(session, make, cursor):
    card = make.card(balance=10)
    with pytest.raises(InvalidCursor):
        ledger.account_history(session, card.account_id, cursor=cursor)


def test_the_balance_as_of_a_past_moment_is_the_balance_after_the_last_posting_by_then(
    session, make, merchant, monkeypatch
):
    card = make.card()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = [start]
    monkeypatch.setattr(posting, "utc_now", lambda: clock[0])
    for hour, amount in enumerate((5_000, -1_500, 2_000)):
        clock[0] = start + timedelta(hours=hour)
        if amount > 0:
            make.credit(card, amount)
        else:
            _redeem(session, card, merchant, -amount)

    def as_of(moment):
        return ledger.get_balance_as_of(session, card.account_id, moment)

    assert as_of(start - timedelta(seconds=1)) == 0
    assert as_of(start) == 5_000
    assert as_of(start + timedelta(minutes=59)) == 5_000
    assert as_of(start + timedelta(hours=1)) == 3_500
    assert as_of(start + timedelta(hours=2, minutes=30)) == 5_500
    # The same instant written in Seoul time gives the same answer.
    assert as_of((start + timedelta(minutes=30)).astimezone(SEOUL)) == 5_000


# --- invariant checker ----------------------------------------------------------------------

def test_the_invariant_check_passes_on_a_healthy_ledger(session, make, merchant):
    card = make.card(balance=3_000)
    _redeem(session, card, merchant, 1_000)

    report = ledger.check_invariants(session)

    assert report.ok, report.as_dict()
    assert report.entries_checked >= 2
    assert report.total_of_all_postings == 0


def test_the_invariant_check_catches_a_stored_balance_that_disagrees_with_its_postings(session, make):
    card = make.card(balance=3_000)

    session.execute(text("UPDATE accounts SET balance = balance + 1 WHERE id = :id"), {"id": card.account_id})
    report = ledger.check_invariants(session)

    assert not report.ok
    assert report.balance_mismatches == [
        {"account_id": card.account_id, "code": f"card:{card.number}", "stored": 3_001, "postings": 3_000}
    ]
    assert report.as_dict()["ok"] is False


def test_the_invariant_check_catches_an_entry_that_does_not_sum_to_zero(session, make):
    card = make.card()
    credit = make.credit(card, 700)

    # Appending a stray posting is the one change the database triggers still allow.
    session.execute(
        text(
            "INSERT INTO postings (entry_id, account_id, amount, balance_after, created_at) "
            "VALUES (:entry, :account, 1, 701, :now)"
        ),
        {"entry": credit.id, "account": card.account_id, "now": datetime.now(UTC).isoformat(sep=" ")},
    )
    report = ledger.check_invariants(session)

    assert credit.id in report.unbalanced_entries
    assert report.total_of_all_postings == 1
    assert {m["account_id"] for m in report.balance_mismatches} == {card.account_id}
    assert not report.ok


def test_the_invariant_check_catches_an_entry_with_a_single_posting(session):
    session.execute(
        text("INSERT INTO journal_entries (kind, memo, created_at) VALUES ('stray', '', :now)"),
        {"now": datetime.now(UTC).isoformat(sep=" ")},
    )
    stray = session.scalar(select(JournalEntry.id).where(JournalEntry.kind == "stray"))

    report = ledger.check_invariants(session)

    assert report.entries_with_too_few_postings == [stray]
    assert not report.ok
