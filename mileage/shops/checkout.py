"""The counter's one scan for both discounts: the tier benefit (no points) and the points discount.

`preview_checkout` says what the cashier will see; `checkout` grants both in one transaction: the
points through `redemptions.redeem` (its locks, PIN and idempotency), the benefit as a recorded use.
The tier discount and the points discount are each taken from the bill as printed; together they
never exceed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mileage.cards.lookup import ensure_card_usable
from mileage.cards.qr import read_scan, use_qr_token
from mileage.errors import (
    BelowMinimumPurchase,
    DomainError,
    InsufficientBalance,
    InvalidAmount,
    MerchantHasNoOffer,
    NoDiscountForPurchase,
    OfferNotAvailableNow,
    PartialPaymentNotAllowed,
)
from mileage.models import BenefitUse, Card, Redemption
from mileage.people.tokens import TokenSigner
from mileage.shops import benefits, redemptions
from mileage.shops.counter import Quote, Till, ledger_key
from mileage.shops.merchants import lock_merchant_for_trade
from mileage.shops.terminals import ensure_terminal_may_trade

# Refusals of the points discount that leave a tier benefit standing on its own.
POINTS_REFUSALS = (InsufficientBalance, NoDiscountForPurchase, MerchantHasNoOffer, OfferNotAvailableNow,
                   BelowMinimumPurchase, PartialPaymentNotAllowed)
# The points refusals that only a PIN-checked sale of a printed card can find: they depend on the balance.
BALANCE_REFUSALS = (InsufficientBalance, PartialPaymentNotAllowed)


class _BothDiscounts:
    """What a preview and a checkout both tell the cashier: the holder, the tier, what is left to pay."""

    card: Card
    purchase_amount: int
    benefit: benefits.BenefitQuote
    discount: int
    points_refusal: DomainError | None

    @property
    def holder_name(self) -> str:
        return self.card.volunteer.masked_name

    @property
    def tier(self) -> str | None:
        return self.benefit.tier

    @property
    def amount_to_pay(self) -> int:
        return max(0, self.purchase_amount - self.benefit.amount - self.discount)


@dataclass(frozen=True)
class CounterPreview(_BothDiscounts):
    """What one scan gives a purchase: the tier and its discount, the points discount, what is left to pay."""

    card: Card
    is_dynamic: bool
    needs_pin: bool
    purchase_amount: int
    benefit: benefits.BenefitQuote
    quote: Quote | None
    points_refusal: DomainError | None

    @property
    def discount(self) -> int:
        return self.quote.discount if self.quote is not None else 0



@dataclass(frozen=True)
class Checkout(_BothDiscounts):
    """What was granted: the points redemption (if any) and the tier benefit use (if any)."""

    card: Card
    purchase_amount: int
    benefit: benefits.BenefitQuote
    benefit_use: BenefitUse | None
    redemption: Redemption | None
    points_refusal: DomainError | None = None

    @property
    def discount(self) -> int:
        return self.redemption.discount if self.redemption is not None else 0



def preview_checkout(
    session: Session, signer: TokenSigner, till: Till, *, scanned: str, purchase_amount: int,
    requested_discount: int | None = None, now: datetime | None = None,
) -> CounterPreview:
    """Tell both discounts a purchase would get with a scanned card; moves nothing, uses up nothing.

    :raises InvalidAmount:
    :raises QrTokenInvalid: (and the other scan errors)
    :raises CardNotActive:
    :raises InsufficientBalance: (or another points refusal) when there is no tier benefit either.
    """
    if not isinstance(purchase_amount, int) or isinstance(purchase_amount, bool) or purchase_amount <= 0:
        raise InvalidAmount(amount=purchase_amount)
    ensure_terminal_may_trade(session, till.merchant_id, till.terminal_id)
    scan = read_scan(session, signer, scanned)
    ensure_card_usable(scan.card)
    benefit = benefits.benefit_for(session, till.merchant_id, scan.card, purchase_amount)
    quote, refusal = None, None
    try:
        quote = redemptions.quote(session, signer, till, scanned=scanned, purchase_amount=purchase_amount,
                                  requested_discount=requested_discount, now=now)
    except POINTS_REFUSALS as error:
        if benefit.amount <= 0:
            raise
        refusal = error
    return CounterPreview(card=scan.card, is_dynamic=scan.is_dynamic, needs_pin=scan.needs_pin and quote is not None,
                          purchase_amount=purchase_amount, benefit=benefit, quote=quote, points_refusal=refusal)


def checkout(
    session: Session, signer: TokenSigner, till: Till, *, scanned: str, purchase_amount: int,
    requested_discount: int | None = None, pin: str | None = None, use_points: bool = True,
    idempotency_key: str | None = None, now: datetime | None = None,
) -> Checkout:
    """Grant the tier benefit and (unless declined or impossible) the points discount, in one transaction.

    :raises InvalidAmount:
    :raises QrTokenReplayed: (and the other scan errors)
    :raises PinRequired: (and the other redemption refusals) when points are used.
    :raises InsufficientBalance: (or another points refusal) when there is no tier benefit either.
    """
    preview = preview_checkout(session, signer, till, scanned=scanned, purchase_amount=purchase_amount,
                               requested_discount=requested_discount, now=now)
    benefit_key = ledger_key("benefit", till, idempotency_key)
    redemption, refusal = None, preview.points_refusal
    # Only a printed card can fall back after its PIN; a phone's token is single-use, so its retry
    # never reaches a second outcome and needs no look-up on the counter's path.
    fell_back = preview.needs_pin and benefits.given_alone(session, benefit_key)
    if use_points and preview.quote is not None and not fell_back:
        savepoint = session.begin_nested()
        try:
            redemption = redemptions.redeem(
                session, signer, till, scanned=scanned, purchase_amount=purchase_amount,
                requested_discount=requested_discount, pin=pin, idempotency_key=idempotency_key, now=now,
            )
        except BALANCE_REFUSALS as error:
            # A printed card's balance shows only once its PIN is right: too few points then still
            # leave the tier benefit, and the key's one outcome is that benefit alone.
            savepoint.rollback()
            if preview.benefit.amount <= 0:
                raise
            refusal = error
        else:
            savepoint.commit()
        # Any other refusal (a wrong PIN is counted) is the unit's to end, savepoint and all.
    elif preview.benefit.amount <= 0:
        raise preview.points_refusal or NoDiscountForPurchase(purchase_amount=purchase_amount)
    if redemption is None:
        # A benefit on its own still takes the shop's share lock and uses up a dynamic token.
        lock_merchant_for_trade(session, till.merchant_id)
        use_qr_token(session, read_scan(session, signer, scanned))
    use = benefits.record_benefit_use(
        session, till.merchant_id, preview.card, preview.benefit, purchase_amount,
        redemption_id=redemption.id if redemption is not None else None,
        key=benefit_key, now=now,
    )
    return Checkout(card=preview.card, purchase_amount=purchase_amount, benefit=preview.benefit, benefit_use=use,
                    redemption=redemption, points_refusal=refusal)
