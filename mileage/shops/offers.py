"""A shop's offer: discount rate, cap per purchase, minimum purchase, days and hours; versioned, never edited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import SEOUL
from mileage.errors import (
    InvalidOffer,
    MerchantHasNoOffer,
    OfferNotAvailableNow,
    TransactionConflict,
)
from mileage.models import OfferVersion
from mileage.models.merchants import ALL_WEEKDAYS
from mileage.shops.merchants import get_merchant

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


MAX_RATE_BP = 10_000


def weekday_mask(days: list[str] | None) -> int:
    """Return the bitmask of weekday names ("mon" ... "sun"); none means every day.

    :raises InvalidOffer:
    """
    if not days:
        return ALL_WEEKDAYS
    unknown = [day for day in days if day not in WEEKDAY_NAMES]
    if unknown:
        raise InvalidOffer(reason="weekday")
    return sum(1 << WEEKDAY_NAMES.index(day) for day in set(days))


def weekday_names(mask: int) -> list[str]:
    """Return the weekday names of a bitmask, Monday first."""
    return [name for index, name in enumerate(WEEKDAY_NAMES) if mask & (1 << index)]


def _check_offer_terms(
    rate_bp: int, max_discount: int, min_purchase: int, start_minute: int | None, end_minute: int | None
) -> None:
    if not 0 < rate_bp <= MAX_RATE_BP:
        raise InvalidOffer(reason="rate")
    if max_discount <= 0:
        raise InvalidOffer(reason="max_discount")
    if min_purchase < 0:
        raise InvalidOffer(reason="min_purchase")
    if (start_minute is None) != (end_minute is None):
        raise InvalidOffer(reason="hours_pair")
    if start_minute is not None and not 0 <= start_minute < end_minute <= 24 * 60:
        raise InvalidOffer(reason="hours_range")


def set_offer(
    session: Session,
    merchant_id: int,
    *,
    rate_bp: int,
    max_discount: int,
    min_purchase: int = 0,
    days: list[str] | None = None,
    start_minute: int | None = None,
    end_minute: int | None = None,
    max_share_bp: int | None = None,
    no_partial_payment: bool = False,
    actor: Actor,
) -> OfferVersion:
    """Add a new version of a shop's offer; earlier redemptions keep the version they used.

    :raises MerchantNotFound:
    :raises InvalidOffer:
    :raises TransactionConflict: another change added the same version number first; run again.
    """
    merchant = get_merchant(session, merchant_id)
    _check_offer_terms(rate_bp, max_discount, min_purchase, start_minute, end_minute)
    if max_share_bp is not None and not (0 < max_share_bp <= 10_000):
        raise InvalidOffer(reason="max_share")
    previous = find_current_offer(session, merchant.id)
    offer = OfferVersion(
        merchant_id=merchant.id,
        version=(previous.version if previous else 0) + 1,
        rate_bp=rate_bp,
        max_discount=max_discount,
        min_purchase=min_purchase,
        weekdays=weekday_mask(days),
        start_minute=start_minute,
        end_minute=end_minute,
        max_share_bp=max_share_bp,
        no_partial_payment=no_partial_payment,
        created_by_user_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(offer)
            session.flush()
    except IntegrityError as exc:
        raise TransactionConflict(merchant_id=merchant.id) from exc
    record_audit(
        session, actor, "merchant.offer", target_type="merchant", target_id=merchant.id,
        before=_offer_terms(previous) if previous else None, after=_offer_terms(offer),
    )
    return offer


def _offer_terms(offer: OfferVersion) -> dict:
    return {
        "version": offer.version,
        "rate_bp": offer.rate_bp,
        "max_discount": offer.max_discount,
        "min_purchase": offer.min_purchase,
        "days": weekday_names(offer.weekdays),
        "start_minute": offer.start_minute,
        "end_minute": offer.end_minute,
        **({"max_share_bp": offer.max_share_bp} if offer.max_share_bp else {}),
        **({"no_partial_payment": True} if offer.no_partial_payment else {}),
    }


def find_current_offer(session: Session, merchant_id: int) -> OfferVersion | None:
    """Return the newest version of a shop's offer, if it has one."""
    return session.scalar(
        select(OfferVersion)
        .where(OfferVersion.merchant_id == merchant_id)
        .order_by(OfferVersion.version.desc())
        .limit(1)
    )


def current_offer(session: Session, merchant_id: int) -> OfferVersion:
    """Return the offer version in force for a shop.

    :raises MerchantHasNoOffer:
    """
    offer = find_current_offer(session, merchant_id)
    if offer is None:
        raise MerchantHasNoOffer(merchant_id=merchant_id)
    return offer


def list_offer_versions(session: Session, merchant_id: int) -> list[OfferVersion]:
    """Return every version of a shop's offer, newest first."""
    get_merchant(session, merchant_id)
    return list(
        session.scalars(
            select(OfferVersion).where(OfferVersion.merchant_id == merchant_id).order_by(OfferVersion.version.desc())
        )
    )


def offer_applies_at(offer: OfferVersion, moment: datetime) -> bool:
    """Tell whether an offer applies at an instant: its weekdays and hours, on the Seoul clock."""
    local = moment.astimezone(SEOUL)
    if not offer.weekdays & (1 << local.weekday()):
        return False
    if offer.start_minute is None:
        return True
    minute = local.hour * 60 + local.minute
    return offer.start_minute <= minute < offer.end_minute


def ensure_offer_applies(offer: OfferVersion, moment: datetime) -> None:
    """Refuse a redemption outside the offer's days and hours.

    :raises OfferNotAvailableNow:
    """
    if not offer_applies_at(offer, moment):
        raise OfferNotAvailableNow(merchant_id=offer.merchant_id)
