"""Two-phase holds: a discount's points parked until the sale is captured, voided, or expires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.cards.lookup import lock_card_holding_points
from mileage.clock import seoul_today, utc_now
from mileage.db import run_in_transaction, update_rows
from mileage.errors import (
    CaptureExceedsHold,
    HoldExpired,
    HoldNotFound,
    HoldNotOpen,
    HoldOfAnotherMerchant,
    InvalidAmount,
)
from mileage.ledger import Leg, post_entry, system_account, transfer
from mileage.models import (
    AccountKind,
    EntryKind,
    Hold,
    HoldStatus,
    Redemption,
)
from mileage.people.tokens import TokenSigner
from mileage.shops.counter import (
    DEFAULT_POLICY,
    RedemptionPolicy,
    Till,
    compute_discount,
    debit_scanned_card,
    ledger_key,
    lock_shop_for_sale,
    open_till,
    owned_by_till,
)
from mileage.shops.settlement import settlement_date_for
from mileage.shops.terminals import ensure_terminal_may_trade


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
    shop = lock_shop_for_sale(session, till, key=ledger_key("authorize", till, idempotency_key), now=now)
    replay = shop.replayed(session, Hold, till, purchase_amount)
    if replay is not None:
        return replay
    debit = debit_scanned_card(
        session, signer, till, shop, scanned=scanned, purchase_amount=purchase_amount,
        requested_discount=requested_discount, pin=pin, into_holds=True, now=now,
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
        idempotency_key=shop.key,
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
    return owned_by_till(session.get(Hold, hold_id), till, HoldNotFound, HoldOfAnotherMerchant, hold_id)


def _settle_hold(session: Session, hold: Hold, target: HoldStatus, now: datetime, *, must_be_live: bool) -> None:
    """Move a held hold to its final status with one conditional UPDATE; only one settlement wins.

    :raises HoldExpired: a capture (`must_be_live`) of a hold past its expiry, swept or not.
    :raises HoldNotOpen: the hold was already settled.
    """
    condition = [Hold.id == hold.id, Hold.status == str(HoldStatus.HELD)]
    if must_be_live:
        condition.append(Hold.expires_at > now)
    changed = update_rows(session, Hold, *condition, status=str(target), settled_at=now)
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
    merchant, _offer = open_till(session, till)
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
    # The card before the accounts, as every money path locks, even when none of its points come
    # back: the hold row changes twice in this transaction, so PostgreSQL checks its card again when
    # the entry is recorded on it, and a sale holding that card while it waits for these accounts
    # would deadlock with this capture.
    card = lock_card_holding_points(session, hold.card_id)
    holds_account = system_account(session, AccountKind.HOLDS)
    legs = [Leg(holds_account.id, -hold.amount), Leg(merchant.account_id, captured)]
    if captured < hold.amount:
        legs.append(Leg(card.account_id, hold.amount - captured))
    entry = post_entry(
        session, kind=EntryKind.HOLD_CAPTURE, legs=legs, idempotency_key=f"hold:{hold.id}:settle",
        memo_params={"hold": hold.id, "shop": merchant.name},
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
        kind=EntryKind.HOLD_RELEASE,
        from_account_id=system_account(session, AccountKind.HOLDS).id,
        to_account_id=card.account_id,
        amount=hold.amount,
        idempotency_key=f"hold:{hold.id}:settle",
        memo_params={"hold": hold.id},
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


def release_all_expired_holds(
    session_factory: Callable[[], Session], *, batch: int = 100, now: datetime | None = None
) -> int:
    """Release every hold past its expiry, one transaction per batch; return how many were released.

    A long backlog never holds locks for long, and a crash between batches loses nothing: the
    holds not yet released are still past their expiry on the next run.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    released = 0
    while True:
        count = run_in_transaction(session_factory, lambda session: sweep_expired_holds(session, now=now, limit=batch))
        released += count
        if count < batch:
            return released
