"""The brute-force model of the programme's earning rules: every certified minute, one at a time.

Written independently of mileage/programme/earnings.py: it walks minutes in date order, looks up the
band of each minute's cumulative position, and lets a minute earn only what the lifetime and yearly
caps of its day's rules still allow. Points are the floor of the whole total (minutes carry over).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ModelRules:
    effective_from: date
    bands: tuple[tuple[int, int], ...]  # (from hours, points per hour), from 0 hours, rising
    lifetime_cap: int | None = None
    yearly_cap: int | None = None
    blood_fixed_minutes: int | None = None  # category "헌혈" counts this many minutes per claim

    def rate(self, position: int) -> int:
        rate = 0
        for from_hours, points in self.bands:
            if position >= from_hours * 60:
                rate = points
        return rate

    def definition(self) -> dict:
        categories = {}
        if self.blood_fixed_minutes is not None:
            categories["헌혈"] = {"counts": True, "fixed_minutes": self.blood_fixed_minutes}
        return {
            "bands": [{"from_hours": h, "points_per_hour": p} for h, p in self.bands],
            "lifetime_cap": self.lifetime_cap,
            "yearly_cap": self.yearly_cap,
            "max_minutes_per_day": 1440,
            "claim_window_days": 100_000,
            "categories": categories,
        }


def rules_on(versions: list[ModelRules], day: date) -> ModelRules:
    """The version with the latest start not after the day (the first before every start)."""
    chosen = versions[0]
    for version in sorted(versions, key=lambda v: v.effective_from):
        if version.effective_from <= day:
            chosen = version
    return chosen


def model_points(versions: list[ModelRules], claims: list[tuple[int, date, int, int, str]]) -> int:
    """Points for certified claims (id, day, start minute, minutes, category), minute by minute."""
    total = 0  # point-minutes
    yearly: dict[int, int] = {}
    position = 0
    for _claim_id, day, _start, minutes, category in sorted(claims, key=lambda c: (c[1], c[2], c[0])):
        rules = rules_on(versions, day)
        if category == "헌혈" and rules.blood_fixed_minutes is not None:
            minutes = rules.blood_fixed_minutes
        for _ in range(minutes):
            earn = rules.rate(position)
            position += 1
            if rules.lifetime_cap is not None:
                earn = min(earn, max(0, rules.lifetime_cap * 60 - total))
            if rules.yearly_cap is not None:
                earn = min(earn, max(0, rules.yearly_cap * 60 - yearly.get(day.year, 0)))
            total += earn
            yearly[day.year] = yearly.get(day.year, 0) + earn
    return total // 60
