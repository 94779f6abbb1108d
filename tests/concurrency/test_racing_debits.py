"""Many redemptions racing for the last points of one card: the balance never goes below zero."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from mileage import ledger
from mileage.clock import utc_now
from mileage.errors import InsufficientBalance
from mileage.models import AccountKind, Posting
from tests.concurrency.racing import race
from tests.support.factories import Factories

RACERS = 50
DEBITS_THE_BALANCE_COVERS = 20
DEBIT = 700


def _card_and_merchant(commit, balance: int) -> tuple[int, int]:
    """Commit a card holding `balance` points and a merchant account; return both account ids."""

    def create(session):
        card = Factories(session).card(balance=balance)
        merchant = ledger.open_account(session, AccountKind.MERCHANT, f"merchant:{secrets.token_hex(6)}")
        return card.account_id, merchant.id

    return commit(create)


def test_fifty_debits_race_for_twenty_debits_worth_and_exactly_twenty_win(concurrent_engine, commit):
    card_account, merchant_account = _card_and_merchant(commit, DEBITS_THE_BALANCE_COVERS * DEBIT)

    outcomes = race(
        concurrent_engine,
        RACERS,
        lambda session, _index: ledger.transfer(
            session,
            kind="redemption",
            from_account_id=card_account,
            to_account_id=merchant_account,
            amount=DEBIT,
        ).id,
    )

    won = [outcome.value for outcome in outcomes if outcome.error is None]
    lost = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(won) == DEBITS_THE_BALANCE_COVERS
    assert len(lost) == RACERS - DEBITS_THE_BALANCE_COVERS
    assert all(isinstance(error, InsufficientBalance) for error in lost), {type(e) for e in lost}

    def inspect(session):
        balance_trail = sorted(
            session.scalars(
                select(Posting.balance_after).where(Posting.account_id == card_account, Posting.amount < 0)
            )
        )
        return (
            ledger.get_balance(session, card_account),
            ledger.get_balance(session, merchant_account),
            balance_trail,
            ledger.check_invariants(session),
        )

    card_balance, merchant_balance, balance_trail, report = commit(inspect)
    assert card_balance == 0
    assert merchant_balance == DEBITS_THE_BALANCE_COVERS * DEBIT
    # Each winner saw the balance its predecessor left: one debit at a time, none on a stale read.
    assert balance_trail == [DEBIT * n for n in range(DEBITS_THE_BALANCE_COVERS)]
    assert report.ok, report.as_dict()


def test_balance_as_of_now_agrees_with_the_stored_balance_after_racing_postings(concurrent_engine, commit):
    # Different amounts, so a posting that reports another's balance cannot pass by coincidence.
    amounts = [DEBIT + index for index in range(RACERS)]
    card_account, merchant_account = _card_and_merchant(commit, sum(amounts) + 1)

    outcomes = race(
        concurrent_engine,
        RACERS,
        lambda session, index: ledger.transfer(
            session,
            kind="redemption",
            from_account_id=card_account,
            to_account_id=merchant_account,
            amount=amounts[index],
        ).id,
    )
    assert [outcome.error for outcome in outcomes if outcome.error is not None] == []

    def balances(session):
        now = utc_now()
        return {
            account_id: (ledger.get_balance(session, account_id), ledger.get_balance_as_of(session, account_id, now))
            for account_id in (card_account, merchant_account)
        }

    for account_id, (stored, as_of_now) in commit(balances).items():
        assert as_of_now == stored, f"account {account_id}"
