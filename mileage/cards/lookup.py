"""Finding a card, the one that holds a volunteer's points, locking it, and what it holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from mileage import ledger
from mileage.cards.numbers import normalise_card_number
from mileage.errors import (
    CardNotActive,
    CardNotFound,
    CardPinLocked,
    VolunteerHasNoCard,
)
from mileage.ledger import get_balance
from mileage.models import Card, CardStatus, JournalEntry


def _locked_with_volunteer(statement):
    """Lock the card row (not its volunteer's) and read both in one statement, reread even if already loaded."""
    return (
        statement.options(joinedload(Card.volunteer))
        .with_for_update(of=Card)
        .execution_options(populate_existing=True)
    )


# Built once: every sale with a phone's token sends it.
_LOCKED_CARD_BY_ID = _locked_with_volunteer(select(Card).where(Card.id == bindparam("card_id")))


def get_card(session: Session, card_id: int, *, lock: bool = False) -> Card:
    """Return a card; with `lock`, locked for this transaction and with its volunteer loaded.

    :raises CardNotFound:
    """
    card = session.scalar(_LOCKED_CARD_BY_ID, {"card_id": card_id}) if lock else session.get(Card, card_id)
    if card is None:
        raise CardNotFound(card_id=card_id)
    return card


def find_card_by_number(session: Session, raw_number: str, *, lock: bool = False) -> Card:
    """Return the card with a printed or typed number; with `lock`, locked and with its volunteer loaded.

    :raises InvalidCardNumber:
    :raises CardNotFound:
    """
    number = normalise_card_number(raw_number)
    statement = select(Card).where(Card.number == number)
    card = session.scalar(_locked_with_volunteer(statement) if lock else statement)
    if card is None:
        raise CardNotFound()
    return card


def find_active_card(session: Session, volunteer_id: int) -> Card | None:
    """Return the volunteer's active card, if there is one."""
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


@dataclass
class CardWithBalance:
    """A card and the points on it."""

    card: Card
    balance: int


def with_balance(session: Session, card: Card) -> CardWithBalance:
    """Return a card together with its balance."""
    return CardWithBalance(card, card_balance(session, card))


def audit_state(card: Card) -> dict:
    """Return what the audit log records of a card's state before and after a change."""
    return {"status": card.status, "pin_locked": card.pin_locked}


def card_history(session: Session, card_id: int, *, limit: int | None = None, cursor: str | None = None):
    """Return one page of a card's ledger postings, newest first, with their entries loaded.

    :raises CardNotFound:
    :raises InvalidCursor:
    """
    card = get_card(session, card_id)
    page = ledger.account_history(session, card.account_id, limit=limit, cursor=cursor)
    entry_ids = {posting.entry_id for posting in page.postings}
    if entry_ids:
        # One query for the page's entries; each posting.entry is then found in the identity map.
        session.scalars(select(JournalEntry).where(JournalEntry.id.in_(entry_ids))).all()
    return page
