"""Discounts at partner shops: quote, redeem, two-phase holds, refunds, and the shop's own lists.

The order inside every money-moving service is fixed, and it is what keeps them safe together:

1. the shop row, share-locked (a suspension or a settlement closure waits for us);
2. the card row, locked (one redemption per card at a time; a reissue waits for us);
3. the ledger accounts, locked in account-id order (no deadlock with refunds going the other way).

Nothing is written before a PIN is checked, so a wrong PIN commits only its own count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from mileage.auth import TokenSigner
from mileage.cards import ensure_card_usable, lock_card_holding_points, verify_pin
from mileage.clock import seoul_day_start, seoul_today, utc_now
from mileage.errors import (
    BelowMinimumPurchase,
    CaptureExceedsHold,
    HoldExpired,
    HoldNotFound,
    HoldNotOpen,
    HoldOfAnotherMerchant,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidAmount,
    NoDiscountForPurchase,
    PinRequired,
    RedemptionNotFound,
    RedemptionOfAnotherMerchant,
    RefundExceedsRemaining,
    RefundWindowClosed,
)
from mileage.ledger import Leg, post_entry, system_account, transfer
from mileage.merchants import current_offer, ensure_offer_applies, ensure_terminal_may_trade, lock_merchant_for_trade
from mileage.models import (
    Account,
    AccountKind,
    Card,
    Hold,
    HoldStatus,
    JournalEntry,
    Merchant,
    OfferVersion,
    Redemption,
    Refund,
)
from mileage.pagination import Page, fetch_page
from mileage.qr_tokens import ScannedCard, read_scan, use_qr_token
from mileage.settlement import settlement_date_for

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

    @property
    def holder_name(self) -> str:
        return self.card.volunteer.masked_name

    @property
    def amount_to_pay(self) -> int:
        return self.purchase_amount - self.discount


# --- the discount rule ----------------------------------------------------------------------

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
    """Return min(purchase × rate rounded down, the offer's cap, the balance, the amount asked).

    :raises InvalidAmount: the amount asked is not a positive whole number.
    :raises BelowMinimumPurchase:
    :raises InsufficientBalance: the card holds no points.
    :raises NoDiscountForPurchase: the purchase is too small for the rate to give a whole point.
    """
    ensure_purchase_qualifies(offer, purchase_amount)
    if asked is not None and (not isinstance(asked, int) or isinstance(asked, bool) or asked <= 0):
        raise InvalidAmount(amount=asked)
    if balance <= 0:
        raise InsufficientBalance(available=max(balance, 0), requested=asked or 0)
    by_rate = purchase_amount * offer.rate_bp // BASIS_POINTS
    if by_rate <= 0:
        raise NoDiscountForPurchase(purchase_amount=purchase_amount)
    return min(by_rate, offer.max_discount, balance, asked if asked is not None else by_rate)


# --- shared steps ---------------------------------------------------------------------------

def _ledger_key(action: str, till: Till, idempotency_key: str | None) -> str | None:
    """Derive the journal's key from the caller's, scoped to the terminal so tills cannot collide."""
    if idempotency_key is None:
        return None
    key = f"{action}:t{till.terminal_id}:{idempotency_key}"
    if len(key) > MAX_LEDGER_KEY_LENGTH:
        key = f"{action}:t{till.terminal_id}:sha256:{hashlib.sha256(idempotency_key.encode()).hexdigest()}"
    return key


def _open_till(session: Session, till: Till):
    """Check the terminal and share-lock its shop; return the shop and its offer in force."""
    ensure_terminal_may_trade(session, till.merchant_id, till.terminal_id)
    merchant = lock_merchant_for_trade(session, till.merchant_id)
    return merchant, current_offer(session, merchant.id)


def _lock_card(session: Session, card: Card) -> None:
    """Lock the card row and reread it, then refuse it if it cannot be used."""
    session.refresh(card, with_for_update=True)
    ensure_card_usable(card)


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


def _lock_balances(session: Session, card_account_id: int, other_account_id: int) -> int:
    """Lock both accounts in id order, as the ledger will, and return the card's balance."""
    balances = dict(
        session.execute(
            select(Account.id, Account.balance)
            .where(Account.id.in_((card_account_id, other_account_id)))
            .order_by(Account.id)
            .with_for_update()
        ).all()
    )
    return balances[card_account_id]


def _replayed(session: Session, model, key: str | None, **expected):
    """Return what an idempotency key already produced, if anything; refuse it for another request.

    :raises IdempotencyKeyReused:
    """
    if key is None:
        return None
    found = session.scalar(select(model).where(model.idempotency_key == key))
    if found is not None and any(getattr(found, name) != value for name, value in expected.items()):
        raise IdempotencyKeyReused(idempotency_key=key)
    return found


def _owned(record, till: Till, not_found, not_owner, record_id: int):
    if record is None:
        raise not_found(id=record_id)
    if record.merchant_id != till.merchant_id:
        raise not_owner(id=record_id)
    return record


# --- quote and redeem -----------------------------------------------------------------------

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
    balance = session.scalar(select(Account.balance).where(Account.id == scan.card.account_id))
    return Quote(
        card=scan.card,
        needs_pin=scan.needs_pin,
        is_dynamic=scan.is_dynamic,
        offer=offer,
        purchase_amount=purchase_amount,
        discount=compute_discount(offer, purchase_amount, balance, requested_discount),
    )


@dataclass(frozen=True)
class _CounterDebit:
    """What the checks at the counter found, and the entry that took the points off the card."""

    merchant: Merchant
    offer: OfferVersion
    card: Card
    amount: int
    entry: JournalEntry


def _debit_scanned_card(
    session: Session,
    signer: TokenSigner,
    till: Till,
    *,
    scanned: str,
    purchase_amount: int,
    requested_discount: int | None,
    pin: str | None,
    key: str | None,
    into_holds: bool,
    now: datetime,
) -> _CounterDebit:
    """Run every counter check, then move the discount off the scanned card: to the shop, or into holds.

    The order is the one both sales and holds rely on: shop and offer first, then the card row lock
    and its PIN, then both balances locked in account-id order, and the token used up last, in the
    same transaction as the entry.
    """
    merchant, offer = _open_till(session, till)
    ensure_offer_applies(offer, now)
    ensure_purchase_qualifies(offer, purchase_amount)
    scan = read_scan(session, signer, scanned)
    _lock_card(session, scan.card)
    _check_pin(session, scan, pin)
    destination = system_account(session, AccountKind.HOLDS).id if into_holds else merchant.account_id
    balance = _lock_balances(session, scan.card.account_id, destination)
    amount = compute_discount(offer, purchase_amount, balance, requested_discount)
    use_qr_token(session, scan)
    entry = transfer(
        session,
        kind="hold" if into_holds else "redemption",
        from_account_id=scan.card.account_id,
        to_account_id=destination,
        amount=amount,
        idempotency_key=key,
        memo=f"{'hold' if into_holds else 'discount'} at {merchant.name}",
    )
    return _CounterDebit(merchant=merchant, offer=offer, card=scan.card, amount=amount, entry=entry)


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
    key = _ledger_key("redeem", till, idempotency_key)
    replay = _replayed(session, Redemption, key, terminal_id=till.terminal_id, purchase_amount=purchase_amount)
    if replay is not None:
        return replay
    debit = _debit_scanned_card(
        session, signer, till, scanned=scanned, purchase_amount=purchase_amount,
        requested_discount=requested_discount, pin=pin, key=key, into_holds=False, now=now,
    )
    redemption = Redemption(
        merchant_id=debit.merchant.id,
        terminal_id=till.terminal_id,
        card=debit.card,  # the object, not its id: the receipt shows it without reading it again
        offer_version_id=debit.offer.id,
        purchase_amount=purchase_amount,
        discount=debit.amount,
        refunded_amount=0,
        idempotency_key=key,
        entry_id=debit.entry.id,
        settlement_date=settlement_date_for(session, debit.merchant.id, seoul_today(now)),
        created_at=now,
    )
    session.add(redemption)
    session.flush()
    return redemption


def get_redemption(session: Session, till: Till, redemption_id: int) -> Redemption:
    """Return one of the shop's own redemptions.

    :raises RedemptionNotFound:
    :raises RedemptionOfAnotherMerchant:
    """
    return _owned(
        session.get(Redemption, redemption_id), till, RedemptionNotFound, RedemptionOfAnotherMerchant, redemption_id
    )


# --- refunds --------------------------------------------------------------------------------

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
    key = _ledger_key(f"refund:r{redemption_id}", till, idempotency_key)
    replay = _replayed(session, Refund, key, redemption_id=redemption_id, **({"amount": amount} if amount else {}))
    if replay is not None:
        return replay
    merchant, _offer = _open_till(session, till)
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
        kind="redemption_refund",
        from_account_id=merchant.account_id,
        to_account_id=card.account_id,
        amount=amount,
        idempotency_key=key,
        memo=f"refund of redemption {redemption_id} at {merchant.name}",
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


# --- two-phase holds ------------------------------------------------------------------------

def authorize_hold(
    session: Session,
    signer: TokenSigner,
    till: Till,
    *,
    scanned: str,
    purchase_amount: int,
    requested_discount: int | None = None,
    pin: str | None = None,
    idempotency_key: str | None = None,
    policy: RedemptionPolicy = DEFAULT_POLICY,
    now: datetime | None = None,
) -> Hold:
    """Park a discount's points in the holds account until the sale is captured, voided or expires.

    Held points have left the card, so they cannot be spent twice.

    :raises: the same refusals as `redeem`.
    """
    now = now or utc_now()
    key = _ledger_key("authorize", till, idempotency_key)
    replay = _replayed(session, Hold, key, terminal_id=till.terminal_id, purchase_amount=purchase_amount)
    if replay is not None:
        return replay
    debit = _debit_scanned_card(
        session, signer, till, scanned=scanned, purchase_amount=purchase_amount,
        requested_discount=requested_discount, pin=pin, key=key, into_holds=True, now=now,
    )
    hold = Hold(
        merchant_id=debit.merchant.id,
        terminal_id=till.terminal_id,
        card_id=debit.card.id,
        offer_version_id=debit.offer.id,
        purchase_amount=purchase_amount,
        amount=debit.amount,
        status=HoldStatus.HELD,
        expires_at=now + timedelta(minutes=policy.hold_minutes),
        idempotency_key=key,
        authorize_entry_id=debit.entry.id,
        created_at=now,
    )
    session.add(hold)
    session.flush()
    return hold


def get_hold(session: Session, till: Till, hold_id: int) -> Hold:
    """Return one of the shop's own holds.

    :raises HoldNotFound:
    :raises HoldOfAnotherMerchant:
    """
    return _owned(session.get(Hold, hold_id), till, HoldNotFound, HoldOfAnotherMerchant, hold_id)


def _settle_hold(session: Session, hold: Hold, target: HoldStatus, now: datetime, *, must_be_live: bool) -> None:
    """Move a held hold to its final status with one conditional UPDATE; only one settlement wins.

    :raises HoldExpired: a capture (`must_be_live`) of a hold past its expiry, swept or not.
    :raises HoldNotOpen: the hold was already settled.
    """
    condition = [Hold.id == hold.id, Hold.status == str(HoldStatus.HELD)]
    if must_be_live:
        condition.append(Hold.expires_at > now)
    changed = session.execute(
        update(Hold).where(*condition).values(status=str(target), settled_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed == 1:
        return
    session.refresh(hold)
    if must_be_live and hold.status in (HoldStatus.HELD, HoldStatus.EXPIRED):
        raise HoldExpired(hold_id=hold.id)
    raise HoldNotOpen(hold_id=hold.id, status=hold.status)


def capture_hold(
    session: Session,
    till: Till,
    hold_id: int,
    *,
    amount: int | None = None,
    final_purchase_amount: int | None = None,
    now: datetime | None = None,
) -> Redemption:
    """Take all of a hold or part of it as the discount; the rest goes back to the card.

    With the final purchase amount, the discount is recomputed with the offer the hold was made
    under, and never exceeds what is held. An expired hold can never be captured.

    :raises HoldNotFound:
    :raises HoldOfAnotherMerchant:
    :raises HoldExpired:
    :raises HoldNotOpen:
    :raises CaptureExceedsHold:
    :raises BelowMinimumPurchase:
    """
    now = now or utc_now()
    merchant, _offer = _open_till(session, till)
    hold = get_hold(session, till, hold_id)
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0):
        raise InvalidAmount(amount=amount)
    if amount is not None and amount > hold.amount:
        raise CaptureExceedsHold(held=hold.amount)
    purchase_amount = final_purchase_amount or hold.purchase_amount
    captured = hold.amount if amount is None else amount
    if final_purchase_amount is not None:
        captured = compute_discount(hold.offer, final_purchase_amount, hold.amount, captured)
    _settle_hold(session, hold, HoldStatus.CAPTURED, now, must_be_live=True)
    holds_account = system_account(session, AccountKind.HOLDS)
    legs = [Leg(holds_account.id, -hold.amount), Leg(merchant.account_id, captured)]
    if captured < hold.amount:
        legs.append(Leg(lock_card_holding_points(session, hold.card_id).account_id, hold.amount - captured))
    entry = post_entry(
        session, kind="hold_capture", legs=legs, idempotency_key=f"hold:{hold.id}:settle",
        memo=f"capture of hold {hold.id} at {merchant.name}",
    )
    hold.settle_entry_id = entry.id
    redemption = Redemption(
        merchant_id=merchant.id,
        terminal_id=till.terminal_id,
        card_id=hold.card_id,
        offer_version_id=hold.offer_version_id,
        hold_id=hold.id,
        purchase_amount=purchase_amount,
        discount=captured,
        refunded_amount=0,
        entry_id=entry.id,
        settlement_date=settlement_date_for(session, merchant.id, seoul_today(now)),
        created_at=now,
    )
    session.add(redemption)
    session.flush()
    return redemption


def _release_hold(session: Session, hold: Hold, target: HoldStatus, now: datetime) -> Hold:
    """Return a hold's points to the card and mark it voided or expired."""
    _settle_hold(session, hold, target, now, must_be_live=False)
    card = lock_card_holding_points(session, hold.card_id)
    entry = transfer(
        session,
        kind="hold_release",
        from_account_id=system_account(session, AccountKind.HOLDS).id,
        to_account_id=card.account_id,
        amount=hold.amount,
        idempotency_key=f"hold:{hold.id}:settle",
        memo=f"{target} hold {hold.id}",
    )
    hold.settle_entry_id = entry.id
    session.flush()
    session.refresh(hold)
    return hold


def void_hold(session: Session, till: Till, hold_id: int, *, now: datetime | None = None) -> Hold:
    """Release a hold the shop no longer needs; its points return to the card.

    :raises HoldNotFound:
    :raises HoldOfAnotherMerchant:
    :raises HoldNotOpen:
    """
    ensure_terminal_may_trade(session, till.merchant_id, till.terminal_id)
    hold = get_hold(session, till, hold_id)
    return _release_hold(session, hold, HoldStatus.VOIDED, now or utc_now())


def sweep_expired_holds(session: Session, *, now: datetime | None = None, limit: int = 100) -> int:
    """Release up to `limit` holds past their expiry, returning their points; return how many.

    Safe to run from several places at once: each hold is settled by one conditional UPDATE.
    """
    now = now or utc_now()
    expired = list(
        session.scalars(
            select(Hold)
            .where(Hold.status == str(HoldStatus.HELD), Hold.expires_at <= now)
            .order_by(Hold.id)
            .limit(limit)
        )
    )
    released = 0
    for hold in expired:
        try:
            _release_hold(session, hold, HoldStatus.EXPIRED, now)
        except HoldNotOpen:
            continue  # captured or voided by someone else a moment ago
        released += 1
    return released


# --- the shop's own lists -------------------------------------------------------------------

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
