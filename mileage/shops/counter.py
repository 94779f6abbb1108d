"""What happens at the counter, for sales and holds alike: the discount rule and the debit of the scanned card.

The order inside every money-moving service is fixed, and it is what keeps them safe together:

1. the shop row, share-locked (a suspension or a settlement closure waits for us);
2. the card row, locked (one redemption per card at a time; a reissue waits for us);
3. the ledger accounts, locked in account-id order (no deadlock with refunds going the other way).

Nothing is written before a PIN is checked, so a wrong PIN commits only its own count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from mileage.cards.lookup import ensure_card_usable
from mileage.cards.pins import verify_pin
from mileage.cards.qr import ScannedCard, read_scan, use_qr_token
from mileage.clock import seoul_today
from mileage.errors import (
    BelowMinimumPurchase,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidAmount,
    MerchantHasNoOffer,
    MerchantNotFound,
    NoDiscountForPurchase,
    PartialPaymentNotAllowed,
    PinRequired,
)
from mileage.ledger import lock_accounts, system_account, transfer
from mileage.models import (
    AccountKind,
    Card,
    EntryKind,
    JournalEntry,
    Merchant,
    OfferVersion,
    PeriodKind,
    SettlementClosure,
)
from mileage.people.tokens import TokenSigner
from mileage.shops.merchants import ensure_merchant_may_trade, lock_merchant_for_trade
from mileage.shops.offers import current_offer, ensure_offer_applies
from mileage.shops.settlement import month_start, settlement_date_for
from mileage.shops.terminals import ensure_terminal_may_trade

BASIS_POINTS = 10_000


# The journal's idempotency keys are at most 200 characters; longer caller keys are hashed.
MAX_LEDGER_KEY_LENGTH = 200


@dataclass(frozen=True)
class RedemptionPolicy:
    """The centre's rules for shops; both values can be configured."""

    refund_window_days: int = 7
    hold_minutes: int = 10


DEFAULT_POLICY = RedemptionPolicy()


@dataclass(frozen=True)
class Till:
    """Who is redeeming: a terminal of a shop (from the caller's principal)."""

    merchant_id: int
    terminal_id: int


@dataclass(frozen=True)
class Quote:
    """What a purchase would get with a scanned card, without moving anything."""

    card: Card
    needs_pin: bool
    is_dynamic: bool
    offer: OfferVersion
    purchase_amount: int
    discount: int
    # False for a printed card's quote: the discount ignores the balance, which redeeming applies.
    balance_applied: bool = True

    @property
    def holder_name(self) -> str:
        return self.card.volunteer.masked_name

    @property
    def amount_to_pay(self) -> int:
        return self.purchase_amount - self.discount


def ensure_purchase_qualifies(offer: OfferVersion, purchase_amount: int) -> None:
    """Refuse a purchase that is not a positive whole number or is below the offer's minimum.

    :raises InvalidAmount:
    :raises BelowMinimumPurchase:
    """
    if not isinstance(purchase_amount, int) or isinstance(purchase_amount, bool) or purchase_amount <= 0:
        raise InvalidAmount(amount=purchase_amount)
    if purchase_amount < offer.min_purchase:
        raise BelowMinimumPurchase(min_purchase=offer.min_purchase)


def compute_discount(offer: OfferVersion, purchase_amount: int, balance: int, asked: int | None = None) -> int:
    """Return min(purchase × rate rounded down, the offer's cap, its share of the bill, the balance, the amount asked).

    With "no partial payment", the points pay that whole discount or nothing.

    :raises InvalidAmount: the amount asked is not a positive whole number.
    :raises BelowMinimumPurchase:
    :raises InsufficientBalance: the card holds no points.
    :raises NoDiscountForPurchase: the purchase is too small for the rate to give a whole point.
    :raises PartialPaymentNotAllowed: the balance or the amount asked is below the whole discount.
    """
    ensure_purchase_qualifies(offer, purchase_amount)
    if asked is not None and (not isinstance(asked, int) or isinstance(asked, bool) or asked <= 0):
        raise InvalidAmount(amount=asked)
    if balance <= 0:
        raise InsufficientBalance(available=max(balance, 0), requested=asked or 0)
    by_rate = purchase_amount * offer.rate_bp // BASIS_POINTS
    if by_rate <= 0:
        raise NoDiscountForPurchase(purchase_amount=purchase_amount)
    full = min(by_rate, offer.max_discount, points_share_limit(offer, purchase_amount))
    granted = min(full, balance, asked if asked is not None else full)
    if offer.no_partial_payment and granted < full:
        raise PartialPaymentNotAllowed(required=full)
    return granted


def points_share_limit(offer: OfferVersion, purchase_amount: int) -> int:
    """Return the most points may pay of a bill: the offer's share of it (NW: 10 %), or all of it."""
    if offer.max_share_bp is None:
        return purchase_amount
    return purchase_amount * offer.max_share_bp // BASIS_POINTS


def ledger_key(action: str, till: Till, idempotency_key: str | None) -> str | None:
    """Derive the journal's key from the caller's, scoped to the terminal so tills cannot collide."""
    if idempotency_key is None:
        return None
    key = f"{action}:t{till.terminal_id}:{idempotency_key}"
    if len(key) > MAX_LEDGER_KEY_LENGTH:
        key = f"{action}:t{till.terminal_id}:sha256:{hashlib.sha256(idempotency_key.encode()).hexdigest()}"
    return key


def open_till(session: Session, till: Till):
    """Check the terminal and share-lock its shop; return the shop and its offer in force."""
    ensure_terminal_may_trade(session, till.merchant_id, till.terminal_id)
    merchant = lock_merchant_for_trade(session, till.merchant_id)
    return merchant, current_offer(session, merchant.id)


def _shop_for_sale_statement():
    """Build the one statement `lock_shop_for_sale` sends, with the shop, its Seoul day and the key as parameters."""
    merchant_id = bindparam("merchant_id")
    day_closed = exists().where(
        SettlementClosure.merchant_id == merchant_id,
        or_(
            and_(SettlementClosure.period_kind == str(PeriodKind.DAY),
                 SettlementClosure.period_start == bindparam("day")),
            and_(SettlementClosure.period_kind == str(PeriodKind.MONTH),
                 SettlementClosure.period_start == bindparam("month")),
        ),
    )
    newest_offer = (
        select(OfferVersion.id)
        .where(OfferVersion.merchant_id == merchant_id)
        .order_by(OfferVersion.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    key_outcome = select(JournalEntry.kind).where(JournalEntry.idempotency_key == bindparam("key")).scalar_subquery()
    return (
        select(Merchant, OfferVersion, day_closed.label("day_closed"), key_outcome.label("key_outcome"))
        .outerjoin(OfferVersion, OfferVersion.id == newest_offer)
        .where(Merchant.id == merchant_id)
        .with_for_update(read=True, of=Merchant)
        .execution_options(populate_existing=True)
    )


# Built once: every sale sends it, and building it cost more CPU than running it.
_SHOP_FOR_SALE = _shop_for_sale_statement()


@dataclass(frozen=True)
class ShopAtSale:
    """The shop share-locked for a sale or a hold, what its key already did, and the day it settles on."""

    merchant: Merchant
    offer: OfferVersion | None
    settlement_date: date
    # The sale's ledger key (`ledger_key`), and the kind of entry it already posted (`EntryKind.REFUSAL`
    # if it was refused), or None.
    key: str | None
    key_outcome: str | None

    def replayed(self, session: Session, receipt_model, till: Till, purchase_amount: int):
        """Return the receipt (a redemption or a hold) a retried sale's key already bought, or None.

        :raises IdempotencyKeyReused: the key bought something else.
        """
        if self.key_outcome is None or self.key_outcome == EntryKind.REFUSAL:
            return None
        return find_replayed(
            session, receipt_model, self.key, terminal_id=till.terminal_id, purchase_amount=purchase_amount
        )


def lock_shop_for_sale(session: Session, till: Till, *, key: str | None, now: datetime) -> ShopAtSale:
    """Check the terminal and share-lock its shop as `lock_merchant_for_trade` does, without refusing anything yet.

    One statement reads the shop, its newest offer version, whether the day (or its month) is
    already closed, and what the ledger key already posted: one look-up answers both questions a
    key asks (did it buy something, was it refused for good). The day is almost never closed, and
    then no other query is needed; otherwise `settlement_date_for` finds the next open day. All are
    read under the share lock, so a closure cannot commit in between. The shop's refusals come in
    `debit_scanned_card`, after a retried sale has had the chance to replay its receipt.

    :raises TerminalRevoked:
    :raises MerchantNotFound:
    """
    ensure_terminal_may_trade(session, till.merchant_id, till.terminal_id)
    day = seoul_today(now)
    row = session.execute(
        _SHOP_FOR_SALE, {"merchant_id": till.merchant_id, "day": day, "month": month_start(day), "key": key}
    ).first()
    if row is None:
        raise MerchantNotFound(merchant_id=till.merchant_id)
    merchant, offer, closed, key_outcome = row
    return ShopAtSale(
        merchant=merchant,
        offer=offer,
        settlement_date=settlement_date_for(session, merchant.id, day) if closed else day,
        key=key,
        key_outcome=key_outcome,
    )


def _check_pin(session: Session, scan: ScannedCard, pin: str | None) -> None:
    """Check the PIN a printed card needs; a phone's token needs none.

    :raises PinRequired:
    :raises WrongPin: counted toward the lock; the count is kept although the request fails.
    :raises CardPinLocked:
    """
    if not scan.needs_pin:
        return
    if not pin:
        raise PinRequired()
    verify_pin(session, scan.card, pin)


def find_replayed(session: Session, model, key: str | None, **expected):
    """Return what an idempotency key already produced, if anything; refuse it for another request.

    :raises IdempotencyKeyReused:
    """
    if key is None:
        return None
    found = session.scalar(select(model).where(model.idempotency_key == key))
    if found is not None and any(getattr(found, name) != value for name, value in expected.items()):
        raise IdempotencyKeyReused(idempotency_key=key)
    return found


def owned_by_till(record, till: Till, not_found, not_owner, record_id: int):
    """Return a shop's record if it exists and is this shop's.

    :raises: `not_found` or `not_owner`, with the record's id.
    """
    if record is None:
        raise not_found(id=record_id)
    if record.merchant_id != till.merchant_id:
        raise not_owner(id=record_id)
    return record


@dataclass(frozen=True)
class CounterDebit:
    """What the checks at the counter found, and the entry that took the points off the card."""

    merchant: Merchant
    offer: OfferVersion
    card: Card
    amount: int
    entry: JournalEntry
    # The day a sale made now settles on: today, or the next open day if today is closed.
    settlement_date: date


def debit_scanned_card(
    session: Session,
    signer: TokenSigner,
    till: Till,
    shop: ShopAtSale,
    *,
    scanned: str,
    purchase_amount: int,
    requested_discount: int | None,
    pin: str | None,
    into_holds: bool,
    now: datetime,
) -> CounterDebit:
    """Run every counter check, then move the discount off the scanned card: to the shop, or into holds.

    The order is the one both sales and holds rely on: shop and offer first (`lock_shop_for_sale`),
    then the card row lock, the token used up (in the same transaction as the entry) and the PIN,
    then both balances locked in account-id order.

    :raises MerchantSuspended:
    :raises MerchantNotActive:
    :raises MerchantHasNoOffer:
    """
    ensure_merchant_may_trade(shop.merchant)
    if shop.offer is None:
        raise MerchantHasNoOffer(merchant_id=shop.merchant.id)
    merchant, offer = shop.merchant, shop.offer
    ensure_offer_applies(offer, now)
    ensure_purchase_qualifies(offer, purchase_amount)
    # The card is locked as it is read (it comes with its volunteer, for the receipt), and a phone's
    # token is used up at once: the insert that marks it used is what refuses a replay.
    scan = read_scan(session, signer, scanned, for_sale=True)
    use_qr_token(session, scan)
    ensure_card_usable(scan.card)
    _check_pin(session, scan, pin)
    destination = system_account(session, AccountKind.HOLDS).id if into_holds else merchant.account_id
    # Locked in account-id order, as the ledger locks; the ledger then posts against these locks.
    locked = lock_accounts(session, (scan.card.account_id, destination))
    amount = compute_discount(offer, purchase_amount, locked[scan.card.account_id][0], requested_discount)
    entry = transfer(
        session,
        kind=EntryKind.HOLD if into_holds else EntryKind.REDEMPTION,
        from_account_id=scan.card.account_id,
        to_account_id=destination,
        amount=amount,
        idempotency_key=shop.key,
        memo_params={"shop": merchant.name},
        # The shop's read just asked the key: unless it was refused for good, nothing is there.
        replay_checked=shop.key_outcome is None,
        locked=locked,
        # Every failure here fails the whole request, which is rolled back: no savepoint needed.
        atomic=False,
    )
    return CounterDebit(
        merchant=merchant, offer=offer, card=scan.card, amount=amount, entry=entry,
        settlement_date=shop.settlement_date,
    )
