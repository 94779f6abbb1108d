"""What volunteers do with their own card: read it, change its PIN, show its QR code.

Every service here takes the volunteer's id from the caller's token, never from the request, so a
volunteer has no way to name another volunteer's card.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mileage.cards.lookup import card_balance, current_card, ensure_card_usable
from mileage.cards.qr import IssuedQrToken, issue_qr_token
from mileage.models import Card, Volunteer
from mileage.people.tokens import TokenSigner
from mileage.people.volunteers import get_volunteer


@dataclass(frozen=True)
class CardSummary:
    """The volunteer's current card, whose it is, and what it holds."""

    card: Card
    volunteer: Volunteer
    balance: int


def my_card(session: Session, volunteer_id: int) -> CardSummary:
    """Return the volunteer's current card and its balance.

    :raises VolunteerNotFound:
    :raises VolunteerHasNoCard:
    """
    volunteer = get_volunteer(session, volunteer_id)
    card = current_card(session, volunteer_id)
    return CardSummary(card=card, volunteer=volunteer, balance=card_balance(session, card))


def issue_my_qr_token(session: Session, signer: TokenSigner, volunteer_id: int) -> IssuedQrToken:
    """Sign a dynamic QR token for the volunteer's current card, if the card can be used at a shop.

    :raises VolunteerHasNoCard:
    :raises CardNotActive: the card is lost or blocked.
    :raises CardPinLocked:
    """
    card = current_card(session, volunteer_id)
    ensure_card_usable(card)
    return issue_qr_token(signer, card)
