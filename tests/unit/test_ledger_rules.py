"""Ledger rules that need no database: history cursors, request fingerprints, error sentences."""

import base64

import pytest

from mileage.errors import InsufficientBalance, InvalidCursor
from mileage.ledger import request_fingerprint
from mileage.pagination import decode_cursor, encode_cursor


@pytest.mark.parametrize("last_id", [1, 42, 10**15])
def test_a_cursor_resumes_after_the_row_it_was_made_from(last_id):
    cursor = encode_cursor(last_id)
    assert decode_cursor(cursor) == last_id
    assert "=" not in cursor, "cursors travel in query strings"


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        _b64("q12"),  # wrong marker
        _b64("p"),
        _b64("pabc"),
        _b64("p0"),
        _b64("p-5"),
        "A",  # truncated base64
        "커서",
        base64.urlsafe_b64encode(b"p\xff\xfe").decode(),
    ],
)
def test_a_forged_or_damaged_cursor_is_refused(cursor):
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


def test_a_fingerprint_ignores_key_order_but_not_values():
    first = request_fingerprint({"amount": 500, "card": 7})
    assert request_fingerprint({"card": 7, "amount": 500}) == first
    assert request_fingerprint({"card": 7, "amount": 501}) != first
    assert request_fingerprint({"card": 8, "amount": 500}) != first


def test_insufficient_balance_tells_the_volunteer_what_is_left_in_both_languages():
    error = InsufficientBalance(account_id=3, available=12_500, requested=20_000)
    assert error.code == "insufficient_balance"
    assert error.message() == "마일리지 잔액이 부족합니다. (잔액 12,500점)"
    assert error.message("en") == "Insufficient mileage balance (12,500 points available)."


def test_an_error_missing_a_parameter_falls_back_to_its_family_sentence():
    # InsufficientBalance is a Conflict: its family's sentence needs no parameter.
    assert InsufficientBalance().message("en") == "The current state does not allow this."
    assert InsufficientBalance().message() == "현재 상태에서는 처리할 수 없습니다."
