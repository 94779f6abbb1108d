"""Request and response schemas of the site kiosk API (/site)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mileage.cards.qr import MAX_SCANNED_LENGTH
from mileage.http.schemas import ClockTime


class SiteTokenRequestSchema(Schema):
    key_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    secret = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class SiteTokenSchema(Schema):
    access_token = fields.String(dump_only=True)
    token_type = fields.String(dump_only=True)
    expires_in = fields.Integer(dump_only=True)
    organisation_id = fields.Integer(dump_only=True, attribute="device.organisation_id")
    device_id = fields.Integer(dump_only=True, attribute="device.id")


class SiteScopeArgsSchema(Schema):
    organisation_id = fields.Integer(metadata={"description": "staff only: the organisation to act for"})


class SiteScanSchema(Schema):
    scanned = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SCANNED_LENGTH),
                            metadata={"description": "the dynamic QR token from /m, or the printed card number"})
    category = fields.String(load_default="", validate=validate.Length(max=50),
                             metadata={"description": "needed to check in: the kind of volunteering"})
    organisation_id = fields.Integer(strict=True, validate=validate.Range(min=1),
                                     metadata={"description": "staff only: the organisation to act for"})


def _seoul_minute(moment):
    from mileage.clock import SEOUL

    if moment is None:
        return None
    local = moment.astimezone(SEOUL)
    return f"{local.hour:02d}:{local.minute:02d}"


class SiteVisitSchema(Schema):
    id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "open, closed or flagged"})
    organisation_id = fields.Integer(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    holder_name = fields.String(dump_only=True, attribute="volunteer.masked_name")
    work_date = fields.Date(dump_only=True)
    category = fields.String(dump_only=True)
    checked_in = fields.Function(lambda visit: _seoul_minute(visit.checked_in_at), dump_only=True)
    checked_out = fields.Function(lambda visit: _seoul_minute(visit.checked_out_at), dump_only=True, allow_none=True)
    claim_id = fields.Integer(dump_only=True, allow_none=True)
    refusal_code = fields.String(dump_only=True, allow_none=True)


class SiteClaimSchema(Schema):
    id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True)
    work_date = fields.Date(dump_only=True)
    start_time = ClockTime(attribute="start_minute", dump_only=True)
    end_time = ClockTime(attribute="end_minute", dump_only=True)
    minutes = fields.Integer(dump_only=True)
    category = fields.String(dump_only=True)


class SiteScanResultSchema(Schema):
    action = fields.String(dump_only=True, metadata={"description": "check_in, check_out or check_out_flagged"})
    visit = fields.Nested(SiteVisitSchema, dump_only=True)
    claim = fields.Nested(SiteClaimSchema, dump_only=True, allow_none=True)
    message = fields.String(dump_only=True, metadata={"description": "what the kiosk shows, in the caller's language"})
    refusal_code = fields.String(dump_only=True, allow_none=True)


class SiteVisitArgsSchema(Schema):
    day = fields.Date(metadata={"description": "Seoul day (today by default); flagged visits are always listed"})
    organisation_id = fields.Integer(metadata={"description": "staff only: the organisation to list"})


class SiteVisitListSchema(Schema):
    items = fields.List(fields.Nested(SiteVisitSchema), dump_only=True)


class SiteCorrectionSchema(Schema):
    start_time = ClockTime(required=True)
    end_time = ClockTime(required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["start_time"] >= data["end_time"]:
            raise ValidationError("The end must come after the start.", field_name="end_time")


class SiteDeviceCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    organisation_id = fields.Integer(strict=True, validate=validate.Range(min=1),
                                     metadata={"description": "staff only: the organisation that owns the device"})


class SiteDeviceSchema(Schema):
    id = fields.Integer(dump_only=True)
    organisation_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    key_id = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)


class NewSiteDeviceSchema(Schema):
    device = fields.Nested(SiteDeviceSchema, dump_only=True)
    secret = fields.String(dump_only=True, metadata={"description": "shown once; stored only as a hash"})


class SiteDeviceListSchema(Schema):
    items = fields.List(fields.Nested(SiteDeviceSchema), dump_only=True)
