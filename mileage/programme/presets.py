"""Rule sets of real programmes that ship with the app (figures in docs/programme-rules.md).

Each preset is a definition for `book.create_rule_set`; `mileage rules load-preset` and `mileage demo`
load them. What a preset cannot express (the NW currency's 3-year validity, Seodaemun's "≥ 10 h the
previous year" eligibility, quarterly payment) is said in its note.
"""

from __future__ import annotations

from mileage.errors import RulePresetNotFound

# Blood donation counts as 4 hours per donation (1365 rule).
BLOOD_DONATION = {"헌혈": {"counts": True, "fixed_minutes": 240}}

PRESETS: dict[str, dict] = {
    "nowon-2011": {
        "name": "노원구 자원봉사 마일리지 카드 (2011)",
        "note": "100품/시간, 첫 50시간 제외, 평생 250,000품 한도; 등급 일반/그린/골드"
                " (2015 개정: 그린 51–200시간 연 20시간, 골드 200시간 초과 연 30시간, 미달 시 한 등급 아래)",
        "definition": {
            "bands": [{"from_hours": 0, "points_per_hour": 0}, {"from_hours": 50, "points_per_hour": 100}],
            "lifetime_cap": 250_000,
            "yearly_cap": None,
            "max_minutes_per_day": 480,
            "claim_window_days": 90,
            "volunteers_may_self_submit": True,
            "minimum_age": None,
            "categories": BLOOD_DONATION,
            "other_categories_count": True,
            "tiers": [
                {"name": "일반", "from_hours": 0, "keep_hours": 0},
                {"name": "그린", "from_hours": 51, "keep_hours": 20},
                {"name": "골드", "from_hours": 201, "keep_hours": 30},
            ],
        },
    },
    "nw-2018": {
        "name": "노원 지역화폐 NW (2018)",
        "note": "700 NW/시간, 1인 50,000 NW 한도; 유효기간 3년은 MILEAGE_EXPIRY_YEARS=3 (회원 간 선물은 규칙 세트 밖)",
        "definition": {
            "bands": [{"from_hours": 0, "points_per_hour": 700}],
            "lifetime_cap": 50_000,
            "yearly_cap": None,
            "max_minutes_per_day": 480,
            "claim_window_days": 90,
            "volunteers_may_self_submit": True,
            "minimum_age": None,
            "categories": BLOOD_DONATION,
            "other_categories_count": True,
            "tiers": [],
        },
    },
    "seodaemun-2024": {
        "name": "서대문구 자원봉사 마일리지 (2024)",
        "note": "성인, 전년도 10시간 이상, 1,000/시간, 연 100,000 한도 (분기 지급은 규칙 세트 밖)",
        "definition": {
            "bands": [{"from_hours": 0, "points_per_hour": 1000}],
            "lifetime_cap": None,
            "yearly_cap": 100_000,
            "max_minutes_per_day": 480,
            "claim_window_days": 90,
            "volunteers_may_self_submit": True,
            "minimum_age": 19,
            "min_hours_previous_year": 10,
            "categories": BLOOD_DONATION,
            "other_categories_count": True,
            "tiers": [],
        },
    },
}


def preset(name: str) -> dict:
    """Return a preset's name, note and definition.

    :raises RulePresetNotFound:
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise RulePresetNotFound(preset=name) from None
