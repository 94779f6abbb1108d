"""Partner shops: registration, status, versioned offers, and the terminals that sign in to redeem.

Staff actions here write the audit log in the same transaction. Terminal secrets are shown once,
when created or rotated, and stored only as argon2 hashes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from mileage.audit import Actor, record_audit
from mileage.auth import Principal, TokenSigner, issue_access_token
from mileage.clock import SEOUL, utc_now
from mileage.errors import (
    BusinessNumberTaken,
    InvalidBusinessNumber,
    InvalidOffer,
    InvalidTerminalCredentials,
    MerchantHasNoOffer,
    MerchantNotActive,
    MerchantNotFound,
    MerchantStatusTransitionRefused,
    MerchantSuspended,
    OfferNotAvailableNow,
    TerminalAlreadyRevoked,
    TerminalNotFound,
    TerminalRevoked,
    TransactionConflict,
)
from mileage.hashing import hash_secret, verify_secret
from mileage.ledger import open_account
from mileage.models import AccountKind, Merchant, MerchantStatus, OfferVersion, Role, Terminal
from mileage.models.merchants import ALL_WEEKDAYS
from mileage.pagination import Page, fetch_page

# The official check-digit weights of a Korean business registration number (사업자등록번호).
BUSINESS_NUMBER_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_RATE_BP = 10_000
TERMINAL_KEY_PREFIX = "trm_"

# Pending shops wait for staff; suspension can be lifted; nothing returns to pending.
ALLOWED_STATUS_CHANGES = {
    MerchantStatus.PENDING: {MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED},
    MerchantStatus.ACTIVE: {MerchantStatus.SUSPENDED},
    MerchantStatus.SUSPENDED: {MerchantStatus.ACTIVE},
}
EDITABLE_FIELDS = ("name", "address", "category", "contact")

# Checked against when a key id is unknown, so an unknown terminal costs as long as a wrong secret.
_DUMMY_SECRET_HASH = hash_secret(secrets.token_hex(16))


# --- business registration numbers ----------------------------------------------------------

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


# --- merchants ------------------------------------------------------------------------------

def _merchant_state(merchant: Merchant) -> dict:
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
        after=_merchant_state(merchant),
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
    before = _merchant_state(merchant)
    for field_name in EDITABLE_FIELDS:
        if changes.get(field_name) is not None:
            setattr(merchant, field_name, changes[field_name].strip())
    session.flush()
    record_audit(
        session, actor, "merchant.update", target_type="merchant", target_id=merchant.id,
        before=before, after=_merchant_state(merchant),
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
    changed = session.execute(
        update(Merchant)
        .where(Merchant.id == merchant_id, Merchant.status == str(current))
        .values(status=str(target), status_changed_at=utc_now())
        .execution_options(synchronize_session=False)
    ).rowcount
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


# --- offers ---------------------------------------------------------------------------------

def weekday_mask(days: list[str] | None) -> int:
    """Return the bitmask of weekday names ("mon" ... "sun"); none means every day.

    :raises InvalidOffer:
    """
    if not days:
        return ALL_WEEKDAYS
    unknown = [day for day in days if day not in WEEKDAY_NAMES]
    if unknown:
        raise InvalidOffer(reason=f"unknown weekday {unknown[0]!r}")
    return sum(1 << WEEKDAY_NAMES.index(day) for day in set(days))


def weekday_names(mask: int) -> list[str]:
    """Return the weekday names of a bitmask, Monday first."""
    return [name for index, name in enumerate(WEEKDAY_NAMES) if mask & (1 << index)]


def _check_offer_terms(
    rate_bp: int, max_discount: int, min_purchase: int, start_minute: int | None, end_minute: int | None
) -> None:
    if not 0 < rate_bp <= MAX_RATE_BP:
        raise InvalidOffer(reason="rate_bp must be 1-10000")
    if max_discount <= 0:
        raise InvalidOffer(reason="max_discount must be positive")
    if min_purchase < 0:
        raise InvalidOffer(reason="min_purchase must not be negative")
    if (start_minute is None) != (end_minute is None):
        raise InvalidOffer(reason="give both start and end of the hours, or neither")
    if start_minute is not None and not 0 <= start_minute < end_minute <= 24 * 60:
        raise InvalidOffer(reason="hours must be 00:00-24:00 with the start before the end")


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
    actor: Actor,
) -> OfferVersion:
    """Add a new version of a shop's offer; earlier redemptions keep the version they used.

    :raises MerchantNotFound:
    :raises InvalidOffer:
    :raises TransactionConflict: another change added the same version number first; run again.
    """
    merchant = get_merchant(session, merchant_id)
    _check_offer_terms(rate_bp, max_discount, min_purchase, start_minute, end_minute)
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


# --- terminals ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TerminalCredentials:
    """A terminal and its secret, which is shown this once and never stored in clear."""

    terminal: Terminal
    secret: str


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


def add_terminal_with_secret(
    session: Session, merchant: Merchant, label: str, key_id: str, secret: str
) -> Terminal:
    """Add a terminal with a chosen key id and secret: for demo data; staff use `create_terminal`."""
    terminal = Terminal(merchant_id=merchant.id, label=label.strip(), key_id=key_id, secret_hash=hash_secret(secret))
    session.add(terminal)
    session.flush()
    return terminal


def create_terminal(session: Session, merchant_id: int, *, label: str = "", actor: Actor) -> TerminalCredentials:
    """Give a shop a new terminal with its own key id and secret.

    :raises MerchantNotFound:
    """
    merchant = get_merchant(session, merchant_id)
    secret = _new_secret()
    terminal = add_terminal_with_secret(session, merchant, label, TERMINAL_KEY_PREFIX + secrets.token_hex(8), secret)
    record_audit(
        session, actor, "terminal.create", target_type="terminal", target_id=terminal.id,
        after={"merchant_id": merchant.id, "key_id": terminal.key_id, "label": terminal.label},
    )
    return TerminalCredentials(terminal, secret)


def get_terminal(session: Session, terminal_id: int) -> Terminal:
    """Return a terminal.

    :raises TerminalNotFound:
    """
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        raise TerminalNotFound(terminal_id=terminal_id)
    return terminal


def list_terminals(session: Session, merchant_id: int) -> list[Terminal]:
    """Return a shop's terminals, oldest first, revoked ones included."""
    get_merchant(session, merchant_id)
    return list(session.scalars(select(Terminal).where(Terminal.merchant_id == merchant_id).order_by(Terminal.id)))


def rotate_terminal_secret(session: Session, terminal_id: int, *, actor: Actor) -> TerminalCredentials:
    """Replace a terminal's secret; the old one stops working for new sign-ins at once.

    :raises TerminalNotFound:
    :raises TerminalAlreadyRevoked:
    """
    terminal = get_terminal(session, terminal_id)
    if terminal.revoked_at is not None:
        raise TerminalAlreadyRevoked(terminal_id=terminal_id)
    secret = _new_secret()
    terminal.secret_hash = hash_secret(secret)
    terminal.rotated_at = utc_now()
    session.flush()
    record_audit(
        session, actor, "terminal.rotate", target_type="terminal", target_id=terminal.id,
        after={"merchant_id": terminal.merchant_id, "key_id": terminal.key_id},
    )
    return TerminalCredentials(terminal, secret)


def revoke_terminal(session: Session, terminal_id: int, *, actor: Actor) -> Terminal:
    """Revoke a terminal: its secret and every token it was given stop working at once.

    :raises TerminalNotFound:
    :raises TerminalAlreadyRevoked:
    """
    terminal = get_terminal(session, terminal_id)
    if terminal.revoked_at is not None:
        raise TerminalAlreadyRevoked(terminal_id=terminal_id)
    terminal.revoked_at = utc_now()
    session.flush()
    record_audit(
        session, actor, "terminal.revoke", target_type="terminal", target_id=terminal.id,
        after={"merchant_id": terminal.merchant_id, "key_id": terminal.key_id},
    )
    return terminal


def terminal_principal(terminal: Terminal) -> Principal:
    """Return the principal a terminal acts as: the merchant role, scoped to its shop and itself."""
    return Principal(role=str(Role.MERCHANT), merchant_id=terminal.merchant_id, terminal_id=terminal.id)


def claimed_terminal_scope(session: Session, key_id: str) -> str | None:
    """Return the caller scope a terminal key id names, before its secret is checked; None if unknown."""
    terminal_id = session.scalar(select(Terminal.id).where(Terminal.key_id == (key_id or "").strip()))
    return None if terminal_id is None else Principal(role=str(Role.MERCHANT), terminal_id=terminal_id).scope


def authenticate_terminal(session: Session, key_id: str, secret: str) -> Terminal:
    """Return the terminal whose key id and secret match, if it and its shop may trade.

    :raises InvalidTerminalCredentials: unknown key id or wrong secret (indistinguishable).
    :raises TerminalRevoked:
    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    terminal = session.scalar(select(Terminal).where(Terminal.key_id == (key_id or "").strip()))
    if terminal is None:
        verify_secret(_DUMMY_SECRET_HASH, secret or "")
        raise InvalidTerminalCredentials()
    if not verify_secret(terminal.secret_hash, secret or ""):
        raise InvalidTerminalCredentials()
    ensure_terminal_may_trade(session, terminal.merchant_id, terminal.id)
    return terminal


@dataclass(frozen=True)
class TerminalToken:
    """A short-lived access token for a terminal, and whom it speaks for."""

    access_token: str
    expires_in: int
    terminal: Terminal


def issue_terminal_token(session: Session, signer: TokenSigner, key_id: str, secret: str) -> TerminalToken:
    """Exchange a terminal's key id and secret for a short-lived access token.

    :raises InvalidTerminalCredentials:
    :raises TerminalRevoked:
    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    terminal = authenticate_terminal(session, key_id, secret)
    token = issue_access_token(signer, terminal_principal(terminal))
    return TerminalToken(token, int(signer.access_ttl.total_seconds()), terminal)


def ensure_terminal_may_trade(session: Session, merchant_id: int | None, terminal_id: int | None) -> Terminal:
    """Check on every request that a terminal is live and its shop active, whatever token it holds.

    :raises TerminalRevoked: the terminal is revoked, unknown, or not the shop's.
    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    # Every merchant request runs this: the shop comes in the same query.
    terminal = (
        session.get(Terminal, terminal_id, options=[joinedload(Terminal.merchant)]) if terminal_id is not None else None
    )
    if terminal is None or terminal.merchant_id != merchant_id or terminal.revoked_at is not None:
        raise TerminalRevoked(terminal_id=terminal_id)
    ensure_merchant_may_trade(terminal.merchant)
    return terminal

