"""Request and response schemas of the audit log and the invariant check."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from admin.hours.schemas import StaffPageArgsSchema
from mileage.http.schemas import page_schema


class AuditArgsSchema(StaffPageArgsSchema):
    actor_user_id = fields.Integer(metadata={"description": "who acted"})
    action = fields.String(validate=validate.Length(max=64), metadata={"example": "claim.approve"})
    target_type = fields.String(validate=validate.Length(max=32), metadata={"example": "claim"})
    target_id = fields.String(validate=validate.Length(max=64))
    date_from = fields.Date(metadata={"description": "first Seoul day, inclusive"})
    date_to = fields.Date(metadata={"description": "last Seoul day, inclusive"})

    @validates_schema
    def _ordered_dates(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("The end date must not be before the start date.", "date_to")


class AuditEventSchema(Schema):
    id = fields.Integer(dump_only=True)
    occurred_at = fields.DateTime(dump_only=True)
    actor_user_id = fields.Integer(dump_only=True, allow_none=True)
    actor_role = fields.String(dump_only=True)
    action = fields.String(dump_only=True)
    target_type = fields.String(dump_only=True)
    target_id = fields.String(dump_only=True, allow_none=True)
    before = fields.Dict(dump_only=True, allow_none=True)
    after = fields.Dict(dump_only=True, allow_none=True)
    ip_address = fields.String(dump_only=True, allow_none=True)
    request_id = fields.String(dump_only=True, allow_none=True)


AuditPageSchema = page_schema(AuditEventSchema)


class InvariantReportSchema(Schema):
    ok = fields.Boolean(dump_only=True, metadata={"description": "true when nothing below was found"})
    unbalanced_entries = fields.List(fields.Integer(), dump_only=True)
    entries_with_too_few_postings = fields.List(fields.Integer(), dump_only=True)
    refusals_with_postings = fields.List(fields.Integer(), dump_only=True)
    balance_mismatches = fields.List(fields.Dict(), dump_only=True)
    negative_balances = fields.List(fields.Dict(), dump_only=True)
    non_integer_amounts = fields.Integer(dump_only=True)
    total_of_all_postings = fields.Integer(dump_only=True)
    entries_checked = fields.Integer(dump_only=True)
    accounts_checked = fields.Integer(dump_only=True)
