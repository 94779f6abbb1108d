"""Card operations at the volunteer centre's desk: issue, loss, blocking, reissue, PINs, history.

Each change is written to the audit log in the same transaction; PINs never reach the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage import cards, ledger
from mileage.audit import Actor, record_audit
from mileage.errors import CardPinNotLocked, CardStatusTransitionRefused
from mileage.models import Card, CardStatus, JournalEntry


@dataclass
class CardWithBalance:
    """A card and the points on it."""

    card: Card
    balance: int


def with_balance(session: Session, card: Card) -> CardWithBalance:
    """Return a card together with its balance."""
    return CardWithBalance(card, cards.card_balance(session, card))


def _card_state(card: Card) -> dict:
    return {"status": card.status, "pin_locked": card.pin_locked}


def issue_card(session: Session, volunteer_id: int, *, actor: Actor) -> CardWithBalance:
    """Issue a volunteer's first card (a lost or blocked card is reissued instead, moving its points).

    :raises VolunteerNotFound:
    :raises VolunteerInactive:
    :raises VolunteerHasActiveCard:
    :raises VolunteerCardAwaitsReissue:
    """
    card = cards.issue_card(session, volunteer_id)
    record_audit(
        session,
        actor,
        "card.issue",
        target_type="card",
        target_id=card.id,
        after={"volunteer_id": volunteer_id, "number": card.number, "status": card.status},
    )
    return with_balance(session, card)


def _change_status(session: Session, card_id: int, target: CardStatus, action: str, actor: Actor) -> CardWithBalance:
    before = _card_state(cards.get_card(session, card_id))
    card = cards.change_card_status(session, card_id, target)
    record_audit(session, actor, action, target_type="card", target_id=card_id, before=before, after=_card_state(card))
    return with_balance(session, card)


def report_lost(session: Session, card_id: int, *, actor: Actor) -> CardWithBalance:
    """Mark a card lost: refused everywhere at once; its balance waits for the reissue.

    :raises CardNotFound:
    :raises CardStatusTransitionRefused:
    """
    return _change_status(session, card_id, CardStatus.LOST, "card.report_lost", actor)


def block_card(session: Session, card_id: int, *, actor: Actor) -> CardWithBalance:
    """Block an active card (suspected misuse); it can be unblocked later.

    :raises CardNotFound:
    :raises CardStatusTransitionRefused:
    """
    return _change_status(session, card_id, CardStatus.BLOCKED, "card.block", actor)


def unblock_card(session: Session, card_id: int, *, actor: Actor) -> CardWithBalance:
    """Make a blocked card active again.

    :raises CardNotFound:
    :raises CardStatusTransitionRefused: the card is not blocked (a lost card is reissued instead).
    :raises VolunteerHasActiveCard:
    """
    card = cards.get_card(session, card_id)
    if card.status != CardStatus.BLOCKED:
        raise CardStatusTransitionRefused(current=card.status, target=str(CardStatus.ACTIVE))
    return _change_status(session, card_id, CardStatus.ACTIVE, "card.unblock", actor)


def reissue_card(session: Session, card_id: int, *, actor: Actor) -> CardWithBalance:
    """Replace a card with a new number and move its whole balance there; return the new card.

    :raises CardNotFound:
    :raises CardStatusTransitionRefused: the card was already replaced.
    """
    old = cards.get_card(session, card_id)
    before = _card_state(old) | {"balance": cards.card_balance(session, old)}
    new = with_balance(session, cards.reissue_card(session, card_id, actor_user_id=actor.user_id))
    record_audit(
        session,
        actor,
        "card.reissue",
        target_type="card",
        target_id=card_id,
        before=before,
        after={
            "status": old.status,
            "new_card_id": new.card.id,
            "new_card_number": new.card.number,
            "moved_points": new.balance,
        },
    )
    return new


def reset_pin(session: Session, card_id: int, pin: str, *, actor: Actor) -> CardWithBalance:
    """Set a new PIN the volunteer chose at the desk; it also lifts a PIN lock.

    Staff have checked the volunteer's identity to do this, which is what an unlock needs too.

    :raises CardNotFound:
    :raises InvalidPinFormat:
    """
    before = _card_state(cards.get_card(session, card_id))
    card = cards.set_pin(session, card_id, pin)
    if card.pin_locked:
        card = cards.unlock_pin(session, card_id)
    record_audit(
        session, actor, "card.pin_reset", target_type="card", target_id=card_id, before=before, after=_card_state(card)
    )
    return with_balance(session, card)


def unlock_pin(session: Session, card_id: int, *, actor: Actor) -> CardWithBalance:
    """Lift the lock that repeated wrong PINs put on a card.

    :raises CardNotFound:
    :raises CardPinNotLocked:
    """
    card = cards.get_card(session, card_id)
    if not card.pin_locked:
        raise CardPinNotLocked(card_id=card_id)
    before = _card_state(card)
    card = cards.unlock_pin(session, card_id)
    record_audit(
        session, actor, "card.pin_unlock", target_type="card", target_id=card_id, before=before, after=_card_state(card)
    )
    return with_balance(session, card)


def card_history(session: Session, card_id: int, *, limit: int | None = None, cursor: str | None = None):
    """Return one page of a card's ledger postings, newest first, with their entries loaded.

    :raises CardNotFound:
    :raises InvalidCursor:
    """
    card = cards.get_card(session, card_id)
    page = ledger.account_history(session, card.account_id, limit=limit, cursor=cursor)
    entry_ids = {posting.entry_id for posting in page.postings}
    if entry_ids:
        # One query for the page's entries; each posting.entry is then found in the identity map.
        session.scalars(select(JournalEntry).where(JournalEntry.id.in_(entry_ids))).all()
    return page
