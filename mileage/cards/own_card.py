"""What volunteers do with their own card: read it, change its PIN, show its QR code.

Every service here takes the volunteer's id from the caller's token, never from the request, so a
volunteer has no way to name another volunteer's card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.cards.lookup import card_balance, current_card, ensure_card_usable
from mileage.cards.qr import IssuedQrToken, issue_qr_token
from mileage.clock import utc_now
from mileage.models import Card, CardStatus, UsedQrToken, Volunteer
from mileage.people.tokens import TokenSigner
from mileage.people.volunteers import get_volunteer

# How long the phone tells the volunteer that a new card replaced the old one.
REISSUE_NOTICE_PERIOD = timedelta(days=30)


@dataclass(frozen=True)
class CardSummary:
    """The volunteer's current card, whose it is, and what it holds."""

    card: Card
    volunteer: Volunteer
    balance: int
    # The last digits of the card this one replaced, while the reissue is recent: the phone says so.
    replaces_last4: str | None = None


def my_card(session: Session, volunteer_id: int) -> CardSummary:
    """Return the volunteer's current card and its balance.

    :raises VolunteerNotFound:
    :raises VolunteerHasNoCard:
    """
    volunteer = get_volunteer(session, volunteer_id)
    card = current_card(session, volunteer_id)
    replaced = None
    if card.issued_at >= utc_now() - REISSUE_NOTICE_PERIOD:
        replaced = session.scalar(
            select(Card.number)
            .where(Card.volunteer_id == volunteer_id, Card.status == CardStatus.REPLACED, Card.id < card.id)
            .order_by(Card.id.desc())
            .limit(1)
        )
    return CardSummary(
        card=card, volunteer=volunteer, balance=card_balance(session, card),
        replaces_last4=replaced[-4:] if replaced else None,
    )


def issue_my_qr_token(session: Session, signer: TokenSigner, volunteer_id: int) -> IssuedQrToken:
    """Sign a dynamic QR token for the volunteer's current card, if the card can be used at a shop.

    :raises VolunteerHasNoCard:
    :raises CardNotActive: the card is lost or blocked.
    :raises CardPinLocked:
    """
    card = current_card(session, volunteer_id)
    ensure_card_usable(card)
    return issue_qr_token(signer, card)


@dataclass(frozen=True)
class QrStatus:
    """Whether a shop has used one of the volunteer's QR tokens, and the card's balance now."""

    used: bool
    balance: int
    card_status: str


def my_qr_status(session: Session, volunteer_id: int, token_id: str) -> QrStatus:
    """Tell the phone whether its QR token was used, so it can show the new balance and a fresh code.

    Only the volunteer's own cards count: another card's token id reads as unused. Two primary-key
    reads, so a phone may ask every few seconds.

    :raises VolunteerHasNoCard:
    """
    card = current_card(session, volunteer_id)
    used_by = session.scalar(select(UsedQrToken.card_id).where(UsedQrToken.jti == (token_id or "")[:64]))
    mine = used_by is not None and (used_by == card.id or _is_earlier_card_of(session, used_by, card))
    return QrStatus(used=mine, balance=card_balance(session, card), card_status=str(card.status))


def _is_earlier_card_of(session: Session, card_id: int, current: Card) -> bool:
    earlier = session.get(Card, card_id)
    return earlier is not None and earlier.volunteer_id == current.volunteer_id
