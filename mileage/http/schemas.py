"""Settlement schemas shared by the shop API and the staff API: one shape for one report."""

from marshmallow import Schema, fields, validate

from mileage.models import PeriodKind

PERIODS = [str(kind) for kind in PeriodKind]


class SettlementArgsSchema(Schema):
    period = fields.String(load_default=str(PeriodKind.MONTH), validate=validate.OneOf(PERIODS))
    start = fields.Date(load_default=None, metadata={"description": "First day; the start of this month by default."})
    end = fields.Date(load_default=None, metadata={"description": "Last day; today by default."})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class SettlementLineSchema(Schema):
    merchant_id = fields.Integer(dump_only=True)
    merchant_name = fields.String(dump_only=True)
    period = fields.String(dump_only=True)
    period_start = fields.Date(dump_only=True)
    period_end = fields.Date(dump_only=True)
    redemption_count = fields.Integer(dump_only=True)
    gross_discount = fields.Integer(dump_only=True)
    refund_count = fields.Integer(dump_only=True)
    refunds = fields.Integer(dump_only=True)
    net = fields.Integer(dump_only=True, metadata={"description": "gross_discount - refunds"})
    closed = fields.Boolean(dump_only=True)


class SettlementSchema(Schema):
    items = fields.List(fields.Nested(SettlementLineSchema), dump_only=True)
