"""What a shop scans: a dynamic QR token from the volunteer's phone, or a printed card number."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.cards.lookup import find_card_by_number, get_card
from mileage.clock import utc_now
from mileage.db import insert_unless_taken
from mileage.errors import (
    CardNotFound,
    QrTokenCardMismatch,
    QrTokenExpired,
    QrTokenInvalid,
    QrTokenReplayed,
    TokenExpired,
    TokenInvalid,
)
from mileage.models import Card, UsedQrToken
from mileage.people.tokens import TokenSigner

QR_TOKEN_TYPE = "qr"


QR_TOKEN_TTL = timedelta(minutes=2)


# Printed cards carry the bare number; scanners may add spaces or dashes.
_PRINTED_NUMBER = re.compile(r"[\d\s-]{16,25}")


MAX_SCANNED_LENGTH = 2048


@dataclass(frozen=True)
class IssuedQrToken:
    """A dynamic QR payload and when it stops working."""

    token: str
    expires_at: datetime
    # The token's id: the phone asks whether a shop has used it (`own_card.my_qr_status`).
    token_id: str = ""


@dataclass(frozen=True)
class ScannedCard:
    """The card a scan points at, and how it was presented."""

    card: Card
    is_dynamic: bool
    token_id: str | None = None
    token_expires_at: datetime | None = None

    @property
    def needs_pin(self) -> bool:
        """A printed card proves nothing by itself, so it needs the PIN; a phone's token does not."""
        return not self.is_dynamic


def issue_qr_token(signer: TokenSigner, card: Card, *, now: datetime | None = None) -> IssuedQrToken:
    """Sign a single-use token for a card, valid for about two minutes."""
    now = now or utc_now()
    claims = {"sub": f"card:{card.id}", "cn": card.number[-4:], "jti": secrets.token_hex(16)}
    token = signer.sign(claims, token_type=QR_TOKEN_TYPE, ttl=QR_TOKEN_TTL, now=now)
    return IssuedQrToken(token=token, expires_at=now + QR_TOKEN_TTL, token_id=claims["jti"])


def read_scan(
    session: Session, signer: TokenSigner, scanned_text: str, *, for_sale: bool = False
) -> ScannedCard:
    """Identify the card behind scanned text, without using the token up.

    A sale (`for_sale`) locks the card row in the same read and brings its volunteer along for the
    receipt. It also skips the look-up of a used token: the sale uses the token up with an insert
    that refuses a replay by itself, so looking first would only repeat the question.

    :raises QrTokenInvalid: neither a card number nor a token of ours (forged, tampered, other type).
    :raises QrTokenExpired:
    :raises QrTokenReplayed: the token was already used.
    :raises CardNotFound:
    """
    text = (scanned_text or "").strip()
    if not text or len(text) > MAX_SCANNED_LENGTH:
        raise QrTokenInvalid()
    if _PRINTED_NUMBER.fullmatch(text):
        return ScannedCard(card=find_card_by_number(session, text, lock=for_sale), is_dynamic=False)
    try:
        claims = signer.verify(text, token_type=QR_TOKEN_TYPE)
    except TokenExpired as exc:
        raise QrTokenExpired() from exc
    except TokenInvalid as exc:
        raise QrTokenInvalid() from exc
    subject = str(claims.get("sub", ""))
    if not subject.startswith("card:") or not subject[5:].isdigit():
        raise QrTokenInvalid()
    try:
        card = get_card(session, int(subject[5:]), lock=for_sale)
    except CardNotFound as exc:
        raise QrTokenInvalid() from exc
    if claims.get("cn") != card.number[-4:]:
        raise QrTokenCardMismatch()
    if not for_sale and session.scalar(select(UsedQrToken.jti).where(UsedQrToken.jti == claims["jti"])) is not None:
        raise QrTokenReplayed()
    return ScannedCard(
        card=card,
        is_dynamic=True,
        token_id=claims["jti"],
        token_expires_at=datetime.fromtimestamp(claims["exp"], tz=utc_now().tzinfo),
    )


def use_qr_token(session: Session, scan: ScannedCard) -> None:
    """Mark a dynamic token used, in the caller's transaction; a printed card needs nothing.

    Of concurrent requests with one token, the first insert wins; the others wait on its row,
    then find the token id taken and are refused as replays.

    :raises QrTokenReplayed:
    """
    if not scan.is_dynamic:
        return
    used = {"jti": scan.token_id, "card_id": scan.card.id, "used_at": utc_now(), "expires_at": scan.token_expires_at}
    if not insert_unless_taken(session, UsedQrToken, used, unique="jti"):
        raise QrTokenReplayed()
