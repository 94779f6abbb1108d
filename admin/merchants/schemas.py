"""Request and response schemas of the staff partner-shop API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mileage.claims.rules import MINUTES_PER_DAY
from mileage.http.schemas import PERIODS, ClockTime, SettlementArgsSchema, page_schema
from mileage.models import MerchantStatus
from mileage.pagination import MAX_PAGE_SIZE
from mileage.shops.offers import MAX_RATE_BP, WEEKDAY_NAMES, weekday_names

MAX_POINTS = 10_000_000_000


# --- merchants ------------------------------------------------------------------------------

class StaffMerchantFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(max=300))
    category = fields.String(validate=validate.Length(max=50), metadata={"example": "음식점"})
    contact = fields.String(validate=validate.Length(max=100), metadata={"description": "phone or e-mail"})


class StaffMerchantCreateSchema(StaffMerchantFieldsSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    business_number = fields.String(
        required=True, validate=validate.Length(min=10, max=14),
        metadata={"description": "사업자등록번호, 10 digits (dashes allowed)", "example": "124-81-00998"},
    )


class StaffMerchantStatusSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf([str(MerchantStatus.ACTIVE), str(MerchantStatus.SUSPENDED)]),
        metadata={"description": "active, or suspended (redemptions stop at once)"},
    )


class StaffMerchantArgsSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf([str(status) for status in MerchantStatus]))
    cursor = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class StaffOfferSchema(Schema):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    rate_bp = fields.Integer(dump_only=True)
    max_discount = fields.Integer(dump_only=True)
    min_purchase = fields.Integer(dump_only=True)
    days = fields.Function(lambda offer: weekday_names(offer.weekdays), dump_only=True)
    start_time = ClockTime(attribute="start_minute", dump_only=True, allow_none=True)
    end_time = ClockTime(attribute="end_minute", dump_only=True, allow_none=True)
    max_share_bp = fields.Integer(dump_only=True, allow_none=True)
    no_partial_payment = fields.Boolean(dump_only=True)
    created_by_user_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class StaffOfferCreateSchema(Schema):
    rate_bp = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_RATE_BP),
                             metadata={"description": "basis points of the purchase: 500 = 5 %"})
    max_discount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_POINTS))
    min_purchase = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_POINTS))
    days = fields.List(fields.String(validate=validate.OneOf(WEEKDAY_NAMES)), load_default=None,
                       validate=validate.Length(min=1, max=7),
                       metadata={"description": "mon ... sun; every day when left out"})
    start_time = ClockTime(load_default=None, data_key="start_time", attribute="start_minute")
    end_time = ClockTime(load_default=None, data_key="end_time", attribute="end_minute")
    max_share_bp = fields.Integer(load_default=None, allow_none=True, strict=True,
                                  validate=validate.Range(min=1, max=MAX_RATE_BP),
                                  metadata={"description": "the share of the bill points may pay (NW: 1000 = 10 %)"})
    no_partial_payment = fields.Boolean(load_default=False,
                                        metadata={"description": "points pay the whole discount or nothing"})

    @validates_schema
    def _hours_together(self, data, **kwargs):
        start, end = data.get("start_minute"), data.get("end_minute")
        if (start is None) != (end is None):
            raise ValidationError("Give both the start and the end time, or neither.", "end_time")
        if start is not None and not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValidationError("The end time must be after the start time.", "end_time")


class StaffMerchantSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    business_number = fields.String(dump_only=True)
    address = fields.String(dump_only=True)
    category = fields.String(dump_only=True)
    contact = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    account_id = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    status_changed_at = fields.DateTime(dump_only=True)


StaffMerchantPageSchema = page_schema(StaffMerchantSchema)


class StaffMerchantDetailSchema(Schema):
    merchant = fields.Nested(StaffMerchantSchema, dump_only=True)
    offer = fields.Nested(StaffOfferSchema, dump_only=True, allow_none=True,
                          metadata={"description": "The offer version in force, if any."})


# --- terminals ------------------------------------------------------------------------------

class StaffTerminalCreateSchema(Schema):
    label = fields.String(load_default="", validate=validate.Length(max=100), metadata={"example": "1번 계산대"})


class StaffTerminalSchema(Schema):
    id = fields.Integer(dump_only=True)
    merchant_id = fields.Integer(dump_only=True)
    label = fields.String(dump_only=True)
    key_id = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    rotated_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)


class StaffTerminalSessionsEndedSchema(Schema):
    ended = fields.Integer(dump_only=True, metadata={"description": "Counter-page sessions ended."})


class StaffTerminalListSchema(Schema):
    items = fields.List(fields.Nested(StaffTerminalSchema), dump_only=True)


class StaffTerminalCredentialsSchema(Schema):
    terminal = fields.Nested(StaffTerminalSchema, dump_only=True)
    secret = fields.String(dump_only=True, metadata={"description": "Shown this once; only its hash is kept."})


# --- settlement -----------------------------------------------------------------------------

class StaffSettlementArgsSchema(SettlementArgsSchema):
    merchant_id = fields.Integer(load_default=None, metadata={"description": "One shop; every shop when left out."})


class StaffSettlementCloseSchema(Schema):
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    day = fields.Date(required=True, metadata={"description": "Any day of the period to close (YYYY-MM-DD)."})
    merchant_id = fields.Integer(
        strict=True, load_default=None, metadata={"description": "One shop; every shop when left out."}
    )


class StaffTierBenefitSchema(Schema):
    merchant_id = fields.Integer(dump_only=True)
    rate_bp = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_RATE_BP),
                             metadata={"description": "discount for card holders of min_tier or above; 0 stops it"})
    min_tier = fields.String(required=True, validate=validate.Length(min=1, max=30))
    max_benefit = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(min=1, max=MAX_POINTS))
    created_at = fields.DateTime(dump_only=True)
