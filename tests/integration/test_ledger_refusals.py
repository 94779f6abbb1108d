"""A ledger idempotency key that was refused keeps its refusal: it can never post an entry later."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.db import run_in_transaction
from mileage.errors import IdempotencyKeyReused, InsufficientBalance
from mileage.models import AccountKind, JournalEntry


@pytest.fixture
def shop_account(session) -> int:
    return ledger.open_account(session, AccountKind.MERCHANT, "merchant:refusals").id


def spend(session, card, shop_account: int, key: str, amount: int = 1_500):
    return ledger.transfer(
        session, kind="redemption", from_account_id=card.account_id, to_account_id=shop_account,
        amount=amount, idempotency_key=key,
    )


def entries_for(session, key: str) -> list[str]:
    return list(session.scalars(select(JournalEntry.kind).where(JournalEntry.idempotency_key == key)))


def test_a_refused_key_is_refused_again_once_the_points_are_there(session_factory, session, make, shop_account):
    card = make.card(balance=1_000)
    session.commit()

    with pytest.raises(InsufficientBalance) as first:
        run_in_transaction(session_factory, lambda unit: spend(unit, card, shop_account, "till-7"))
    make.credit(card, 5_000)
    session.commit()
    with pytest.raises(InsufficientBalance) as again:
        run_in_transaction(session_factory, lambda unit: spend(unit, card, shop_account, "till-7"))

    assert again.value.params == first.value.params == {
        "account_id": card.account_id, "available": 1_000, "requested": 1_500,
    }
    assert entries_for(session, "till-7") == ["refusal"]
    assert ledger.get_balance(session, card.account_id) == 6_000
    with pytest.raises(IdempotencyKeyReused):
        run_in_transaction(session_factory, lambda unit: spend(unit, card, shop_account, "till-7", amount=500))
    assert ledger.check_invariants(session).ok


def test_a_refusal_the_caller_handled_is_kept_with_the_rest_of_its_unit(session_factory, session, make, shop_account):
    """A campaign that records "skipped" and carries on commits the refusal with its own work."""
    card = make.card(balance=100)
    other = make.card()
    session.commit()

    def skip_what_cannot_be_paid(unit):
        try:
            with unit.begin_nested():
                spend(unit, card, shop_account, "campaign-1:volunteer")
        except InsufficientBalance:
            pass
        make_credit = ledger.transfer(
            unit, kind="test_credit", from_account_id=ledger.system_account(unit, AccountKind.ISSUANCE).id,
            to_account_id=other.account_id, amount=10,
        )
        return make_credit.id

    run_in_transaction(session_factory, skip_what_cannot_be_paid)
    make.credit(card, 5_000)
    session.commit()

    with pytest.raises(InsufficientBalance):
        run_in_transaction(session_factory, lambda unit: spend(unit, card, shop_account, "campaign-1:volunteer"))
    assert entries_for(session, "campaign-1:volunteer") == ["refusal"]
    assert ledger.get_balance(session, other.account_id) == 10


def test_a_refusal_moves_nothing_and_the_invariant_check_knows_it(session_factory, session, make, shop_account):
    card = make.card(balance=0)
    session.commit()
    with pytest.raises(InsufficientBalance):
        run_in_transaction(session_factory, lambda unit: spend(unit, card, shop_account, "empty-card"))

    refusal = session.scalars(select(JournalEntry).where(JournalEntry.idempotency_key == "empty-card")).one()

    assert refusal.postings == []
    assert refusal.refusal == {
        "kind": "redemption", "code": "insufficient_balance",
        "params": {"account_id": card.account_id, "available": 0, "requested": 1_500},
    }
    report = ledger.check_invariants(session)
    assert report.ok and report.entries_with_too_few_postings == [] and report.refusals_with_postings == []


def test_an_unkeyed_refusal_leaves_nothing_behind(session_factory, session, make, shop_account):
    card = make.card(balance=0)
    session.commit()
    before = session.scalar(select(func.count()).select_from(JournalEntry))

    with pytest.raises(InsufficientBalance):
        run_in_transaction(session_factory, lambda unit: spend(unit, card, shop_account, None))

    assert session.scalar(select(func.count()).select_from(JournalEntry)) == before
