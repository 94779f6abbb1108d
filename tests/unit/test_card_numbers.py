"""Card numbers: 16 digits with a Luhn check digit, typed or printed with spaces and dashes."""

import pytest

from mileage.cards.numbers import is_valid_card_number, luhn_check_digit, normalise_card_number
from mileage.errors import InvalidCardNumber

# 9410 issuer prefix, 11 body digits, then the check digit (worked out by hand for this body).
VALID = "9410123456789010"


def test_luhn_check_digit_matches_the_textbook_example():
    assert luhn_check_digit("7992739871") == "3"


def test_a_number_with_its_luhn_digit_is_valid():
    assert luhn_check_digit(VALID[:-1]) == VALID[-1]
    assert is_valid_card_number(VALID)


@pytest.mark.parametrize(
    "number",
    [
        "9410123456789011",  # wrong check digit
        "9410123456789100",  # two neighbouring digits swapped
        "9510123456789010",  # one digit mistyped
        "941012345678901",  # too short
        "94101234567890100",  # too long
        "9410-1234-5678-9010",  # separators are for normalise_card_number, not here
        "941012345678901a",
        "９４１０１２３４５６７８９０１０",  # full-width digits
        "",
    ],
)
def test_a_mistyped_or_malformed_number_is_invalid(number):
    assert not is_valid_card_number(number)


@pytest.mark.parametrize("typed", [VALID, "9410 1234 5678 9010", "9410-1234-5678-9010", " 9410 1234-5678 9010\n"])
def test_spaces_and_dashes_people_type_are_ignored(typed):
    assert normalise_card_number(typed) == VALID


@pytest.mark.parametrize("typed", ["9410 1234 5678 9011", "9410.1234.5678.9010", "", None])
def test_normalising_a_bad_number_is_refused(typed):
    with pytest.raises(InvalidCardNumber):
        normalise_card_number(typed)
