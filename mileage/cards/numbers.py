"""Card numbers: the issuer prefix, the Luhn check digit, and reading a number as printed."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.errors import (
    InvalidCardNumber,
)
from mileage.models import Card

# Cards issued by this centre start with this issuer prefix; the rest is random plus a Luhn digit.
CARD_NUMBER_PREFIX = "9410"


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


def new_card_number(session: Session) -> str:
    """Draw a random, unused card number."""
    while True:
        body = CARD_NUMBER_PREFIX + "".join(secrets.choice("0123456789") for _ in range(11))
        number = body + luhn_check_digit(body)
        if session.scalar(select(Card.id).where(Card.number == number)) is None:
            return number
