"""Redemptions, refunds and holds racing on separate connections with real commits."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from mileage import ledger
from mileage.cards.qr import issue_qr_token
from mileage.errors import HoldExpired, HoldNotOpen, InsufficientBalance, QrTokenReplayed, RefundExceedsRemaining
from mileage.models import Account, AccountKind, Card, Hold, HoldStatus, Merchant, Redemption, Refund, UsedQrToken
from mileage.people.tokens import TokenSigner
from mileage.shops import holds, redemptions
from mileage.shops.counter import Till
from tests.concurrency.racing import race
from tests.support.factories import Factories

SIGNER = TokenSigner(key="concurrency-signing-key-of-32-bytes!")
# 10 % up to 1,000 points: a 10,000 won purchase takes exactly 1,000.
OFFER = {"rate_bp": 1000, "max_discount": 1000, "min_purchase": 0}
PURCHASE = 10_000
DISCOUNT = 1_000


def _shop_and_card(commit, balance: int) -> tuple[Till, int]:
    def create(session):
        make = Factories(session)
        merchant = make.merchant(offer=OFFER)
        terminal = make.terminal(merchant).terminal
        return Till(merchant.id, terminal.id), make.card(balance=balance).id

    return commit(create)


def _tokens(commit, card_id: int, count: int) -> list[str]:
    return commit(lambda session: [issue_qr_token(SIGNER, session.get(Card, card_id)).token for _ in range(count)])


def _redeem(session, till: Till, token: str) -> int:
    return redemptions.redeem(session, SIGNER, till, scanned=token, purchase_amount=PURCHASE).id


def _balances(commit, till: Till, card_id: int) -> tuple[int, int, bool]:
    def read(session):
        card_account = session.get(Card, card_id).account_id
        shop_account = session.get(Merchant, till.merchant_id).account_id
        return (
            ledger.get_balance(session, card_account),
            ledger.get_balance(session, shop_account),
            ledger.check_invariants(session).ok,
        )

    return commit(read)


def _split(outcomes):
    won = [outcome.value for outcome in outcomes if outcome.error is None]
    lost = [outcome.error for outcome in outcomes if outcome.error is not None]
    return won, lost


def test_thirty_redemptions_of_one_dynamic_token_and_exactly_one_succeeds(concurrent_engine, commit):
    till, card_id = _shop_and_card(commit, 50_000)
    (token,) = _tokens(commit, card_id, 1)

    won, lost = _split(race(concurrent_engine, 30, lambda session, _index: _redeem(session, till, token)))

    assert len(won) == 1
    assert len(lost) == 29 and all(isinstance(error, QrTokenReplayed) for error in lost), {type(e) for e in lost}
    assert _balances(commit, till, card_id) == (50_000 - DISCOUNT, DISCOUNT, True)
    assert commit(lambda session: session.scalar(
        select(func.count()).select_from(UsedQrToken).where(UsedQrToken.card_id == card_id)
    )) == 1


def test_forty_redemptions_on_a_card_that_covers_ten_and_exactly_ten_succeed(concurrent_engine, commit):
    till, card_id = _shop_and_card(commit, 10 * DISCOUNT)
    tokens = _tokens(commit, card_id, 40)

    won, lost = _split(race(concurrent_engine, 40, lambda session, index: _redeem(session, till, tokens[index])))

    assert len(won) == 10
    assert len(lost) == 30 and all(isinstance(error, InsufficientBalance) for error in lost), {type(e) for e in lost}
    assert _balances(commit, till, card_id) == (0, 10 * DISCOUNT, True)
    discounts = commit(lambda session: list(session.scalars(select(Redemption.discount).where(Redemption.id.in_(won)))))
    assert discounts == [DISCOUNT] * 10


def _sale(commit, till: Till, card_id: int) -> int:
    (token,) = _tokens(commit, card_id, 1)
    return commit(lambda session: _redeem(session, till, token))


def test_racing_partial_refunds_never_refund_more_than_the_discount(concurrent_engine, commit):
    till, card_id = _shop_and_card(commit, 5_000)
    sale_id = _sale(commit, till, card_id)  # 1,000 points

    won, lost = _split(race(
        concurrent_engine, 30,
        lambda session, _index: redemptions.refund_redemption(session, till, sale_id, amount=75).amount,
    ))

    # 13 × 75 = 975: a fourteenth would pass the 1,000 of the sale.
    assert len(won) == 13 and all(isinstance(error, RefundExceedsRemaining) for error in lost)
    refunded, refund_total = commit(lambda session: (
        session.get(Redemption, sale_id).refunded_amount,
        session.scalar(select(func.sum(Refund.amount)).where(Refund.redemption_id == sale_id)),
    ))
    assert refunded == refund_total == 975
    assert _balances(commit, till, card_id) == (5_000 - DISCOUNT + 975, DISCOUNT - 975, True)


def test_racing_full_refunds_give_the_discount_back_once(concurrent_engine, commit):
    till, card_id = _shop_and_card(commit, 5_000)
    sale_id = _sale(commit, till, card_id)

    won, lost = _split(race(
        concurrent_engine, 20, lambda session, _index: redemptions.refund_redemption(session, till, sale_id).amount
    ))

    assert won == [DISCOUNT]
    assert all(isinstance(error, RefundExceedsRemaining) for error in lost)
    assert _balances(commit, till, card_id) == (5_000, 0, True)


def test_capture_void_and_sweep_racing_for_one_hold_settle_it_once(concurrent_engine, commit):
    till, card_id = _shop_and_card(commit, 5_000)
    (token,) = _tokens(commit, card_id, 1)
    hold = commit(lambda session: holds.authorize_hold(
        session, SIGNER, till, scanned=token, purchase_amount=PURCHASE
    ))
    # The sweeper's clock says the hold has just expired; capture and void run on the real clock.
    sweep_at = hold.expires_at

    def settle(session, index):
        if index % 3 == 0:
            return "captured", holds.capture_hold(session, till, hold.id).discount
        if index % 3 == 1:
            return "voided", holds.void_hold(session, till, hold.id).amount
        return "expired", holds.sweep_expired_holds(session, now=sweep_at)

    outcomes = race(concurrent_engine, 15, settle)

    won, lost = _split(outcomes)
    settled = [result for result in won if result != ("expired", 0)]
    assert len(settled) == 1, won
    assert all(isinstance(error, (HoldNotOpen, HoldExpired)) for error in lost), lost
    status = commit(lambda session: session.get(Hold, hold.id).status)
    assert status == settled[0][0] and status != HoldStatus.HELD
    card_balance, shop_balance, ok = _balances(commit, till, card_id)
    assert ok and card_balance + shop_balance == 5_000
    assert shop_balance == (DISCOUNT if status == HoldStatus.CAPTURED else 0)


def _wait_for_a_blocked_transaction(engine, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        # This database's sessions only: other tests' waits, on the same server, prove nothing here.
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND wait_event_type = 'Lock'")
        while watcher.scalar(waiting) == 0:
            assert time.monotonic() < deadline, "the capture never waited for the card"
            time.sleep(0.02)
            watcher.rollback()


# Row locks and pg_locks: SQLite locks the whole database instead.
@pytest.mark.postgres_only
def test_a_capture_waits_for_the_card_before_it_locks_an_account(concurrent_engine, commit):
    """Every money path locks the card before the accounts; a capture that did not deadlocked with sales."""
    till, card_id = _shop_and_card(commit, 5_000)
    (token,) = _tokens(commit, card_id, 1)
    hold_id = commit(lambda session: holds.authorize_hold(
        session, SIGNER, till, scanned=token, purchase_amount=PURCHASE
    ).id)
    accounts = commit(lambda session: [
        ledger.system_account(session, AccountKind.HOLDS).id, session.get(Merchant, till.merchant_id).account_id,
    ])
    captured = {}

    def capture() -> None:
        captured["discount"] = commit(lambda session: holds.capture_hold(session, till, hold_id).discount)

    with concurrent_engine.connect() as sale:
        # A sale at this card has locked it and is about to lock the accounts.
        sale.execute(select(Card.id).where(Card.id == card_id).with_for_update())
        capturing = threading.Thread(target=capture)
        capturing.start()
        _wait_for_a_blocked_transaction(concurrent_engine)
        # NOWAIT: if the waiting capture already held an account, this fails at once instead of deadlocking.
        sale.execute(select(Account.id).where(Account.id.in_(accounts)).with_for_update(nowait=True))
        sale.rollback()
        capturing.join(30)

    assert captured == {"discount": DISCOUNT}
    assert _balances(commit, till, card_id) == (5_000 - DISCOUNT, DISCOUNT, True)
