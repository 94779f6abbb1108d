"""Query and response schemas of the staff reports API."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from webargs.fields import DelimitedList

from mileage.clock import seoul_today
from mileage.reports.hours import HOURS_DIMENSIONS
from mileage.reports.volunteers import DEFAULT_TOP_VOLUNTEERS

FORMATS = ("json", "csv")


class ReportPeriodArgsSchema(Schema):
    start = fields.Date(data_key="from", metadata={"description": "first Seoul day; default 1 January this year"})
    end = fields.Date(data_key="to", metadata={"description": "last Seoul day, included; default today"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS),
                           metadata={"description": "json, or csv for a spreadsheet (UTF-8 with BOM)"})

    @post_load
    def _default_period(self, data, **kwargs):
        today = seoul_today()
        data.setdefault("end", today)
        data.setdefault("start", data["end"].replace(month=1, day=1))
        return data


class HoursReportArgsSchema(ReportPeriodArgsSchema):
    group_by = DelimitedList(
        fields.String(validate=validate.OneOf(HOURS_DIMENSIONS)),
        load_default=list(HOURS_DIMENSIONS),
        # The document's default is the list itself, not its comma-joined query form (an array schema).
        metadata={"description": "comma-separated: month, organisation, category (default all three)",
                  "default": list(HOURS_DIMENSIONS)},
    )

    @validates_schema
    def _at_least_one_dimension(self, data, **kwargs):
        if "group_by" in data and not data["group_by"]:
            raise ValidationError("Group by at least one of month, organisation or category.", "group_by")


class TopVolunteersArgsSchema(ReportPeriodArgsSchema):
    limit = fields.Integer(load_default=DEFAULT_TOP_VOLUNTEERS, validate=validate.Range(min=1, max=200))


class LiabilityArgsSchema(Schema):
    as_of = fields.Date(metadata={"description": "the Seoul day whose end is reported; default today"})


class ReportSchema(Schema):
    start = fields.Date(attribute="period.start", data_key="from", dump_only=True)
    end = fields.Date(attribute="period.end", data_key="to", dump_only=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True)


class HoursRowSchema(Schema):
    month = fields.String(dump_only=True, allow_none=True, metadata={"description": "YYYY-MM, Seoul"})
    organisation_id = fields.Integer(dump_only=True, allow_none=True)
    organisation_name = fields.String(dump_only=True, allow_none=True)
    category = fields.String(dump_only=True, allow_none=True)
    claims = fields.Integer(dump_only=True)
    minutes = fields.Integer(dump_only=True)
    points = fields.Integer(dump_only=True)
    reversed_claims = fields.Integer(dump_only=True)
    reversed_minutes = fields.Integer(dump_only=True)
    reversed_points = fields.Integer(dump_only=True)


class HoursReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(HoursRowSchema), dump_only=True)


class MovementRowSchema(Schema):
    month = fields.String(dump_only=True)
    issued = fields.Integer(dump_only=True)
    reversed = fields.Integer(dump_only=True)
    redeemed = fields.Integer(dump_only=True)
    refunded = fields.Integer(dump_only=True)
    donated = fields.Integer(dump_only=True)
    disbursed = fields.Integer(dump_only=True)
    expired = fields.Integer(dump_only=True)
    held = fields.Integer(dump_only=True, metadata={"description": "net change of points parked in holds"})
    liability_start = fields.Integer(dump_only=True)
    liability_end = fields.Integer(dump_only=True, metadata={"description": "all card balances at month end"})


class MovementsReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(MovementRowSchema), dump_only=True)


class LiabilitySchema(Schema):
    as_of = fields.Date(dump_only=True)
    liability = fields.Integer(dump_only=True, metadata={"description": "all card balances at the end of that day"})


class VolunteerActivityRowSchema(Schema):
    month = fields.String(dump_only=True)
    active_volunteers = fields.Integer(dump_only=True)
    new_volunteers = fields.Integer(dump_only=True)


class VolunteerActivityReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(VolunteerActivityRowSchema), dump_only=True)


class TopVolunteerRowSchema(Schema):
    rank = fields.Integer(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    claims = fields.Integer(dump_only=True)
    minutes = fields.Integer(dump_only=True)
    points = fields.Integer(dump_only=True)


class TopVolunteersReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(TopVolunteerRowSchema), dump_only=True)


class ShopAccountRowSchema(Schema):
    month = fields.String(dump_only=True)
    merchant_id = fields.Integer(dump_only=True, allow_none=True)
    merchant_name = fields.String(dump_only=True, allow_none=True)
    account_id = fields.Integer(dump_only=True)
    account_code = fields.String(dump_only=True)
    redemptions = fields.Integer(dump_only=True)
    redeemed = fields.Integer(dump_only=True)
    refunds = fields.Integer(dump_only=True)
    refunded = fields.Integer(dump_only=True)
    net = fields.Integer(dump_only=True)


class ShopAccountsReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(ShopAccountRowSchema), dump_only=True)


class CauseDonationsRowSchema(Schema):
    month = fields.String(dump_only=True)
    cause_id = fields.Integer(dump_only=True)
    cause_name = fields.String(dump_only=True)
    donations = fields.Integer(dump_only=True)
    donated = fields.Integer(dump_only=True)
    disbursements = fields.Integer(dump_only=True)
    disbursed = fields.Integer(dump_only=True)


class DonationsReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(CauseDonationsRowSchema), dump_only=True)


class WithheldRowSchema(Schema):
    month = fields.String(dump_only=True, metadata={"description": "YYYY-MM of the approval, Seoul"})
    approved_claims = fields.Integer(dump_only=True)
    capped_claims = fields.Integer(dump_only=True)
    paid_points = fields.Integer(dump_only=True)
    withheld_points = fields.Integer(dump_only=True)
    withheld_lifetime_cap = fields.Integer(dump_only=True)
    withheld_yearly_cap = fields.Integer(dump_only=True)
    withheld_previous_year_hours = fields.Integer(dump_only=True)


class WithheldReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(WithheldRowSchema), dump_only=True)


class TierYearRowSchema(Schema):
    year = fields.Integer(dump_only=True)
    tier = fields.String(dump_only=True)
    volunteers_at_end = fields.Integer(dump_only=True)
    moved_in = fields.Integer(dump_only=True)
    moved_out = fields.Integer(dump_only=True)


class TierMovementRowSchema(Schema):
    year = fields.Integer(dump_only=True)
    from_tier = fields.String(dump_only=True, allow_none=True)
    to_tier = fields.String(dump_only=True)
    reason = fields.String(dump_only=True)
    changes = fields.Integer(dump_only=True)


class TiersReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(TierYearRowSchema), dump_only=True)
    movements = fields.List(fields.Nested(TierMovementRowSchema), dump_only=True)


class BenefitUseRowSchema(Schema):
    month = fields.String(dump_only=True)
    merchant_id = fields.Integer(dump_only=True)
    merchant_name = fields.String(dump_only=True)
    uses = fields.Integer(dump_only=True)
    purchase_amount = fields.Integer(dump_only=True)
    benefit_amount = fields.Integer(dump_only=True)


class BenefitUsesReportSchema(ReportSchema):
    rows = fields.List(fields.Nested(BenefitUseRowSchema), dump_only=True)
