"""Redemptions at partner shops against a real database: quote, redeem, refusals, refunds, holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.cards.qr import QR_TOKEN_TYPE, issue_qr_token
from mileage.clock import utc_now
from mileage.errors import (
    BelowMinimumPurchase,
    CaptureExceedsHold,
    CardNotActive,
    CardPinLocked,
    HoldExpired,
    HoldNotOpen,
    HoldOfAnotherMerchant,
    IdempotencyKeyReused,
    InsufficientBalance,
    MerchantSuspended,
    NoDiscountForPurchase,
    OfferNotAvailableNow,
    PinRequired,
    QrTokenCardMismatch,
    QrTokenExpired,
    QrTokenInvalid,
    QrTokenReplayed,
    RedemptionOfAnotherMerchant,
    RefundExceedsRemaining,
    RefundWindowClosed,
    WrongPin,
)
from mileage.models import AccountKind, CardStatus, Hold, HoldStatus, JournalEntry, MerchantStatus, UsedQrToken
from mileage.people.tokens import TokenSigner
from mileage.shops import counter, holds, merchants, offers, redemptions
from mileage.shops.counter import Till

SIGNER = TokenSigner(key="integration-signing-key-of-32-bytes!")
# 10 %, at most 3,000 points, from 5,000 won.
OFFER = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}


@dataclass
class Shop:
    merchant: object
    till: Till


@pytest.fixture
def shop(make) -> Shop:
    merchant = make.merchant(offer=OFFER)
    terminal = make.terminal(merchant).terminal
    return Shop(merchant, Till(merchant.id, terminal.id))


@pytest.fixture
def other_shop(make) -> Shop:
    merchant = make.merchant()
    return Shop(merchant, Till(merchant.id, make.terminal(merchant).terminal.id))


def qr(card, **options) -> str:
    return issue_qr_token(SIGNER, card, **options).token


def balance(session, holder) -> int:
    return ledger.get_balance(session, holder.account_id)


def redeem(session, shop: Shop, scanned: str, purchase: int = 20_000, **options):
    return redemptions.redeem(session, SIGNER, shop.till, scanned=scanned, purchase_amount=purchase, **options)


# --- the discount rule ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "purchase, card_balance, asked, expected",
    [
        (20_000, 10_000, None, 2_000),   # the rate: 10 % of 20,000
        (45_678, 10_000, None, 3_000),   # the cap per purchase
        (20_000, 1_500, None, 1_500),    # the balance
        (20_000, 10_000, 800, 800),      # the smaller amount asked
        (5_009, 10_000, None, 500),      # rounded down, never up
    ],
)
def test_the_discount_is_the_least_of_rate_cap_balance_and_what_is_asked(
    session, make, shop, purchase, card_balance, asked, expected
):
    card = make.card(balance=card_balance)

    receipt = redeem(session, shop, qr(card), purchase, requested_discount=asked)

    assert receipt.discount == expected
    assert receipt.amount_to_pay == purchase - expected
    assert balance(session, card) == card_balance - expected
    assert balance(session, shop.merchant) == expected


def test_a_redemption_is_one_entry_card_to_shop_and_records_the_offer_version(session, make, shop):
    card = make.card(balance=10_000)
    first_offer = offers.current_offer(session, shop.merchant.id)

    receipt = redeem(session, shop, qr(card))

    entry = session.get(JournalEntry, receipt.entry_id)
    assert entry.kind == "redemption"
    assert sorted((p.account_id, p.amount) for p in entry.postings) == sorted(
        [(card.account_id, -2_000), (shop.merchant.account_id, 2_000)]
    )
    assert receipt.offer_version_id == first_offer.id

    offers.set_offer(session, shop.merchant.id, rate_bp=500, max_discount=1000, actor=SYSTEM_ACTOR)
    later = redeem(session, shop, qr(card))
    assert later.discount == 1_000 and later.offer_version_id != first_offer.id
    session.refresh(receipt)
    assert receipt.offer.rate_bp == 1000  # the earlier sale keeps the terms it was made under
    assert ledger.check_invariants(session).ok


def test_a_quote_moves_nothing_and_leaves_the_token_usable(session, make, shop):
    card = make.card(balance=10_000)
    token = qr(card)

    quote = redemptions.quote(session, SIGNER, shop.till, scanned=token, purchase_amount=20_000)

    assert (quote.discount, quote.amount_to_pay, quote.needs_pin) == (2_000, 18_000, False)
    assert quote.holder_name == card.volunteer.masked_name and "*" in quote.holder_name
    assert balance(session, card) == 10_000
    assert session.scalar(select(func.count()).select_from(UsedQrToken)) == 0
    assert redeem(session, shop, token).discount == 2_000


def test_a_printed_card_needs_its_pin(session, make, shop):
    card = make.card(balance=10_000, pin="4321")

    assert redemptions.quote(session, SIGNER, shop.till, scanned=card.number, purchase_amount=20_000).needs_pin
    with pytest.raises(PinRequired):
        redeem(session, shop, card.number)
    receipt = redeem(session, shop, card.number, pin="4321")
    assert receipt.discount == 2_000 and balance(session, card) == 8_000


@pytest.mark.parametrize("points", [0, 1, 777])
def test_a_printed_card_quote_reveals_nothing_about_the_balance(session, make, shop, points):
    card = make.card(balance=points, pin="4321") if points else make.card(pin="4321")
    rich = make.card(balance=1_000_000, pin="4321")

    def offered(number):
        quote = redemptions.quote(session, SIGNER, shop.till, scanned=number, purchase_amount=10_000_000)
        return quote.discount, quote.balance_applied

    # A huge purchase: the answer is the offer's cap for an empty, a poor and a rich card alike.
    assert offered(card.number) == offered(rich.number) == (OFFER["max_discount"], False)
    # With the phone's token the balance applies, as the holder is at the counter.
    dynamic = redemptions.quote(session, SIGNER, shop.till, scanned=qr(rich), purchase_amount=10_000_000)
    assert dynamic.balance_applied is True


# --- refusals -------------------------------------------------------------------------------

def test_no_points_is_refused_as_insufficient_balance(session, make, shop):
    card = make.card(balance=0)
    with pytest.raises(InsufficientBalance):
        redeem(session, shop, qr(card))


def test_a_used_token_is_refused_as_a_replay(session, make, shop):
    card = make.card(balance=10_000)
    token = qr(card)
    redeem(session, shop, token)

    with pytest.raises(QrTokenReplayed):
        redeem(session, shop, token)
    assert balance(session, card) == 8_000


def test_an_expired_token_is_refused(session, make, shop):
    card = make.card(balance=10_000)
    with pytest.raises(QrTokenExpired):
        redeem(session, shop, qr(card, now=utc_now() - timedelta(minutes=5)))


def test_a_token_signed_with_another_key_is_refused(session, make, shop):
    card = make.card(balance=10_000)
    forged = issue_qr_token(TokenSigner(key="someone-elses-key-of-32-bytes!!!!"), card).token
    with pytest.raises(QrTokenInvalid):
        redeem(session, shop, forged)
    assert balance(session, card) == 10_000


def test_a_token_naming_another_card_is_refused(session, make, shop):
    card, other = make.card(balance=10_000), make.card(balance=10_000)
    crossed = SIGNER.sign(
        {"sub": f"card:{card.id}", "cn": other.number[-4:]}, token_type=QR_TOKEN_TYPE, ttl=timedelta(minutes=2)
    )
    with pytest.raises(QrTokenCardMismatch):
        redeem(session, shop, crossed)


def test_a_wrong_pin_is_counted_and_five_lock_the_card(session, make, shop):
    card = make.card(balance=10_000, pin="4321")
    for remaining in (4, 3, 2, 1):
        with pytest.raises(WrongPin) as refused:
            redeem(session, shop, card.number, pin="0000")
        assert refused.value.params["remaining"] == remaining
    with pytest.raises(CardPinLocked):
        redeem(session, shop, card.number, pin="0000")
    # Locked: even the right PIN is refused now.
    with pytest.raises(CardPinLocked):
        redeem(session, shop, card.number, pin="4321")
    assert balance(session, card) == 10_000


def test_a_lost_card_is_refused(session, make, shop):
    card = make.card(balance=10_000)
    token = qr(card)
    lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)
    with pytest.raises(CardNotActive):
        redeem(session, shop, token)


def test_a_suspended_shop_cannot_redeem(session, make, shop):
    card = make.card(balance=10_000)
    merchants.change_merchant_status(session, shop.merchant.id, MerchantStatus.SUSPENDED, actor=SYSTEM_ACTOR)
    with pytest.raises(MerchantSuspended):
        redeem(session, shop, qr(card))
    assert balance(session, card) == 10_000


def test_a_purchase_below_the_minimum_is_refused(session, make, shop):
    card = make.card(balance=10_000)
    with pytest.raises(BelowMinimumPurchase) as refused:
        redeem(session, shop, qr(card), 4_999)
    assert refused.value.message() == "구매 금액이 최소 결제 금액(5,000원)보다 적습니다."


def test_a_purchase_too_small_for_a_whole_point_is_refused(session, make):
    merchant = make.merchant(offer={"rate_bp": 100, "max_discount": 1000})
    shop = Shop(merchant, Till(merchant.id, make.terminal(merchant).terminal.id))
    with pytest.raises(NoDiscountForPurchase):
        redeem(session, shop, qr(make.card(balance=1_000)), 99)


def test_the_offer_applies_only_on_its_days_and_hours_in_seoul(session, make):
    # Weekdays 11:00-14:00, Seoul time.
    merchant = make.merchant(offer={**OFFER, "days": ["mon", "tue", "wed", "thu", "fri"],
                                    "start_minute": 11 * 60, "end_minute": 14 * 60})
    shop = Shop(merchant, Till(merchant.id, make.terminal(merchant).terminal.id))
    card = make.card(balance=10_000)
    monday_noon_seoul = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    monday_evening_seoul = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    saturday_noon_seoul = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)

    for closed_at in (monday_evening_seoul, saturday_noon_seoul):
        with pytest.raises(OfferNotAvailableNow):
            redeem(session, shop, qr(card), now=closed_at)
    # 03:00 UTC is noon in Seoul: inside the hours (the token itself is fresh).
    assert redeem(session, shop, qr(card), now=monday_noon_seoul).discount == 2_000


def test_the_same_idempotency_key_returns_the_first_redemption(session, make, shop):
    card = make.card(balance=10_000)
    first = redeem(session, shop, qr(card), idempotency_key="till-1-sale-7")

    # A retry, even one whose token has since been used, gets the first receipt back.
    again = redeem(session, shop, qr(card), idempotency_key="till-1-sale-7")
    assert again.id == first.id and balance(session, card) == 8_000
    with pytest.raises(IdempotencyKeyReused):
        redeem(session, shop, qr(card), 30_000, idempotency_key="till-1-sale-7")


# --- refunds --------------------------------------------------------------------------------

def test_partial_refunds_add_up_to_the_discount_and_never_past_it(session, make, shop):
    card = make.card(balance=10_000)
    sale = redeem(session, shop, qr(card))  # 2,000

    redemptions.refund_redemption(session, shop.till, sale.id, amount=500)
    redemptions.refund_redemption(session, shop.till, sale.id, amount=1_000)
    with pytest.raises(RefundExceedsRemaining) as refused:
        redemptions.refund_redemption(session, shop.till, sale.id, amount=501)
    assert refused.value.params["remaining"] == 500
    last = redemptions.refund_redemption(session, shop.till, sale.id)  # all that is left

    assert last.amount == 500 and last.redemption.refundable == 0
    assert balance(session, card) == 10_000 and balance(session, shop.merchant) == 0
    with pytest.raises(RefundExceedsRemaining):
        redemptions.refund_redemption(session, shop.till, sale.id)
    assert ledger.check_invariants(session).ok


def test_only_the_shop_that_redeemed_may_refund(session, make, shop, other_shop):
    sale = redeem(session, shop, qr(make.card(balance=10_000)))
    with pytest.raises(RedemptionOfAnotherMerchant):
        redemptions.refund_redemption(session, other_shop.till, sale.id)
    assert sale.refunded_amount == 0


def test_a_refund_after_the_window_is_refused(session, make, shop):
    sale = redeem(session, shop, qr(make.card(balance=10_000)))
    policy = counter.RedemptionPolicy(refund_window_days=7)
    later = sale.created_at + timedelta(days=7, seconds=1)
    with pytest.raises(RefundWindowClosed) as refused:
        redemptions.refund_redemption(session, shop.till, sale.id, policy=policy, now=later)
    assert refused.value.message("en") == "Refunds are only possible within 7 days of the sale."
    refund = redemptions.refund_redemption(
        session, shop.till, sale.id, policy=policy, now=sale.created_at + timedelta(days=7)
    )
    assert refund.amount == 2_000


def test_a_refund_to_a_replaced_card_lands_on_its_replacement(session, make, shop):
    card = make.card(balance=10_000)
    sale = redeem(session, shop, qr(card))
    replacement = lifecycle.reissue_card(session, card.id, actor=SYSTEM_ACTOR).card

    redemptions.refund_redemption(session, shop.till, sale.id)

    assert balance(session, replacement) == 10_000
    assert balance(session, card) == 0 and card.status == CardStatus.REPLACED


# --- two-phase holds ------------------------------------------------------------------------

def authorize(session, shop, card, purchase=30_000, **options) -> Hold:
    return holds.authorize_hold(
        session, SIGNER, shop.till, scanned=qr(card), purchase_amount=purchase, **options
    )


def test_held_points_leave_the_card_and_cannot_be_spent_twice(session, make, shop):
    card = make.card(balance=3_000)
    hold = authorize(session, shop, card)  # 3,000 held
    holds_account = ledger.system_account(session, AccountKind.HOLDS)

    assert hold.amount == 3_000 and balance(session, card) == 0
    assert ledger.get_balance(session, holds_account.id) == 3_000
    with pytest.raises(InsufficientBalance):
        redeem(session, shop, qr(card))


def test_capturing_part_of_a_hold_returns_the_rest_in_the_same_entry(session, make, shop):
    card = make.card(balance=10_000)
    hold = authorize(session, shop, card)  # 3,000

    sale = holds.capture_hold(session, shop.till, hold.id, final_purchase_amount=12_000)

    assert sale.discount == 1_200 and sale.hold_id == hold.id
    assert balance(session, card) == 8_800 and balance(session, shop.merchant) == 1_200
    entry = session.get(JournalEntry, sale.entry_id)
    assert len(entry.postings) == 3
    session.refresh(hold)
    assert hold.status == HoldStatus.CAPTURED
    with pytest.raises(HoldNotOpen):
        holds.void_hold(session, shop.till, hold.id)
    with pytest.raises(CaptureExceedsHold):
        holds.capture_hold(session, shop.till, authorize(session, shop, card).id, amount=3_001)


def test_an_expired_hold_can_never_be_captured(session, make, shop):
    card = make.card(balance=10_000)
    hold = authorize(session, shop, card)
    after_expiry = hold.expires_at + timedelta(seconds=1)

    with pytest.raises(HoldExpired):
        holds.capture_hold(session, shop.till, hold.id, now=after_expiry)
    assert holds.sweep_expired_holds(session, now=after_expiry) == 1
    with pytest.raises(HoldExpired):
        holds.capture_hold(session, shop.till, hold.id, now=after_expiry)

    session.refresh(hold)
    assert hold.status == HoldStatus.EXPIRED and balance(session, card) == 10_000
    assert holds.sweep_expired_holds(session, now=after_expiry) == 0


def test_voiding_returns_the_points_and_only_the_holding_shop_may(session, make, shop, other_shop):
    card = make.card(balance=10_000)
    hold = authorize(session, shop, card)
    with pytest.raises(HoldOfAnotherMerchant):
        holds.void_hold(session, other_shop.till, hold.id)

    voided = holds.void_hold(session, shop.till, hold.id)

    assert voided.status == HoldStatus.VOIDED and balance(session, card) == 10_000
    assert ledger.check_invariants(session).ok


def test_the_sweeper_leaves_live_holds_alone(session, make, shop):
    card = make.card(balance=10_000)
    live = authorize(session, shop, card)
    assert holds.sweep_expired_holds(session, now=live.expires_at - timedelta(seconds=1)) == 0
    assert holds.capture_hold(session, shop.till, live.id).discount == 3_000


# --- the shop's lists -----------------------------------------------------------------------

def test_a_shop_lists_only_its_own_redemptions_newest_first_in_pages(session, make, shop, other_shop):
    card = make.card(balance=50_000)
    mine = [redeem(session, shop, qr(card)).id for _ in range(3)]
    redeem(session, other_shop, qr(card))

    first = redemptions.list_redemptions(session, shop.merchant.id, limit=2)
    second = redemptions.list_redemptions(session, shop.merchant.id, limit=2, cursor=first.next_cursor)

    assert [r.id for r in first.items + second.items] == sorted(mine, reverse=True)
    assert second.next_cursor is None
    assert redemptions.list_redemptions(session, shop.merchant.id, day=datetime(2020, 1, 1).date()).items == []
