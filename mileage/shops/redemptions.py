"""Discounts at partner shops: quote, redeem, refunds, and the shop's own lists of them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from mileage.cards.lookup import ensure_card_usable, lock_card_holding_points
from mileage.cards.qr import read_scan
from mileage.clock import seoul_day_start, seoul_today, utc_now
from mileage.db import insert_persistent
from mileage.errors import (
    InvalidAmount,
    RedemptionNotFound,
    RedemptionOfAnotherMerchant,
    RefundExceedsRemaining,
    RefundWindowClosed,
)
from mileage.ledger import transfer
from mileage.models import (
    Account,
    Card,
    EntryKind,
    Redemption,
    Refund,
)
from mileage.pagination import Page, fetch_page
from mileage.people.tokens import TokenSigner
from mileage.shops.counter import (
    DEFAULT_POLICY,
    Quote,
    RedemptionPolicy,
    Till,
    compute_discount,
    debit_scanned_card,
    ensure_purchase_qualifies,
    find_replayed,
    ledger_key,
    lock_shop_for_sale,
    open_till,
    owned_by_till,
)
from mileage.shops.offers import current_offer, ensure_offer_applies
from mileage.shops.settlement import settlement_date_for
from mileage.shops.terminals import ensure_terminal_may_trade

# Stands in for a balance a quote may not look at: larger than any discount cap.
UNKNOWN_BALANCE = 2**62


def quote(
    session: Session,
    signer: TokenSigner,
    till: Till,
    *,
    scanned: str,
    purchase_amount: int,
    requested_discount: int | None = None,
    now: datetime | None = None,
) -> Quote:
    """Tell what discount a purchase would get with a scanned card; moves nothing, uses up nothing.

    For a printed card (which needs a PIN to redeem) the discount is the offer's alone, not limited
    by the balance, so that a card number read off someone's card reveals nothing about their points.

    :raises QrTokenInvalid: (and the other scan errors of `read_scan`)
    :raises CardNotActive:
    :raises CardPinLocked:
    :raises OfferNotAvailableNow:
    :raises BelowMinimumPurchase:
    :raises InsufficientBalance:
    """
    ensure_terminal_may_trade(session, till.merchant_id, till.terminal_id)
    offer = current_offer(session, till.merchant_id)
    ensure_offer_applies(offer, now or utc_now())
    ensure_purchase_qualifies(offer, purchase_amount)
    scan = read_scan(session, signer, scanned)
    ensure_card_usable(scan.card)
    if scan.needs_pin:
        # A printed card's number is on the card for anyone to read, and a quote takes no PIN: it
        # says only what the offer gives, never anything that depends on the balance (the exact
        # balance, or that the card is empty). Redeeming with the PIN applies the balance.
        discount = compute_discount(offer, purchase_amount, UNKNOWN_BALANCE, requested_discount)
    else:
        # The phone's signed, single-use token proves the holder is at the counter.
        balance = session.scalar(select(Account.balance).where(Account.id == scan.card.account_id))
        discount = compute_discount(offer, purchase_amount, balance, requested_discount)
    return Quote(
        card=scan.card,
        needs_pin=scan.needs_pin,
        is_dynamic=scan.is_dynamic,
        offer=offer,
        purchase_amount=purchase_amount,
        discount=discount,
        balance_applied=not scan.needs_pin,
    )


def redeem(
    session: Session,
    signer: TokenSigner,
    till: Till,
    *,
    scanned: str,
    purchase_amount: int,
    requested_discount: int | None = None,
    pin: str | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Redemption:
    """Grant a discount: move it from the card to the shop in one entry and return the receipt.

    A dynamic token is used up in the same transaction; a retry with the same idempotency key
    returns the first redemption.

    :raises QrTokenReplayed: (and the other scan errors of `read_scan`)
    :raises CardNotActive:
    :raises PinRequired:
    :raises WrongPin:
    :raises CardPinLocked:
    :raises MerchantSuspended:
    :raises OfferNotAvailableNow:
    :raises BelowMinimumPurchase:
    :raises InsufficientBalance:
    :raises IdempotencyKeyReused:
    """
    now = now or utc_now()
    shop = lock_shop_for_sale(session, till, key=ledger_key("redeem", till, idempotency_key), now=now)
    replay = shop.replayed(session, Redemption, till, purchase_amount)
    if replay is not None:
        return replay
    debit = debit_scanned_card(
        session, signer, till, shop, scanned=scanned, purchase_amount=purchase_amount,
        requested_discount=requested_discount, pin=pin, into_holds=False, now=now,
    )
    [redemption] = insert_persistent(
        session,
        Redemption,
        [{
            "merchant_id": debit.merchant.id,
            "terminal_id": till.terminal_id,
            "card_id": debit.card.id,
            "offer_version_id": debit.offer.id,
            "hold_id": None,
            "purchase_amount": purchase_amount,
            "discount": debit.amount,
            "refunded_amount": 0,
            "idempotency_key": shop.key,
            "entry_id": debit.entry.id,
            "settlement_date": debit.settlement_date,
            "created_at": now,
        }],
        card=debit.card,  # the receipt shows the holder without reading the card again
    )
    return redemption


def get_redemption(session: Session, till: Till, redemption_id: int) -> Redemption:
    """Return one of the shop's own redemptions.

    :raises RedemptionNotFound:
    :raises RedemptionOfAnotherMerchant:
    """
    return owned_by_till(
        session.get(Redemption, redemption_id), till, RedemptionNotFound, RedemptionOfAnotherMerchant, redemption_id
    )


def refund_redemption(
    session: Session,
    till: Till,
    redemption_id: int,
    *,
    amount: int | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
    policy: RedemptionPolicy = DEFAULT_POLICY,
    now: datetime | None = None,
) -> Refund:
    """Give back all that is left of a redemption, or part of it: shop account → card.

    Only the shop that redeemed may refund, within the refund window, and never more than is left:
    the remainder is taken with one conditional UPDATE, so racing refunds cannot overdraw it.

    :raises RedemptionNotFound:
    :raises RedemptionOfAnotherMerchant:
    :raises RefundWindowClosed:
    :raises RefundExceedsRemaining:
    :raises InvalidAmount:
    :raises MerchantSuspended:
    """
    now = now or utc_now()
    key = ledger_key(f"refund:r{redemption_id}", till, idempotency_key)
    replay = find_replayed(session, Refund, key, redemption_id=redemption_id, **({"amount": amount} if amount else {}))
    if replay is not None:
        return replay
    merchant, _offer = open_till(session, till)
    redemption = get_redemption(session, till, redemption_id)
    if now - redemption.created_at > timedelta(days=policy.refund_window_days):
        raise RefundWindowClosed(window_days=policy.refund_window_days)
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0):
        raise InvalidAmount(amount=amount)
    amount = amount or redemption.refundable
    if amount <= 0:
        raise RefundExceedsRemaining(remaining=0)
    taken = session.execute(
        update(Redemption)
        .where(Redemption.id == redemption_id, Redemption.refunded_amount + amount <= Redemption.discount)
        .values(refunded_amount=Redemption.refunded_amount + amount)
        .returning(Redemption.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.refresh(redemption)
    if taken is None:
        raise RefundExceedsRemaining(remaining=redemption.refundable)
    card = lock_card_holding_points(session, redemption.card_id)
    entry = transfer(
        session,
        kind=EntryKind.REDEMPTION_REFUND,
        from_account_id=merchant.account_id,
        to_account_id=card.account_id,
        amount=amount,
        idempotency_key=key,
        memo_params={"redemption": redemption_id, "shop": merchant.name},
    )
    refund = Refund(
        redemption_id=redemption_id,
        merchant_id=merchant.id,
        terminal_id=till.terminal_id,
        amount=amount,
        reason=reason.strip(),
        idempotency_key=key,
        entry_id=entry.id,
        settlement_date=settlement_date_for(session, merchant.id, seoul_today(now)),
        created_at=now,
    )
    session.add(refund)
    session.flush()
    return refund


def _on_day(statement, column, day: date | None):
    if day is None:
        return statement
    return statement.where(column >= seoul_day_start(day), column < seoul_day_start(day + timedelta(days=1)))


def list_redemptions(
    session: Session, merchant_id: int, *, day: date | None = None, limit: int | None = None, cursor: str | None = None
) -> Page[Redemption]:
    """Return one page of a shop's redemptions, newest first, optionally of one Seoul day.

    :raises InvalidCursor:
    """
    statement = (
        select(Redemption)
        .where(Redemption.merchant_id == merchant_id)
        .options(selectinload(Redemption.card).selectinload(Card.volunteer), selectinload(Redemption.terminal))
    )
    return fetch_page(
        session, _on_day(statement, Redemption.created_at, day), Redemption.id,
        limit=limit, cursor=cursor, newest_first=True,
    )


def list_refunds(
    session: Session, merchant_id: int, *, day: date | None = None, limit: int | None = None, cursor: str | None = None
) -> Page[Refund]:
    """Return one page of a shop's refunds, newest first, optionally of one Seoul day.

    :raises InvalidCursor:
    """
    statement = select(Refund).where(Refund.merchant_id == merchant_id).options(selectinload(Refund.redemption))
    return fetch_page(
        session, _on_day(statement, Refund.created_at, day), Refund.id, limit=limit, cursor=cursor, newest_first=True
    )
