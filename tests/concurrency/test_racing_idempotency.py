"""One idempotency key sent by many clients at once produces one entry, and everyone gets it back."""

from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.errors import IdempotencyKeyReused
from mileage.ledger import posting
from mileage.models import AccountKind, JournalEntry
from tests.concurrency.racing import RACE_TIMEOUT_SECONDS, race
from tests.support.factories import Factories

RACERS = 20
AMOUNT = 1_500


@pytest.fixture
def accounts(commit) -> tuple[int, int]:
    """A card holding enough for every racer and a merchant account, committed; their account ids."""

    def create(session):
        card = Factories(session).card(balance=RACERS * AMOUNT * 2)
        merchant = ledger.open_account(session, AccountKind.MERCHANT, f"merchant:{secrets.token_hex(6)}")
        return card.account_id, merchant.id

    return commit(create)


def _redeem(session, accounts, key: str, amount: int) -> int:
    card_account, merchant_account = accounts
    return ledger.transfer(
        session,
        kind="redemption",
        from_account_id=card_account,
        to_account_id=merchant_account,
        amount=amount,
        idempotency_key=key,
    ).id


def _entries_and_balances(commit, accounts, key):
    def read(session):
        entries = session.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.idempotency_key == key)
        )
        balances = [ledger.get_balance(session, account_id) for account_id in accounts]
        return entries, balances, ledger.check_invariants(session)

    return commit(read)


def test_racing_retries_of_one_request_post_once_and_all_get_the_same_entry(concurrent_engine, commit, accounts):
    key = f"pos-retry-{secrets.token_hex(4)}"

    outcomes = race(concurrent_engine, RACERS, lambda session, _index: _redeem(session, accounts, key, AMOUNT))

    assert [outcome.error for outcome in outcomes if outcome.error is not None] == []
    assert len({outcome.value for outcome in outcomes}) == 1
    entries, balances, report = _entries_and_balances(commit, accounts, key)
    assert entries == 1
    assert balances == [RACERS * AMOUNT * 2 - AMOUNT, AMOUNT]
    assert report.ok, report.as_dict()


@pytest.mark.postgres_only
def test_racers_who_all_found_no_entry_yet_still_post_once(concurrent_engine, commit, accounts, monkeypatch):
    """Every racer looks the key up before any of them inserts: the unique key must arbitrate."""
    key = f"pos-retry-{secrets.token_hex(4)}"
    everyone_looked = threading.Barrier(RACERS)
    real_find_replay = ledger.find_replay
    local = threading.local()

    def find_replay_then_wait(session, idempotency_key, fingerprint):
        found = real_find_replay(session, idempotency_key, fingerprint)
        if not getattr(local, "waited", False):
            local.waited = True
            everyone_looked.wait(timeout=RACE_TIMEOUT_SECONDS)
        return found

    monkeypatch.setattr(posting, "find_replay", find_replay_then_wait)

    outcomes = race(concurrent_engine, RACERS, lambda session, _index: _redeem(session, accounts, key, AMOUNT))

    assert [outcome.error for outcome in outcomes if outcome.error is not None] == []
    assert len({outcome.value for outcome in outcomes}) == 1
    entries, balances, report = _entries_and_balances(commit, accounts, key)
    assert entries == 1
    assert balances == [RACERS * AMOUNT * 2 - AMOUNT, AMOUNT]
    assert report.ok, report.as_dict()


def test_one_key_racing_with_two_different_requests_posts_one_and_refuses_the_other(
    concurrent_engine, commit, accounts
):
    key = f"pos-retry-{secrets.token_hex(4)}"
    amounts = [AMOUNT if index % 2 else AMOUNT + 1 for index in range(RACERS)]

    outcomes = race(concurrent_engine, RACERS, lambda session, index: _redeem(session, accounts, key, amounts[index]))

    winners = {amounts[index] for index, outcome in enumerate(outcomes) if outcome.error is None}
    assert len(winners) == 1, "only the request that posted first may be replayed"
    (winning_amount,) = winners
    for index, outcome in enumerate(outcomes):
        if amounts[index] == winning_amount:
            assert outcome.error is None
        else:
            assert isinstance(outcome.error, IdempotencyKeyReused), outcome.error
    assert len({outcome.value for outcome in outcomes if outcome.error is None}) == 1
    entries, balances, report = _entries_and_balances(commit, accounts, key)
    assert entries == 1
    assert balances == [RACERS * AMOUNT * 2 - winning_amount, winning_amount]
    assert report.ok, report.as_dict()
