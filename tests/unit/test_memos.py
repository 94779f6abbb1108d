"""Ledger memos are data: every kind renders in Korean and in English from its parameters."""

from __future__ import annotations

import re

import pytest

from mileage.ledger.memos import LEGACY_MEMOS, MEMO_TEMPLATES, params_from_legacy_memo, render_memo
from mileage.models import EntryKind

SHOP, CAUSE = "상계 행복베이커리", "노원 푸드뱅크"
# One entry of every kind, with the parameters its writer stores, and what each language must say.
ENTRIES = {
    EntryKind.CLAIM_APPROVAL: ({"claim": 12}, "봉사시간 신청 #12", "Hours claim #12"),
    EntryKind.CLAIM_REVERSAL: ({"claim": 12, "note": "중복 신청"}, "봉사시간 신청 #12 적립 취소: 중복 신청",
                               "Hours claim #12 reversed: 중복 신청"),
    EntryKind.REDEMPTION: ({"shop": SHOP}, f"{SHOP} 할인 사용", f"Discount at {SHOP}"),
    EntryKind.REDEMPTION_REFUND: ({"redemption": 7, "shop": SHOP}, f"{SHOP} 거래 #7 환불",
                                  f"Refund of sale #7 at {SHOP}"),
    EntryKind.HOLD: ({"shop": SHOP}, f"{SHOP} 결제 보류", f"Points held at {SHOP}"),
    EntryKind.HOLD_CAPTURE: ({"hold": 3, "shop": SHOP}, f"{SHOP} 보류 #3 확정", f"Hold #3 at {SHOP} settled"),
    EntryKind.HOLD_RELEASE: ({"hold": 4}, "보류 #4 해제", "Hold #4 released"),
    EntryKind.DONATION: ({"cause": CAUSE}, f"{CAUSE}에 기부", f"Donation to {CAUSE}"),
    EntryKind.DISBURSEMENT: ({"cause": CAUSE, "note": "쌀 20kg"}, f"{CAUSE} 기부금 전달: 쌀 20kg",
                             f"Handed over from {CAUSE}: 쌀 20kg"),
    EntryKind.EXPIRY: ({"cutoff": "2023-01-01", "as_of": "2025-12-31"},
                       "2023년 1월 1일 (일) 이전 적립분 소멸 (2025년 12월 31일 (수) 기준)",
                       "Points credited before Sun, 1 Jan 2023 expired on Wed, 31 Dec 2025"),
    EntryKind.EXPIRY_DONATION: ({"cutoff": "2023-01-01", "as_of": "2025-12-31", "cause": CAUSE},
                                f"2023년 1월 1일 (일) 이전 적립분을 {CAUSE}에 기부 (2025년 12월 31일 (수) 기준)",
                                f"Points credited before Sun, 1 Jan 2023 donated to {CAUSE} on Wed, 31 Dec 2025"),
    EntryKind.CARD_REISSUE: ({"old_card": "9410123412341234", "new_card": "9410999988887777"},
                             "카드 9410123412341234 → 새 카드 9410999988887777 재발급",
                             "Card 9410123412341234 reissued as card 9410999988887777"),
    EntryKind.REVERSAL: ({"entry": 41}, "거래 #41 취소", "Reversal of entry #41"),
}
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def test_every_kind_that_moves_points_has_a_sentence_and_a_case_here():
    assert set(MEMO_TEMPLATES) == set(EntryKind) - {EntryKind.REFUSAL} == set(ENTRIES)


@pytest.mark.parametrize("kind", list(ENTRIES))
def test_every_kind_renders_in_korean_and_english(kind):
    params, korean, english = ENTRIES[kind]
    assert render_memo(kind, params, "ko") == korean
    assert render_memo(kind, params, "en") == english
    # No English word in the Korean sentence (the units in a note, like "kg", are the note's own).
    assert ENGLISH_WORD.findall(render_memo(kind, params, "ko").replace("kg", "")) == []


def test_korean_is_the_default():
    assert render_memo(EntryKind.DONATION, {"cause": CAUSE}, None) == f"{CAUSE}에 기부"


def test_the_volunteer_sees_card_numbers_by_their_last_four_digits():
    params = ENTRIES[EntryKind.CARD_REISSUE][0]
    masked = render_memo(EntryKind.CARD_REISSUE, params, "ko", mask_cards=True)
    assert masked == "카드 ****1234 → 새 카드 ****7777 재발급"


OLD_MEMOS = [
    (EntryKind.CLAIM_APPROVAL, "claim 12", {"claim": 12}),
    (EntryKind.CLAIM_REVERSAL, "reversal of claim 12", {"claim": 12}),
    (EntryKind.CLAIM_REVERSAL, "중복 신청", {"note": "중복 신청"}),
    (EntryKind.REDEMPTION, f"discount at {SHOP}", {"shop": SHOP}),
    (EntryKind.HOLD, f"hold at {SHOP}", {"shop": SHOP}),
    (EntryKind.HOLD_CAPTURE, f"capture of hold 3 at {SHOP}", {"hold": 3, "shop": SHOP}),
    (EntryKind.HOLD_RELEASE, "voided hold 4", {"hold": 4}),
    (EntryKind.HOLD_RELEASE, "expired hold 5", {"hold": 5}),
    (EntryKind.REDEMPTION_REFUND, f"refund of redemption 7 at {SHOP}", {"redemption": 7, "shop": SHOP}),
    (EntryKind.DONATION, f"donation to {CAUSE}", {"cause": CAUSE}),
    (EntryKind.EXPIRY, "points credited before 2023-01-01 expire as of 2025-12-31",
     {"cutoff": "2023-01-01", "as_of": "2025-12-31"}),
    (EntryKind.CARD_REISSUE, "reissue card 9410123412341234 -> 9410999988887777",
     {"old_card": "9410123412341234", "new_card": "9410999988887777"}),
    (EntryKind.REVERSAL, "reversal of entry 41", {"entry": 41}),
    (EntryKind.DISBURSEMENT, "쌀 20kg 전달", {"note": "쌀 20kg 전달"}),
]


@pytest.mark.parametrize("kind, memo, params", OLD_MEMOS)
def test_old_english_memos_give_their_parameters(kind, memo, params):
    assert params_from_legacy_memo(kind, memo) == params
    korean = render_memo(kind, params, "ko")
    assert korean and ENGLISH_WORD.findall(korean.replace("kg", "")) == []


def test_every_old_form_is_covered():
    assert {kind for kind, _, _ in OLD_MEMOS} >= set(LEGACY_MEMOS) - {EntryKind.EXPIRY_DONATION}


def test_an_entry_missing_a_parameter_still_says_something_in_the_language():
    assert render_memo(EntryKind.EXPIRY_DONATION, {"cutoff": "2023-01-01", "as_of": "2025-12-31"}, "ko") == (
        "2023년 1월 1일 (일) 이전 적립분 기부 (2025년 12월 31일 (수) 기준)"
    )
    assert render_memo(EntryKind.DISBURSEMENT, {"note": "쌀"}, "en") == "Donation handed over: 쌀"
