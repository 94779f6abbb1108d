"""Schemas every blueprint shares: a keyset page of anything, and the settlement report (one shape for one report)."""

from marshmallow import Schema, fields, validate

from mileage.models import PeriodKind

PERIODS = [str(kind) for kind in PeriodKind]


def page_schema(item_schema: type[Schema], *, items_from: str = "items") -> type[Schema]:
    """Return the schema of one keyset page of items (`items`, `next_cursor`), named after its items."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), attribute=items_from, dump_only=True),
            "next_cursor": fields.String(
                dump_only=True, allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null on the last page"},
            ),
        },
        name=item_schema.__name__.removesuffix("Schema") + "PageSchema",
    )


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
