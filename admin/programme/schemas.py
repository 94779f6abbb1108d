"""Request and response schemas of the rule sets and tiers API."""

from marshmallow import Schema, fields, validate

HOURS = validate.Range(min=0, max=100_000)
POINTS = validate.Range(min=0, max=10**9)


class BandSchema(Schema):
    from_hours = fields.Integer(required=True, strict=True, validate=HOURS,
                                metadata={"description": "cumulative certified hours from which this rate applies"})
    points_per_hour = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1_000_000))


class CategoryRuleSchema(Schema):
    counts = fields.Boolean(load_default=True)
    fixed_minutes = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=1440),
                                   metadata={"description": "minutes credited per claim whatever its length "
                                                            "(blood donation: 240)"})


class TierSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=30))
    from_hours = fields.Integer(required=True, strict=True, validate=HOURS,
                                metadata={"description": "lifetime certified hours that reach the tier"})
    keep_hours = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=8760),
                                metadata={"description": "hours in the last year that keep it; else one tier down"})


class RuleSetTermsSchema(Schema):
    bands = fields.List(fields.Nested(BandSchema), required=True, validate=validate.Length(min=1, max=20))
    lifetime_cap = fields.Integer(strict=True, allow_none=True, load_default=None, validate=POINTS)
    yearly_cap = fields.Integer(strict=True, allow_none=True, load_default=None, validate=POINTS,
                                metadata={"description": "per Seoul calendar year of the volunteering"})
    max_minutes_per_day = fields.Integer(strict=True, load_default=480, validate=validate.Range(min=1, max=1440))
    claim_window_days = fields.Integer(strict=True, load_default=90, validate=validate.Range(min=0, max=100_000))
    volunteers_may_self_submit = fields.Boolean(load_default=True)
    minimum_age = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0,
                                                                                                        max=120))
    min_hours_previous_year = fields.Integer(
        strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0, max=8760),
        metadata={"description": "hours certified the previous calendar year that earning points needs"})
    categories = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=50)),
                             values=fields.Nested(CategoryRuleSchema), load_default=dict)
    other_categories_count = fields.Boolean(load_default=True)
    tiers = fields.List(fields.Nested(TierSchema), load_default=list, validate=validate.Length(max=10))


class RuleSetCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    effective_from = fields.Date(required=True, metadata={"description": "Seoul day; today or later"})
    definition = fields.Nested(RuleSetTermsSchema, required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class RuleSetPresetLoadSchema(Schema):
    preset = fields.String(required=True, validate=validate.Length(min=1, max=50))
    effective_from = fields.Date(required=True)


class WhatIfSchema(Schema):
    definition = fields.Nested(RuleSetTermsSchema, required=True)
    as_of = fields.Date(metadata={"description": "last day of the 12 months (today by default)"})


class RuleSetSchema(Schema):
    version = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    effective_from = fields.Date(dump_only=True)
    definition = fields.Dict(dump_only=True)
    preset = fields.String(dump_only=True, allow_none=True)
    note = fields.String(dump_only=True)
    created_by_user_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class RuleSetListSchema(Schema):
    items = fields.List(fields.Nested(RuleSetSchema), dump_only=True)
    current_version = fields.Integer(dump_only=True)


class PresetSchema(Schema):
    key = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    note = fields.String(dump_only=True)
    definition = fields.Dict(dump_only=True)


class PresetListSchema(Schema):
    items = fields.List(fields.Nested(PresetSchema), dump_only=True)


class VolunteerWhatIfSchema(Schema):
    volunteer_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    claims = fields.Integer(dump_only=True)
    minutes = fields.Integer(dump_only=True)
    actual_points = fields.Integer(dump_only=True)
    what_if_points = fields.Integer(dump_only=True)
    difference = fields.Integer(dump_only=True)


class WhatIfResultSchema(Schema):
    window_from = fields.Date(dump_only=True)
    window_to = fields.Date(dump_only=True)
    actual_points = fields.Integer(dump_only=True)
    what_if_points = fields.Integer(dump_only=True)
    difference = fields.Integer(dump_only=True)
    volunteers = fields.List(fields.Nested(VolunteerWhatIfSchema), dump_only=True)


class TierStandingSchema(Schema):
    tier = fields.String(dump_only=True, allow_none=True)
    reached = fields.String(dump_only=True, allow_none=True)
    lifetime_minutes = fields.Integer(dump_only=True)
    last_year_minutes = fields.Integer(dump_only=True)
    keep_hours = fields.Integer(dump_only=True)
    keeps = fields.Boolean(dump_only=True)
    next_tier = fields.String(dump_only=True, allow_none=True)
    hours_to_next = fields.Integer(dump_only=True, allow_none=True)


class TierChangeSchema(Schema):
    from_tier = fields.String(dump_only=True, allow_none=True)
    to_tier = fields.String(dump_only=True)
    reason = fields.String(dump_only=True)
    effective_on = fields.Date(dump_only=True)
    detail = fields.Dict(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class VolunteerTierSchema(Schema):
    volunteer_id = fields.Integer(dump_only=True)
    recorded_tier = fields.String(dump_only=True, allow_none=True)
    standing = fields.Nested(TierStandingSchema, dump_only=True)
    history = fields.List(fields.Nested(TierChangeSchema), dump_only=True)


class TierReviewSchema(Schema):
    as_of = fields.Date(required=True)
    dry_run = fields.Boolean(load_default=True)


class TierMoveSchema(Schema):
    volunteer_id = fields.Integer(dump_only=True)
    from_tier = fields.String(dump_only=True, allow_none=True)
    to_tier = fields.String(dump_only=True)
    reason = fields.String(dump_only=True)


class TierReviewResultSchema(Schema):
    as_of = fields.Date(dump_only=True)
    dry_run = fields.Boolean(dump_only=True)
    changes = fields.List(fields.Nested(TierMoveSchema), dump_only=True)
