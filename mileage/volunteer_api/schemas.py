"""Request and response schemas of the volunteer's own card API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mileage.claims.rules import MINUTES_PER_DAY
from mileage.http.schemas import ClockTime, page_schema


class PageArgsSchema(Schema):
    cursor = fields.String(load_default=None, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=200))


# --- the card -------------------------------------------------------------------------------

class CardSchema(Schema):
    number_masked = fields.String(dump_only=True, attribute="card.masked_number")
    last4 = fields.Function(lambda summary: summary.card.number[-4:], dump_only=True)
    status = fields.String(dump_only=True, attribute="card.status", metadata={"description": "active, lost or blocked"})
    balance = fields.Integer(dump_only=True, metadata={"description": "Points on the card."})
    volunteer_name = fields.String(dump_only=True, attribute="volunteer.name")
    volunteer_masked_name = fields.String(
        dump_only=True, attribute="volunteer.masked_name", metadata={"description": "The name as shops see it."}
    )
    pin_set = fields.Function(lambda summary: summary.card.pin_hash is not None, dump_only=True)
    pin_locked = fields.Boolean(dump_only=True, attribute="card.pin_locked")
    issued_at = fields.DateTime(dump_only=True, attribute="card.issued_at")
    replaces_last4 = fields.String(
        dump_only=True, allow_none=True,
        metadata={"description": "The last digits of the card this one replaced lately (a reissue), else null."},
    )


class OwnTierSchema(Schema):
    tier = fields.String(dump_only=True, allow_none=True, metadata={"description": "None when the rules have no tiers"})
    next_tier = fields.String(dump_only=True, allow_none=True)
    hours_to_next = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "다음 등급까지 N시간"})
    keep_hours = fields.Integer(dump_only=True, metadata={"description": "hours in the last year that keep the tier"})
    last_year_hours = fields.Function(lambda standing: standing.last_year_minutes // 60, dump_only=True)
    lifetime_hours = fields.Function(lambda standing: standing.lifetime_minutes // 60, dump_only=True)
    keeps = fields.Boolean(dump_only=True)


class PinChangeSchema(Schema):
    new_pin = fields.String(required=True, load_only=True, validate=validate.Length(max=64))
    current_pin = fields.String(
        load_default=None,
        load_only=True,
        validate=validate.Length(max=64),
        metadata={"description": "Required when the card already has a PIN."},
    )


class PinStateSchema(Schema):
    pin_set = fields.Function(lambda card: card.pin_hash is not None, dump_only=True)
    pin_locked = fields.Boolean(dump_only=True)


# --- history --------------------------------------------------------------------------------

class MovementSchema(Schema):
    id = fields.Integer(dump_only=True)
    entry_id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"description": "claim_approval, redemption, refund, donation, ..."})
    memo = fields.String(dump_only=True)
    amount = fields.Integer(dump_only=True, metadata={"description": "Signed points: credits are positive."})
    balance_after = fields.Integer(dump_only=True, metadata={"description": "That card's balance after it."})
    created_at = fields.DateTime(dump_only=True)
    local_date = fields.Date(dump_only=True, metadata={"description": "The day in Asia/Seoul."})
    card_last4 = fields.String(dump_only=True)
    claim_id = fields.Integer(dump_only=True, allow_none=True)
    organisation_name = fields.String(dump_only=True, allow_none=True)
    claim_category = fields.String(dump_only=True, allow_none=True)
    claim_minutes = fields.Integer(dump_only=True, allow_none=True)


MovementPageSchema = page_schema(MovementSchema)


# --- claims ---------------------------------------------------------------------------------

class OwnClaimInputSchema(Schema):
    organisation_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    work_date = fields.Date(required=True, metadata={"description": "The day worked, in Asia/Seoul."})
    start_time = ClockTime(required=True, metadata={"description": "HH:MM"})
    end_time = ClockTime(required=True, metadata={"description": "HH:MM (24:00 for midnight)"})
    category = fields.String(required=True, validate=validate.Length(min=1, max=50))
    note = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _end_after_start(self, data, **kwargs):
        start, end = data.get("start_time"), data.get("end_time")
        if start is not None and end is not None and not (start < end <= MINUTES_PER_DAY):
            raise ValidationError("The end time must be after the start time.", "end_time")


class OwnClaimSchema(Schema):
    id = fields.Integer(dump_only=True)
    organisation_id = fields.Integer(dump_only=True)
    organisation_name = fields.String(dump_only=True, attribute="organisation.name")
    work_date = fields.Date(dump_only=True)
    start_time = ClockTime(dump_only=True, attribute="start_minute")
    end_time = ClockTime(dump_only=True, attribute="end_minute")
    minutes = fields.Integer(dump_only=True)
    category = fields.String(dump_only=True)
    note = fields.String(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "submitted, approved, rejected or reversed"})
    points = fields.Integer(dump_only=True, allow_none=True)
    withheld_points = fields.Integer(dump_only=True, allow_none=True,
                                     metadata={"description": "points a cap kept this approval from paying"})
    withheld_by = fields.String(dump_only=True, allow_none=True,
                               metadata={"description": "lifetime_cap, yearly_cap or previous_year_hours"})
    rejection_reason = fields.String(dump_only=True, allow_none=True)
    submitted_at = fields.DateTime(dump_only=True)
    reviewed_at = fields.DateTime(dump_only=True, allow_none=True)


OwnClaimPageSchema = page_schema(OwnClaimSchema)


# --- statement and QR -----------------------------------------------------------------------

class StatementArgsSchema(Schema):
    first_day = fields.Date(data_key="from", load_default=None, metadata={"description": "First Seoul day, inclusive."})
    last_day = fields.Date(data_key="to", load_default=None, metadata={"description": "Last Seoul day, inclusive."})

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data.get("first_day") and data.get("last_day") and data["first_day"] > data["last_day"]:
            raise ValidationError("The start day must not be after the end day.", "to")


class MonthStatementArgsSchema(Schema):
    month = fields.String(
        load_default=None, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM, e.g. 2026-11."),
        metadata={"description": "A Seoul month, YYYY-MM; this month by default."},
    )


class StatementLineSchema(Schema):
    day = fields.Date(dump_only=True)
    kind = fields.String(dump_only=True)
    memo = fields.String(dump_only=True)
    organisation_name = fields.String(dump_only=True, allow_none=True)
    minutes = fields.Integer(dump_only=True, allow_none=True)
    points = fields.Integer(dump_only=True)
    balance = fields.Integer(dump_only=True)


class MonthStatementSchema(Schema):
    month = fields.String(dump_only=True)
    opening_balance = fields.Integer(dump_only=True, attribute="statement.opening_balance")
    closing_balance = fields.Integer(dump_only=True)
    earned = fields.Integer(dump_only=True, metadata={"description": "Points credited in the month."})
    used = fields.Integer(dump_only=True, metadata={"description": "Points spent, donated or expired (positive)."})
    minutes = fields.Integer(dump_only=True, metadata={"description": "Volunteering minutes credited in the month."})
    lines = fields.List(fields.Nested(StatementLineSchema), dump_only=True, attribute="statement.lines")


class QrTokenSchema(Schema):
    token = fields.String(dump_only=True, metadata={"description": "The signed single-use payload of the QR."})
    expires_at = fields.DateTime(dump_only=True)
    refresh_after_seconds = fields.Integer(
        dump_only=True, metadata={"description": "Fetch a new QR after this many seconds, before this one expires."}
    )


class QrStatusArgsSchema(Schema):
    token_id = fields.String(
        required=True, validate=validate.Length(min=1, max=64),
        metadata={"description": "The X-QR-Token-Id header of the QR image the phone shows."},
    )


class QrStatusSchema(Schema):
    used = fields.Boolean(dump_only=True, metadata={"description": "A shop has redeemed with this QR code."})
    balance = fields.Integer(dump_only=True, metadata={"description": "Points on the card now."})
    card_status = fields.String(dump_only=True, metadata={"description": "active, lost or blocked"})
