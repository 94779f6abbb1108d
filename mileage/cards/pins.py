"""Card PINs: the volunteer's own change, the desk's reset and unlock, and the check at the counter.

Five wrong PINs in a row lock the card until staff unlock it. PINs never reach the audit log.
"""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.cards.lookup import CardWithBalance, audit_state, current_card, get_card, with_balance
from mileage.db import update_rows
from mileage.errors import CardPinLocked, CardPinNotLocked, CurrentPinRequired, InvalidPinFormat, PinNotSet, WrongPin
from mileage.hashing import hash_secret, verify_secret
from mileage.models import Card

MAX_WRONG_PINS = 5
# ASCII digits only: \d would also accept digits no PIN pad can type, such as "١٢٣٤" or "１２３４".
PIN_PATTERN = re.compile(r"[0-9]{4,6}")


def change_my_pin(session: Session, volunteer_id: int, *, new_pin: str, current_pin: str | None, actor: Actor) -> Card:
    """Set the PIN of the volunteer's current card; replacing a PIN needs the current one.

    :raises InvalidPinFormat:
    :raises VolunteerHasNoCard:
    :raises CardPinLocked: staff must unlock the card first.
    :raises CurrentPinRequired:
    :raises WrongPin: the wrong current PIN counts toward the lock, like one typed at a shop.
    """
    # Checked before the current PIN, so a typo in the new PIN never costs an attempt.
    _ensure_pin_format(new_pin)
    card = current_card(session, volunteer_id)
    if card.pin_locked:
        raise CardPinLocked()
    if card.pin_hash is not None:
        if not current_pin:
            raise CurrentPinRequired()
        verify_pin(session, card, current_pin)
    _store_pin(card, new_pin)
    session.flush()
    record_audit(session, actor, "card.pin_change", target_type="card", target_id=card.id, after=audit_state(card))
    return card


def reset_pin(session: Session, card_id: int, pin: str, *, actor: Actor) -> CardWithBalance:
    """Set a new PIN the volunteer chose at the desk; it also lifts a PIN lock.

    Staff have checked the volunteer's identity to do this, which is what an unlock needs too.

    :raises CardNotFound:
    :raises InvalidPinFormat:
    """
    _ensure_pin_format(pin)
    card = get_card(session, card_id)
    before = audit_state(card)
    _store_pin(card, pin)
    card.pin_locked = False
    session.flush()
    record_audit(session, actor, "card.pin_reset", target_type="card", target_id=card_id, before=before,
                 after=audit_state(card))
    return with_balance(session, card)


def unlock_pin(session: Session, card_id: int, *, actor: Actor) -> CardWithBalance:
    """Lift the lock that repeated wrong PINs put on a card, after staff have checked who the volunteer is.

    :raises CardNotFound:
    :raises CardPinNotLocked:
    """
    card = get_card(session, card_id)
    if not card.pin_locked:
        raise CardPinNotLocked(card_id=card_id)
    before = audit_state(card)
    card.pin_locked = False
    card.pin_failed_attempts = 0
    session.flush()
    record_audit(session, actor, "card.pin_unlock", target_type="card", target_id=card_id, before=before,
                 after=audit_state(card))
    return with_balance(session, card)


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
        update_rows(session, Card, Card.id == card.id, pin_locked=True)
        session.refresh(card)
        raise CardPinLocked()
    session.refresh(card)
    raise WrongPin(remaining=MAX_WRONG_PINS - attempts)


def _ensure_pin_format(pin) -> None:
    """Refuse anything but 4-6 ASCII digits.

    :raises InvalidPinFormat:
    """
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise InvalidPinFormat()


def _store_pin(card: Card, pin: str) -> None:
    """Keep only the PIN's hash, and forget the failed attempts of the old PIN."""
    card.pin_hash = hash_secret(pin)
    card.pin_failed_attempts = 0
