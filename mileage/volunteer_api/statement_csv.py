"""The volunteer's statement as a CSV file that Excel opens with the Korean intact."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from mileage.cards.statements import Statement
from mileage.models import EntryKind

# Excel only reads a CSV file as UTF-8 when it starts with a byte order mark.
ENCODING = "utf-8-sig"

HEADERS = {
    "ko": ["날짜", "구분", "기관", "봉사시간(시간)", "봉사시간(분)", "포인트", "잔액", "내용"],
    "en": ["date", "type", "organisation", "hours", "minutes", "points", "balance", "memo"],
}

OPENING_BALANCE = {"ko": "이월 잔액", "en": "opening balance"}

# What each kind of movement is called, so that no screen or statement shows a raw kind.
# Campaign and staff donations are donations too.
KIND_LABELS = {
    EntryKind.CLAIM_APPROVAL: ("봉사 적립", "hours credited"),
    EntryKind.CLAIM_REVERSAL: ("적립 취소", "hours reversed"),
    EntryKind.REDEMPTION: ("가맹점 할인", "shop discount"),
    EntryKind.REDEMPTION_REFUND: ("할인 환불", "discount refunded"),
    EntryKind.HOLD: ("가맹점 결제 보류", "held at a shop"),
    EntryKind.HOLD_CAPTURE: ("보류 차액 반환", "rest of a hold returned"),
    EntryKind.HOLD_RELEASE: ("보류 해제", "hold released"),
    EntryKind.DONATION: ("기부", "donation"),
    EntryKind.DISBURSEMENT: ("기부금 전달", "donation handed over"),
    EntryKind.EXPIRY: ("유효기간 소멸", "expired"),
    EntryKind.EXPIRY_DONATION: ("소멸 예정 포인트 기부", "expiring points donated"),
    EntryKind.CARD_REISSUE: ("카드 재발급", "card reissued"),
    EntryKind.REVERSAL: ("거래 취소", "reversal"),
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
