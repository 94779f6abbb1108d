"""A rule set: what one version of the programme pays and allows, as plain values.

Pure data and pure rules (no database): the definition is stored as JSON on `rule_sets` and read back
through `rule_set_from_definition`, which validates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from mileage.errors import InvalidRuleSet

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Band:
    """From `from_hours` cumulative certified hours on, each hour earns `points_per_hour`."""

    from_hours: int
    points_per_hour: int

    @property
    def from_minutes(self) -> int:
        return self.from_hours * 60


@dataclass(frozen=True)
class CategoryRule:
    """How a category counts: not at all, as its real minutes, or as fixed minutes per claim (blood: 4 h)."""

    counts: bool = True
    fixed_minutes: int | None = None

    def recognised(self, minutes: int) -> int:
        """Return the minutes a claim of this category is credited with."""
        if not self.counts:
            return 0
        return self.fixed_minutes if self.fixed_minutes is not None else minutes


@dataclass(frozen=True)
class Tier:
    """A card tier: reached at `from_hours` lifetime certified hours; kept only with `keep_hours` in the last year."""

    name: str
    from_hours: int
    keep_hours: int = 0


@dataclass(frozen=True)
class RuleSet:
    """One version of the programme's rules."""

    bands: tuple[Band, ...] = (Band(0, 1000),)
    lifetime_cap: int | None = None
    yearly_cap: int | None = None
    max_minutes_per_day: int = 8 * 60
    claim_window_days: int = 90
    volunteers_may_self_submit: bool = True
    minimum_age: int | None = None
    # Points are earned in a year only by volunteers certified this many hours the previous calendar year.
    min_hours_previous_year: int | None = None
    categories: dict[str, CategoryRule] = field(default_factory=dict)
    other_categories_count: bool = True
    tiers: tuple[Tier, ...] = ()
    name: str = ""
    version: int = 0
    effective_from: date = date(2000, 1, 1)

    def category_rule(self, category: str) -> CategoryRule:
        """Return how a category counts under this rule set."""
        rule = self.categories.get(category.strip())
        if rule is not None:
            return rule
        return CategoryRule(counts=self.other_categories_count)

    def recognised_minutes(self, category: str, minutes: int) -> int:
        """Return the minutes a claim earns with: a category may not count, or count fixed minutes."""
        return self.category_rule(category).recognised(minutes)

    def earned_by(self, already_minutes: int, minutes: int) -> int:
        """Return the point-minutes (points × 60) earned by `minutes` after `already_minutes`, split at band edges."""
        total = 0
        start, end = already_minutes, already_minutes + minutes
        for index, band in enumerate(self.bands):
            band_end = self.bands[index + 1].from_minutes if index + 1 < len(self.bands) else None
            low = max(start, band.from_minutes)
            high = end if band_end is None else min(end, band_end)
            if high > low:
                total += (high - low) * band.points_per_hour
        return total

    def definition(self) -> dict:
        """Return the JSON form stored on `rule_sets.definition`."""
        return {
            "bands": [{"from_hours": b.from_hours, "points_per_hour": b.points_per_hour} for b in self.bands],
            "lifetime_cap": self.lifetime_cap,
            "yearly_cap": self.yearly_cap,
            "max_minutes_per_day": self.max_minutes_per_day,
            "claim_window_days": self.claim_window_days,
            "volunteers_may_self_submit": self.volunteers_may_self_submit,
            "minimum_age": self.minimum_age,
            "min_hours_previous_year": self.min_hours_previous_year,
            "categories": {
                name: {"counts": rule.counts, "fixed_minutes": rule.fixed_minutes}
                for name, rule in sorted(self.categories.items())
            },
            "other_categories_count": self.other_categories_count,
            "tiers": [{"name": t.name, "from_hours": t.from_hours, "keep_hours": t.keep_hours} for t in self.tiers],
        }


def _integer(values: dict, name: str, *, minimum: int = 0, maximum: int = 10**9, optional: bool = False):
    value = values.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not (minimum <= value <= maximum):
        raise InvalidRuleSet(field=name)
    return value


def rule_set_from_definition(values: dict, *, name: str = "", version: int = 0,
                             effective_from: date = date(2000, 1, 1)) -> RuleSet:
    """Return the rule set a JSON definition describes, refusing one that cannot be applied.

    Bands must start at 0 hours, rise strictly in hours and never lower the rate: a later hour never
    earns less than an earlier one, so adding certified hours can only add points.

    :raises InvalidRuleSet: names the first field that is wrong.
    """
    defaults = RuleSet()
    if not isinstance(values, dict):
        raise InvalidRuleSet(field="definition")
    raw_bands = values.get("bands", defaults.definition()["bands"])
    if not isinstance(raw_bands, list) or not raw_bands or len(raw_bands) > 20:
        raise InvalidRuleSet(field="bands")
    bands = []
    for raw in raw_bands:
        if not isinstance(raw, dict):
            raise InvalidRuleSet(field="bands")
        bands.append(Band(_integer(raw, "from_hours", maximum=100_000), _integer(raw, "points_per_hour",
                                                                               maximum=1_000_000)))
    if bands[0].from_hours != 0:
        raise InvalidRuleSet(field="bands")
    for earlier, later in zip(bands, bands[1:], strict=False):
        if later.from_hours <= earlier.from_hours or later.points_per_hour < earlier.points_per_hour:
            raise InvalidRuleSet(field="bands")
    merged = {**defaults.definition(), **values}
    categories = {}
    raw_categories = merged.get("categories") or {}
    if not isinstance(raw_categories, dict) or len(raw_categories) > 100:
        raise InvalidRuleSet(field="categories")
    for category, raw in raw_categories.items():
        if not isinstance(category, str) or not category.strip() or len(category) > 50 or not isinstance(raw, dict):
            raise InvalidRuleSet(field="categories")
        counts = raw.get("counts", True)
        if not isinstance(counts, bool):
            raise InvalidRuleSet(field="categories")
        fixed = _integer(raw, "fixed_minutes", minimum=1, maximum=MINUTES_PER_DAY, optional=True)
        categories[category.strip()] = CategoryRule(counts=counts, fixed_minutes=fixed)
    raw_tiers = merged.get("tiers") or []
    if not isinstance(raw_tiers, list) or len(raw_tiers) > 10:
        raise InvalidRuleSet(field="tiers")
    tiers = []
    for raw in raw_tiers:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
            raise InvalidRuleSet(field="tiers")
        tiers.append(Tier(raw["name"].strip()[:30], _integer(raw, "from_hours", maximum=100_000),
                          _integer({"keep_hours": raw.get("keep_hours", 0)}, "keep_hours", maximum=8_760)))
    if tiers and (tiers[0].from_hours != 0 or any(b.from_hours <= a.from_hours for a, b in zip(tiers, tiers[1:],
                                                                                               strict=False))):
        raise InvalidRuleSet(field="tiers")
    if len({tier.name for tier in tiers}) != len(tiers):
        raise InvalidRuleSet(field="tiers")
    for flag in ("volunteers_may_self_submit", "other_categories_count"):
        if not isinstance(merged[flag], bool):
            raise InvalidRuleSet(field=flag)
    return RuleSet(
        bands=tuple(bands),
        lifetime_cap=_integer(merged, "lifetime_cap", optional=True),
        yearly_cap=_integer(merged, "yearly_cap", optional=True),
        max_minutes_per_day=_integer(merged, "max_minutes_per_day", minimum=1, maximum=MINUTES_PER_DAY),
        claim_window_days=_integer(merged, "claim_window_days", minimum=0, maximum=100_000),
        volunteers_may_self_submit=merged["volunteers_may_self_submit"],
        minimum_age=_integer(merged, "minimum_age", maximum=120, optional=True),
        min_hours_previous_year=_integer(merged, "min_hours_previous_year", maximum=8_760, optional=True),
        categories=categories,
        other_categories_count=merged["other_categories_count"],
        tiers=tuple(tiers),
        name=name,
        version=version,
        effective_from=effective_from,
    )
