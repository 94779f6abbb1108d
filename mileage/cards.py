"""Volunteers and their cards: registration, issue, loss, blocking, reissue and PINs."""

from __future__ import annotations

import re
import secrets
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.errors import (
    CardNotActive,
    CardNotFound,
    CardPinLocked,
    CardStatusTransitionRefused,
    InvalidCardNumber,
    InvalidPinFormat,
    PinNotSet,
    VolunteerCardAwaitsReissue,
    VolunteerHasActiveCard,
    VolunteerHasNoCard,
    VolunteerInactive,
    VolunteerNotFound,
    WrongPin,
)
from mileage.hashing import hash_secret, verify_secret
from mileage.ledger import get_balance, open_account, transfer
from mileage.models import Account, AccountKind, Card, CardStatus, Volunteer, VolunteerStatus

# Cards issued by this centre start with this issuer prefix; the rest is random plus a Luhn digit.
CARD_NUMBER_PREFIX = "9410"
MAX_WRONG_PINS = 5
# ASCII digits only: \d would also accept digits no PIN pad can type, such as "١٢٣٤" or "１２３４".
PIN_PATTERN = re.compile(r"[0-9]{4,6}")

# Which statuses a card may move to by a staff action. Replaced is final: its balance has moved on.
ALLOWED_STATUS_CHANGES = {
    CardStatus.ACTIVE: {CardStatus.LOST, CardStatus.BLOCKED},
    CardStatus.BLOCKED: {CardStatus.ACTIVE, CardStatus.LOST},
    CardStatus.LOST: set(),
    CardStatus.REPLACED: set(),
}


# --- card numbers ---------------------------------------------------------------------------

def luhn_check_digit(digits: str) -> str:
    """Return the Luhn check digit for a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    """Tell whether a string is a 16-digit card number with a correct Luhn digit."""
    return (
        len(number) == 16
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def normalise_card_number(raw: str) -> str:
    """Strip the spaces and dashes people type or print, and validate the rest.

    :raises InvalidCardNumber:
    """
    number = re.sub(r"[\s-]", "", raw or "")
    if not is_valid_card_number(number):
        raise InvalidCardNumber()
    return number


def _new_card_number(session: Session) -> str:
    """Draw a random, unused card number."""
    while True:
        body = CARD_NUMBER_PREFIX + "".join(secrets.choice("0123456789") for _ in range(11))
        number = body + luhn_check_digit(body)
        if session.scalar(select(Card.id).where(Card.number == number)) is None:
            return number


# --- volunteers -----------------------------------------------------------------------------

def register_volunteer(
    session: Session,
    *,
    name: str,
    phone: str,
    birth_date: date | None = None,
    portal_1365_id: str | None = None,
) -> Volunteer:
    """Register a volunteer (without a card yet)."""
    volunteer = Volunteer(
        name=name.strip(),
        phone=phone.strip(),
        birth_date=birth_date,
        portal_1365_id=portal_1365_id or None,
        status=VolunteerStatus.ACTIVE,
    )
    session.add(volunteer)
    session.flush()
    return volunteer


def get_volunteer(session: Session, volunteer_id: int) -> Volunteer:
    """Return a volunteer.

    :raises VolunteerNotFound:
    """
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise VolunteerNotFound(volunteer_id=volunteer_id)
    return volunteer


# --- cards ----------------------------------------------------------------------------------

def issue_card(session: Session, volunteer_id: int) -> Card:
    """Issue a first card, with its own ledger account, to a volunteer who has no active card.

    :raises VolunteerHasActiveCard:
    :raises VolunteerCardAwaitsReissue: a lost or blocked card still holds the points; reissue it.
    """
    volunteer = get_volunteer(session, volunteer_id)
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise VolunteerInactive(volunteer_id=volunteer_id)
    if _active_card(session, volunteer_id) is not None:
        raise VolunteerHasActiveCard(volunteer_id=volunteer_id)
    # A lost or blocked card keeps the points until it is reissued. A second card would strand them
    # there, and the later reissue would collide with the one-active-card rule.
    held_by = session.scalar(
        select(Card.status)
        .where(Card.volunteer_id == volunteer_id, Card.status != CardStatus.REPLACED)
        .limit(1)
    )
    if held_by is not None:
        raise VolunteerCardAwaitsReissue(volunteer_id=volunteer_id, status=held_by)
    return _create_card(session, volunteer)


def _create_card(session: Session, volunteer: Volunteer) -> Card:
    number = _new_card_number(session)
    account = open_account(session, AccountKind.CARD, f"card:{number}")
    card = Card(number=number, volunteer=volunteer, account_id=account.id, status=CardStatus.ACTIVE)
    session.add(card)
    session.flush()
    return card


def get_card(session: Session, card_id: int) -> Card:
    """Return a card.

    :raises CardNotFound:
    """
    card = session.get(Card, card_id)
    if card is None:
        raise CardNotFound(card_id=card_id)
    return card


def find_card_by_number(session: Session, raw_number: str) -> Card:
    """Return the card with a printed or typed number.

    :raises InvalidCardNumber:
    :raises CardNotFound:
    """
    number = normalise_card_number(raw_number)
    card = session.scalar(select(Card).where(Card.number == number))
    if card is None:
        raise CardNotFound()
    return card


def _active_card(session: Session, volunteer_id: int) -> Card | None:
    return session.scalar(
        select(Card).where(Card.volunteer_id == volunteer_id, Card.status == CardStatus.ACTIVE)
    )


def current_card(session: Session, volunteer_id: int) -> Card:
    """Return the card that holds a volunteer's points: the newest card not yet replaced.

    A lost or blocked card still holds the balance until it is reissued.

    :raises VolunteerHasNoCard:
    """
    card = session.scalar(
        select(Card)
        .where(Card.volunteer_id == volunteer_id, Card.status != CardStatus.REPLACED)
        .order_by(Card.id.desc())
        .limit(1)
    )
    if card is None:
        raise VolunteerHasNoCard(volunteer_id=volunteer_id)
    return card


def lock_card_holding_points(session: Session, card_id: int) -> Card:
    """Lock and return the card that now holds a card's points: itself, or its replacement.

    A reissue flips the old card to "replaced" under this row lock before it moves the balance. So
    a posting either goes first and its points move along with the rest, or it waits for the reissue
    and follows the chain to the new card, instead of stranding points on a replaced card.

    :raises CardNotFound:
    """
    while True:
        # FOR UPDATE OF cards alone: an eager-loaded relationship's outer join must not be locked.
        card = session.scalar(
            select(Card)
            .where(Card.id == card_id)
            .with_for_update(of=Card)
            .execution_options(populate_existing=True)
        )
        if card is None:
            raise CardNotFound(card_id=card_id)
        if card.status != CardStatus.REPLACED or card.replaced_by_card_id is None:
            return card
        card_id = card.replaced_by_card_id


def lock_current_card(session: Session, volunteer_id: int) -> Card:
    """Lock and return the card that holds a volunteer's points, following a reissue that got there first.

    :raises VolunteerHasNoCard:
    """
    return lock_card_holding_points(session, current_card(session, volunteer_id).id)


def change_card_status(session: Session, card_id: int, target: CardStatus) -> Card:
    """Move a card to lost, blocked or back to active, if that transition is allowed.

    :raises CardStatusTransitionRefused:
    """
    card = get_card(session, card_id)
    current = CardStatus(card.status)
    if target not in ALLOWED_STATUS_CHANGES[current]:
        raise CardStatusTransitionRefused(current=str(current), target=str(target))
    if target == CardStatus.ACTIVE and _active_card(session, card.volunteer_id) is not None:
        raise VolunteerHasActiveCard(volunteer_id=card.volunteer_id)
    # Conditional on the status read above, so two staff changing one card cannot both win.
    changed = session.execute(
        update(Card)
        .where(Card.id == card_id, Card.status == str(current))
        .values(status=str(target), status_changed_at=utc_now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise CardStatusTransitionRefused(current=str(current), target=str(target))
    session.refresh(card)
    return card


def report_card_lost(session: Session, card_id: int) -> Card:
    """Mark a card lost; it is refused everywhere at once, and its balance waits for reissue."""
    return change_card_status(session, card_id, CardStatus.LOST)


def reissue_card(session: Session, card_id: int, *, actor_user_id: int | None = None) -> Card:
    """Replace a card with a new one and move its whole balance there in one ledger entry.

    :raises CardStatusTransitionRefused: the card was already replaced.
    """
    old = get_card(session, card_id)
    if old.status == CardStatus.REPLACED:
        raise CardStatusTransitionRefused(current=old.status, target=str(CardStatus.REPLACED))
    # Flip the status first with a conditional update: it takes the card's row lock, so a second
    # reissue of the same card waits here and then sees "replaced".
    changed = session.execute(
        update(Card)
        .where(Card.id == card_id, Card.status == old.status)
        .values(status=str(CardStatus.REPLACED), status_changed_at=utc_now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise CardStatusTransitionRefused(current=old.status, target=str(CardStatus.REPLACED))
    session.refresh(old)
    new = _create_card(session, old.volunteer)
    new.pin_hash = old.pin_hash
    old.replaced_by_card_id = new.id
    # Lock the old account's row so no redemption can slip between reading and moving the balance.
    balance = session.scalar(
        select(Account.balance).where(Account.id == old.account_id).with_for_update()
    )
    if balance:
        transfer(
            session,
            kind="card_reissue",
            from_account_id=old.account_id,
            to_account_id=new.account_id,
            amount=balance,
            idempotency_key=f"reissue:{old.id}",
            memo=f"reissue card {old.number} -> {new.number}",
            actor_user_id=actor_user_id,
        )
    session.flush()
    return new


def card_balance(session: Session, card: Card) -> int:
    """Return a card's balance."""
    return get_balance(session, card.account_id)


def ensure_card_usable(card: Card) -> None:
    """Refuse a card that is lost, blocked, replaced or PIN-locked.

    :raises CardNotActive:
    :raises CardPinLocked:
    """
    if card.status != CardStatus.ACTIVE:
        raise CardNotActive(status=card.status)
    if card.pin_locked:
        raise CardPinLocked()


# --- PINs -----------------------------------------------------------------------------------

def set_pin(session: Session, card_id: int, pin: str) -> Card:
    """Set or change a card's PIN (4-6 digits), clearing any failed attempts.

    :raises InvalidPinFormat:
    """
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise InvalidPinFormat()
    card = get_card(session, card_id)
    card.pin_hash = hash_secret(pin)
    card.pin_failed_attempts = 0
    session.flush()
    return card


def unlock_pin(session: Session, card_id: int) -> Card:
    """Clear a PIN lock after staff have checked the volunteer's identity."""
    card = get_card(session, card_id)
    card.pin_locked = False
    card.pin_failed_attempts = 0
    session.flush()
    return card


def verify_pin(session: Session, card: Card, pin: str) -> None:
    """Check a card's PIN; five wrong attempts in a row lock the card until staff unlock it.

    :raises PinNotSet:
    :raises CardPinLocked: the card is locked (now or before); the count is kept.
    :raises WrongPin: the PIN is wrong; the failed attempt is kept even though the request fails.
    """
    if card.pin_locked:
        raise CardPinLocked()
    if card.pin_hash is None:
        raise PinNotSet()
    if verify_secret(card.pin_hash, pin or ""):
        if card.pin_failed_attempts:
            card.pin_failed_attempts = 0
            session.flush()
        return
    # Count in the database, not in Python, so concurrent wrong guesses all count.
    attempts = session.execute(
        update(Card)
        .where(Card.id == card.id)
        .values(pin_failed_attempts=Card.pin_failed_attempts + 1)
        .returning(Card.pin_failed_attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if attempts >= MAX_WRONG_PINS:
        session.execute(
            update(Card).where(Card.id == card.id).values(pin_locked=True)
            .execution_options(synchronize_session=False)
        )
        session.refresh(card)
        raise CardPinLocked()
    session.refresh(card)
    raise WrongPin(remaining=MAX_WRONG_PINS - attempts)
