"""Partner shops: business registration numbers, registration, edits and status (pending, active, suspended).

Staff actions here write the audit log in the same transaction.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import (
    BusinessNumberTaken,
    InvalidBusinessNumber,
    MerchantNotActive,
    MerchantNotFound,
    MerchantStatusTransitionRefused,
    MerchantSuspended,
)
from mileage.ledger import open_account
from mileage.models import AccountKind, Merchant, MerchantStatus
from mileage.pagination import Page, fetch_page

# The official check-digit weights of a Korean business registration number (사업자등록번호).
BUSINESS_NUMBER_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


# Pending shops wait for staff; suspension can be lifted; nothing returns to pending.
ALLOWED_STATUS_CHANGES = {
    MerchantStatus.PENDING: {MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED},
    MerchantStatus.ACTIVE: {MerchantStatus.SUSPENDED},
    MerchantStatus.SUSPENDED: {MerchantStatus.ACTIVE},
}


EDITABLE_FIELDS = ("name", "address", "category", "contact")


def business_number_check_digit(first_nine: str) -> int:
    """Return the check digit of a business registration number from its first nine digits."""
    digits = [int(char) for char in first_nine]
    total = sum(digit * weight for digit, weight in zip(digits, BUSINESS_NUMBER_WEIGHTS, strict=True))
    # The ninth digit counts once more: the tens of its product with 5.
    total += digits[8] * 5 // 10
    return (10 - total % 10) % 10


def normalise_business_number(raw: str) -> str:
    """Strip dashes and spaces (123-45-67890) and validate the ten digits and the check digit.

    :raises InvalidBusinessNumber:
    """
    number = re.sub(r"[\s-]", "", raw or "")
    if not (len(number) == 10 and number.isascii() and number.isdigit()):
        raise InvalidBusinessNumber()
    if business_number_check_digit(number[:9]) != int(number[9]):
        raise InvalidBusinessNumber()
    return number


def merchant_audit_state(merchant: Merchant) -> dict:
    """Return what the audit log records of a shop before and after a change."""
    return {
        "name": merchant.name,
        "business_number": merchant.business_number,
        "address": merchant.address,
        "category": merchant.category,
        "contact": merchant.contact,
        "status": merchant.status,
    }


def register_merchant(
    session: Session,
    *,
    name: str,
    business_number: str,
    address: str = "",
    category: str = "",
    contact: str = "",
    actor: Actor,
) -> Merchant:
    """Register a partner shop (pending until staff activate it) with its own ledger account.

    :raises InvalidBusinessNumber:
    :raises BusinessNumberTaken:
    """
    number = normalise_business_number(business_number)
    if session.scalar(select(Merchant.id).where(Merchant.business_number == number)) is not None:
        raise BusinessNumberTaken(business_number=number)
    try:
        # A savepoint, so that losing a race for the number is a clean refusal, not a broken session.
        with session.begin_nested():
            account = open_account(session, AccountKind.MERCHANT, f"merchant:{number}")
            merchant = Merchant(
                name=name.strip(),
                business_number=number,
                address=address.strip(),
                category=category.strip(),
                contact=contact.strip(),
                status=MerchantStatus.PENDING,
                account_id=account.id,
            )
            session.add(merchant)
            session.flush()
    except IntegrityError as exc:
        raise BusinessNumberTaken(business_number=number) from exc
    record_audit(
        session, actor, "merchant.register", target_type="merchant", target_id=merchant.id,
        after=merchant_audit_state(merchant),
    )
    return merchant


def get_merchant(session: Session, merchant_id: int) -> Merchant:
    """Return a partner shop.

    :raises MerchantNotFound:
    """
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise MerchantNotFound(merchant_id=merchant_id)
    return merchant


def list_merchants(
    session: Session, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
) -> Page[Merchant]:
    """Return one page of partner shops, newest first, optionally of one status.

    :raises InvalidCursor:
    """
    statement = select(Merchant)
    if status:
        statement = statement.where(Merchant.status == status)
    return fetch_page(session, statement, Merchant.id, limit=limit, cursor=cursor, newest_first=True)


def update_merchant(session: Session, merchant_id: int, changes: dict, *, actor: Actor) -> Merchant:
    """Change a shop's name, address, category or contact (not its registration number).

    :raises MerchantNotFound:
    """
    merchant = get_merchant(session, merchant_id)
    before = merchant_audit_state(merchant)
    for field_name in EDITABLE_FIELDS:
        if changes.get(field_name) is not None:
            setattr(merchant, field_name, changes[field_name].strip())
    session.flush()
    record_audit(
        session, actor, "merchant.update", target_type="merchant", target_id=merchant.id,
        before=before, after=merchant_audit_state(merchant),
    )
    return merchant


def change_merchant_status(session: Session, merchant_id: int, target: MerchantStatus, *, actor: Actor) -> Merchant:
    """Activate or suspend a shop. Suspension stops its redemptions at once.

    The conditional UPDATE takes the shop's row lock: it waits for redemptions already under way
    (they hold a share lock on the row), and every later one sees the new status.

    :raises MerchantNotFound:
    :raises MerchantStatusTransitionRefused:
    """
    merchant = get_merchant(session, merchant_id)
    current = MerchantStatus(merchant.status)
    if target not in ALLOWED_STATUS_CHANGES[current]:
        raise MerchantStatusTransitionRefused(current=str(current), target=str(target))
    changed = update_rows(
        session, Merchant, Merchant.id == merchant_id, Merchant.status == str(current),
        status=str(target), status_changed_at=utc_now(),
    )
    if changed != 1:
        raise MerchantStatusTransitionRefused(current=str(current), target=str(target))
    session.refresh(merchant)
    record_audit(
        session, actor, f"merchant.{'suspend' if target == MerchantStatus.SUSPENDED else 'activate'}",
        target_type="merchant", target_id=merchant_id, before={"status": str(current)}, after={"status": str(target)},
    )
    return merchant


def lock_merchant_for_trade(session: Session, merchant_id: int) -> Merchant:
    """Return the shop, share-locked for this transaction, after checking that it may trade.

    The share lock lets redemptions run side by side but makes a suspension or a settlement
    closure wait until they commit, so neither can slip past a redemption already under way.

    :raises MerchantNotFound:
    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    merchant = session.scalar(
        select(Merchant)
        .where(Merchant.id == merchant_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if merchant is None:
        raise MerchantNotFound(merchant_id=merchant_id)
    ensure_merchant_may_trade(merchant)
    return merchant


def ensure_merchant_may_trade(merchant: Merchant) -> None:
    """Refuse a shop that is suspended or not yet active.

    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    if merchant.status == MerchantStatus.SUSPENDED:
        raise MerchantSuspended(merchant_id=merchant.id)
    if merchant.status != MerchantStatus.ACTIVE:
        raise MerchantNotActive(merchant_id=merchant.id)
