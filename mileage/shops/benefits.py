"""Tier benefits: a shop's percentage discount for card holders of a minimum tier, with no points deducted.

This is what most of the 545 Nowon shops gave. A benefit use is recorded (shop, card, tier, purchase,
benefit) for the shop's statistics and the centre's reports; it moves no points and is not a ledger entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.errors import InvalidTierBenefit
from mileage.models import BenefitUse, Card, TierBenefit, VolunteerTier
from mileage.programme.book import current_rule_set
from mileage.shops.merchants import get_merchant

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class BenefitQuote:
    """The card's tier (name only: what the shop may see) and the tier discount this purchase gets."""

    tier: str | None
    rate_bp: int
    amount: int


def _tier_ranks(session: Session) -> dict[str, int]:
    return {tier.name: rank for rank, tier in enumerate(current_rule_set(session).tiers)}


def set_tier_benefit(
    session: Session, merchant_id: int, *, rate_bp: int, min_tier: str, max_benefit: int | None = None, actor: Actor
) -> TierBenefit:
    """Give (or, with rate 0, stop) a shop's discount for card holders of a minimum tier.

    :raises MerchantNotFound:
    :raises InvalidTierBenefit: a rate outside 0–100 %, a tier the rules in force do not have.
    """
    merchant = get_merchant(session, merchant_id)
    if not (0 <= rate_bp <= BASIS_POINTS):
        raise InvalidTierBenefit(field="rate_bp")
    if rate_bp and min_tier not in _tier_ranks(session):
        raise InvalidTierBenefit(field="min_tier")
    if max_benefit is not None and max_benefit <= 0:
        raise InvalidTierBenefit(field="max_benefit")
    previous = current_tier_benefit(session, merchant.id)
    row = TierBenefit(merchant_id=merchant.id, rate_bp=rate_bp, min_tier=min_tier, max_benefit=max_benefit,
                      created_by_user_id=actor.user_id)
    session.add(row)
    session.flush()
    record_audit(session, actor, "merchant.tier_benefit", target_type="merchant", target_id=merchant.id,
                 before=_terms(previous) if previous else None, after=_terms(row))
    return row


def _terms(row: TierBenefit) -> dict:
    return {"rate_bp": row.rate_bp, "min_tier": row.min_tier, "max_benefit": row.max_benefit}


def current_tier_benefit(session: Session, merchant_id: int) -> TierBenefit | None:
    """Return the shop's tier benefit in force (None when it gives none)."""
    row = session.scalar(
        select(TierBenefit).where(TierBenefit.merchant_id == merchant_id).order_by(TierBenefit.id.desc()).limit(1)
    )
    return row if row is not None and row.rate_bp > 0 else None


def card_tier(session: Session, card: Card) -> str | None:
    """Return the tier of the card's holder (the name only)."""
    row = session.get(VolunteerTier, card.volunteer_id)
    return row.tier if row is not None else None


def benefit_for(session: Session, merchant_id: int, card: Card, purchase_amount: int) -> BenefitQuote:
    """Return the card's tier and the tier discount a purchase gets at a shop (0 when none applies)."""
    tier = card_tier(session, card)
    benefit = current_tier_benefit(session, merchant_id)
    if tier is None or benefit is None:
        return BenefitQuote(tier, 0, 0)
    ranks = _tier_ranks(session)
    if tier not in ranks or benefit.min_tier not in ranks or ranks[tier] < ranks[benefit.min_tier]:
        return BenefitQuote(tier, 0, 0)
    amount = purchase_amount * benefit.rate_bp // BASIS_POINTS
    if benefit.max_benefit is not None:
        amount = min(amount, benefit.max_benefit)
    return BenefitQuote(tier, benefit.rate_bp, amount)


def given_alone(session: Session, key: str | None) -> bool:
    """Tell whether this key already gave a tier benefit without points (its one outcome, for good)."""
    if key is None:
        return False
    return session.scalar(
        select(BenefitUse.id).where(BenefitUse.idempotency_key == key, BenefitUse.redemption_id.is_(None))
    ) is not None


def record_benefit_use(
    session: Session, merchant_id: int, card: Card, benefit: BenefitQuote, purchase_amount: int, *,
    redemption_id: int | None = None, key: str | None = None, now: datetime | None = None,
) -> BenefitUse | None:
    """Record a tier discount given (nothing when there was none); a retry with the same key finds the first."""
    if benefit.amount <= 0 or benefit.tier is None:
        return None
    if key is not None:
        found = session.scalar(select(BenefitUse).where(BenefitUse.idempotency_key == key))
        if found is not None:
            return found
    use = BenefitUse(merchant_id=merchant_id, card_id=card.id, tier=benefit.tier, rate_bp=benefit.rate_bp,
                     purchase_amount=purchase_amount, benefit_amount=benefit.amount, redemption_id=redemption_id,
                     idempotency_key=key, created_at=now or utc_now())
    session.add(use)
    session.flush()
    return use
