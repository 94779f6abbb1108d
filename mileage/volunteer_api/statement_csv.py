"""The volunteer's statement as a CSV file that Excel opens with the Korean intact."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from mileage.self_service import Statement

# Excel only reads a CSV file as UTF-8 when it starts with a byte order mark.
ENCODING = "utf-8-sig"

HEADERS = {
    "ko": ["날짜", "구분", "기관", "봉사시간(시간)", "봉사시간(분)", "포인트", "잔액", "내용"],
    "en": ["date", "type", "organisation", "hours", "minutes", "points", "balance", "memo"],
}

OPENING_BALANCE = {"ko": "이월 잔액", "en": "opening balance"}

# What a journal entry's kind means to people: every kind the services post (a test checks), so no
# screen or statement shows a raw kind. Campaign and staff donations are kind "donation" too.
KIND_LABELS = {
    "claim_approval": ("봉사 적립", "hours credited"),
    "claim_reversal": ("적립 취소", "hours reversed"),
    "redemption": ("가맹점 할인", "shop discount"),
    "redemption_refund": ("할인 환불", "discount refunded"),
    "hold": ("가맹점 결제 보류", "held at a shop"),
    "hold_capture": ("보류 차액 반환", "rest of a hold returned"),
    "hold_release": ("보류 해제", "hold released"),
    "donation": ("기부", "donation"),
    "disbursement": ("기부금 전달", "donation handed over"),
    "expiry": ("유효기간 소멸", "expired"),
    "expiry_donation": ("소멸 예정 포인트 기부", "expiring points donated"),
    "card_reissue": ("카드 재발급", "card reissued"),
    "reversal": ("거래 취소", "reversal"),
}

# A cell starting with one of these runs as a formula in a spreadsheet.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def kind_label(kind: str, language: str) -> str:
    """Return what a kind of movement is called in a language."""
    labels = KIND_LABELS.get(kind)
    if labels is None:
        return kind
    return labels[1] if language == "en" else labels[0]


def _text(value: str | None) -> str:
    """Return text safe to open in a spreadsheet: never a formula."""
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _hours(minutes: int | None) -> str:
    """Return minutes as hours with two decimals, computed without floats (150 -> "2.50")."""
    if minutes is None:
        return ""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01")))


def render_statement_csv(statement: Statement, language: str = "ko") -> bytes:
    """Return the statement as CSV bytes: one row per movement, with the running balance."""
    language = "en" if language == "en" else "ko"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS[language])
    if statement.first_day is not None:
        writer.writerow(
            [statement.first_day.isoformat(), OPENING_BALANCE[language], "", "", "", "", statement.opening_balance, ""]
        )
    for line in statement.lines:
        writer.writerow(
            [
                line.day.isoformat(),
                kind_label(line.kind, language),
                _text(line.organisation_name),
                _hours(line.minutes),
                "" if line.minutes is None else line.minutes,
                line.points,
                line.balance,
                _text(line.memo),
            ]
        )
    return buffer.getvalue().encode(ENCODING)
