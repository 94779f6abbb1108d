"""Schemas every blueprint shares: a keyset page of anything, and the settlement report (one shape for one report)."""

from marshmallow import Schema, fields, validate

from mileage.claims.rules import MINUTES_PER_DAY
from mileage.claims.submission import format_clock_time, parse_clock_time
from mileage.models import PeriodKind

PERIODS = [str(kind) for kind in PeriodKind]


class ClockTime(fields.Field):
    """A Seoul time of day as "HH:MM" ("24:00" ends the day), held as minutes since midnight.

    With `accept_minutes`, a whole number of minutes since midnight is accepted too (for integrators).
    """

    default_error_messages = {
        "invalid": "Use HH:MM, from 00:00 to 24:00.",
        "invalid_or_minutes": "Use HH:MM (00:00-24:00) or minutes since midnight (0-1440).",
    }

    def __init__(self, *, accept_minutes: bool = False, **kwargs):
        self.accept_minutes = accept_minutes
        kwargs.setdefault("metadata", {}).update({"type": "string", "example": "09:30"})
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_clock_time(value)

    def _deserialize(self, value, attr, data, **kwargs):
        is_minutes = isinstance(value, int) and not isinstance(value, bool)
        if self.accept_minutes and is_minutes and 0 <= value <= MINUTES_PER_DAY:
            return value
        if isinstance(value, str):
            try:
                return parse_clock_time(value)
            except ValueError:
                pass
        raise self.make_error("invalid_or_minutes" if self.accept_minutes else "invalid")


def page_schema(item_schema: type[Schema], *, items_from: str = "items") -> type[Schema]:
    """Return the schema of one keyset page of items (`items`, `next_cursor`), named after its items."""
    return Schema.from_dict(
        {
            "items": fields.List(
                fields.Nested(item_schema), attribute=items_from, dump_only=True,
                metadata={"description": "The items of this page, in the list's order"},
            ),
            "next_cursor": fields.String(
                dump_only=True, allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null on the last page"},
            ),
        },
        name=item_schema.__name__.removesuffix("Schema") + "PageSchema",
    )


class SettlementArgsSchema(Schema):
    period = fields.String(load_default=str(PeriodKind.MONTH), validate=validate.OneOf(PERIODS),
                           metadata={"description": "One line per Seoul day or per month."})
    start = fields.Date(load_default=None, metadata={"description": "First day; the start of this month by default."})
    end = fields.Date(load_default=None, metadata={"description": "Last day; today by default."})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "json, or csv for a download (UTF-8 with a byte-order mark)."})


class SettlementLineSchema(Schema):
    """One shop's totals for one day or month, from its receipts and refunds."""

    merchant_id = fields.Integer(dump_only=True, metadata={"description": "The shop's id.", "example": 7})
    merchant_name = fields.String(
        dump_only=True, metadata={"description": "The shop's name.", "example": "행복나눔 카페"}
    )
    business_number = fields.String(
        dump_only=True, metadata={"description": "사업자등록번호, as printed.", "example": "123-45-67890"}
    )
    period = fields.String(dump_only=True, metadata={"description": "day or month.", "example": "day"})
    period_start = fields.Date(dump_only=True, metadata={"description": "First Seoul day of the period."})
    period_end = fields.Date(dump_only=True, metadata={"description": "Last Seoul day of the period."})
    redemption_count = fields.Integer(dump_only=True, metadata={"description": "Sales in the period.", "example": 12})
    gross_discount = fields.Integer(dump_only=True, metadata={"description": "Points redeemed.", "example": 18000})
    refund_count = fields.Integer(dump_only=True, metadata={"description": "Refunds in the period.", "example": 1})
    refunds = fields.Integer(dump_only=True, metadata={"description": "Points refunded.", "example": 500})
    net = fields.Integer(dump_only=True, metadata={"description": "gross_discount - refunds", "example": 17500})
    closed = fields.Boolean(dump_only=True, metadata={"description": "True once staff closed the period."})


class SettlementSchema(Schema):
    """A settlement report: one line per shop and period."""

    items = fields.List(fields.Nested(SettlementLineSchema), dump_only=True,
                        metadata={"description": "The lines, by shop and period."})
