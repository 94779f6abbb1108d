"""A card's life: issue, loss, blocking, unblocking, and reissue (which moves the whole balance).

Each change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage import ledger
from mileage.audit import Actor, record_audit
from mileage.cards.lookup import CardWithBalance, audit_state, card_balance, find_active_card, get_card, with_balance
from mileage.cards.numbers import new_card_number
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import (
    CardStatusTransitionRefused,
    VolunteerCardAwaitsReissue,
    VolunteerHasActiveCard,
    VolunteerInactive,
)
from mileage.models import Account, AccountKind, Card, CardStatus, EntryKind, Volunteer, VolunteerStatus
from mileage.people.volunteers import get_volunteer

# Which statuses a card may move to by a staff action. Replaced is final: its balance has moved on.
ALLOWED_STATUS_CHANGES = {
    CardStatus.ACTIVE: {CardStatus.LOST, CardStatus.BLOCKED},
    CardStatus.BLOCKED: {CardStatus.ACTIVE, CardStatus.LOST},
    CardStatus.LOST: set(),
    CardStatus.REPLACED: set(),
}


def issue_card(session: Session, volunteer_id: int, *, actor: Actor) -> CardWithBalance:
    """Issue a volunteer's first card, with its own ledger account (a lost or blocked card is reissued instead).

    :raises VolunteerNotFound:
    :raises VolunteerInactive:
    :raises VolunteerHasActiveCard:
    :raises VolunteerCardAwaitsReissue: a lost or blocked card still holds the points; reissue it.
    """
    volunteer = get_volunteer(session, volunteer_id)
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise VolunteerInactive(volunteer_id=volunteer_id)
    if find_active_card(session, volunteer_id) is not None:
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
    card = _create_card(session, volunteer)
    record_audit(
        session,
        actor,
        "card.issue",
        target_type="card",
        target_id=card.id,
        after={"volunteer_id": volunteer_id, "number": card.number, "status": card.status},
    )
    return with_balance(session, card)


def _create_card(session: Session, volunteer: Volunteer) -> Card:
    number = new_card_number(session)
    account = ledger.open_account(session, AccountKind.CARD, f"card:{number}")
    card = Card(number=number, volunteer=volunteer, account_id=account.id, status=CardStatus.ACTIVE)
    session.add(card)
    session.flush()
    return card


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
    card = get_card(session, card_id)
    if card.status != CardStatus.BLOCKED:
        raise CardStatusTransitionRefused(current=card.status, target=str(CardStatus.ACTIVE))
    return _change_status(session, card_id, CardStatus.ACTIVE, "card.unblock", actor)


def _change_status(session: Session, card_id: int, target: CardStatus, action: str, actor: Actor) -> CardWithBalance:
    """Move a card to lost, blocked or back to active, if that transition is allowed, and audit it.

    :raises CardStatusTransitionRefused:
    :raises VolunteerHasActiveCard:
    """
    card = get_card(session, card_id)
    before = audit_state(card)
    current = CardStatus(card.status)
    if target not in ALLOWED_STATUS_CHANGES[current]:
        raise CardStatusTransitionRefused(current=str(current), target=str(target))
    if target == CardStatus.ACTIVE and find_active_card(session, card.volunteer_id) is not None:
        raise VolunteerHasActiveCard(volunteer_id=card.volunteer_id)
    # Conditional on the status read above, so two staff changing one card cannot both win.
    changed = update_rows(
        session, Card, Card.id == card_id, Card.status == str(current),
        status=str(target), status_changed_at=utc_now(),
    )
    if changed != 1:
        raise CardStatusTransitionRefused(current=str(current), target=str(target))
    session.refresh(card)
    record_audit(session, actor, action, target_type="card", target_id=card_id, before=before, after=audit_state(card))
    return with_balance(session, card)


def reissue_card(session: Session, card_id: int, *, actor: Actor) -> CardWithBalance:
    """Replace a card with a new number and move its whole balance there in one entry; return the new card.

    :raises CardNotFound:
    :raises CardStatusTransitionRefused: the card was already replaced.
    """
    old = get_card(session, card_id)
    if old.status == CardStatus.REPLACED:
        raise CardStatusTransitionRefused(current=old.status, target=str(CardStatus.REPLACED))
    before = audit_state(old) | {"balance": card_balance(session, old)}
    # Flip the status first with a conditional update: it takes the card's row lock, so a second
    # reissue of the same card waits here and then sees "replaced".
    changed = update_rows(
        session, Card, Card.id == card_id, Card.status == old.status,
        status=str(CardStatus.REPLACED), status_changed_at=utc_now(),
    )
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
        ledger.transfer(
            session,
            kind=EntryKind.CARD_REISSUE,
            from_account_id=old.account_id,
            to_account_id=new.account_id,
            amount=balance,
            idempotency_key=f"reissue:{old.id}",
            memo_params={"old_card": old.number, "new_card": new.number},
            actor_user_id=actor.user_id,
        )
    session.flush()
    record_audit(
        session,
        actor,
        "card.reissue",
        target_type="card",
        target_id=card_id,
        before=before,
        after={"status": old.status, "new_card_id": new.id, "new_card_number": new.number, "moved_points": balance},
    )
    return with_balance(session, new)
