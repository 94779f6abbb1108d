"""Staff reports API: every report as JSON, or as CSV with ?format=csv. Read-only, auditors included.

Every report reads through `get_report_session`: from the read replica when DATABASE_REPLICA_URL is set.
"""

from flask import Response

from admin.reports.csv_tables import render_report_csv
from admin.reports.schemas import (
    BenefitUsesReportSchema,
    DonationsReportSchema,
    HoursReportArgsSchema,
    HoursReportSchema,
    LiabilityArgsSchema,
    LiabilitySchema,
    MovementsReportSchema,
    ReportPeriodArgsSchema,
    ShopAccountsReportSchema,
    TiersReportSchema,
    TopVolunteersArgsSchema,
    TopVolunteersReportSchema,
    VolunteerActivityReportSchema,
    WithheldReportSchema,
)
from mileage.clock import seoul_today
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_report_session
from mileage.http.callers import requires
from mileage.http.locale import select_language
from mileage.people.roles import STAFF_READERS
from mileage.reports import donations, hours, periods, points, programme, shops, volunteers

blueprint = Blueprint(
    "admin_reports", __name__, url_prefix="/admin/reports",
    description="Reports: hours, point movements and liability, volunteers, shops, donations (JSON or CSV)",
)

# Documents the ?format=csv answer next to the JSON one.
CSV_ALTERNATIVE = blueprint.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)


def _period(args) -> periods.ReportPeriod:
    return periods.report_period(args["start"], args["end"])


def _answer(report: periods.Report, name: str, args, **csv_options):
    """Return the report for the JSON schema, or a CSV download when ?format=csv."""
    if args["format"] != "csv":
        return report
    filename = f"{name}-{report.period.start.isoformat()}-{report.period.end.isoformat()}.csv"
    return Response(
        render_report_csv(report, name, select_language(), **csv_options),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blueprint.route("/hours", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(HoursReportArgsSchema, location="query")
@blueprint.response(200, HoursReportSchema)
@CSV_ALTERNATIVE
def hours_report(args):
    """Return hours and points per month, organisation and category (group_by picks which)."""
    group_by = tuple(args["group_by"])
    report = hours.hours_report(get_report_session(), _period(args), group_by=group_by)
    dimensions = {"month": "month", "organisation": "organisation_name", "category": "category"}
    return _answer(report, "hours", args,
                   leave_out=tuple(column for name, column in dimensions.items() if name not in group_by))


@blueprint.route("/movements", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, MovementsReportSchema)
@CSV_ALTERNATIVE
def movements_report(args):
    """Return points issued, redeemed, refunded, donated, expired and disbursed per month, with the liability."""
    return _answer(points.movements_report(get_report_session(), _period(args)), "movements", args)


@blueprint.route("/liability", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(LiabilityArgsSchema, location="query")
@blueprint.response(200, LiabilitySchema)
def liability(args):
    """Return the outstanding liability (all card balances) at the end of a Seoul day."""
    as_of = args.get("as_of") or seoul_today()
    return {"as_of": as_of, "liability": points.liability_on(get_report_session(), as_of)}


@blueprint.route("/volunteers", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, VolunteerActivityReportSchema)
@CSV_ALTERNATIVE
def volunteer_activity_report(args):
    """Return active volunteers (hours recognised) and new volunteers per month."""
    return _answer(volunteers.volunteer_activity_report(get_report_session(), _period(args)), "volunteers", args)


@blueprint.route("/top-volunteers", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(TopVolunteersArgsSchema, location="query")
@blueprint.response(200, TopVolunteersReportSchema)
@CSV_ALTERNATIVE
def top_volunteers_report(args):
    """Return the volunteers with the most recognised hours in the period."""
    report = volunteers.top_volunteers_report(get_report_session(), _period(args), limit=args["limit"])
    return _answer(report, "top_volunteers", args)


@blueprint.route("/shop-accounts", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, ShopAccountsReportSchema)
@CSV_ALTERNATIVE
def shop_accounts_report(args):
    """Return per shop account and month the points redeemed and refunded, from the ledger."""
    return _answer(shops.shop_accounts_report(get_report_session(), _period(args)), "shop_accounts", args)


@blueprint.route("/donations", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, DonationsReportSchema)
@CSV_ALTERNATIVE
def donations_report(args):
    """Return per cause and month the points donated and disbursed, from the ledger."""
    return _answer(donations.donations_report(get_report_session(), _period(args)), "donations", args)


@blueprint.route("/withheld", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, WithheldReportSchema)
@CSV_ALTERNATIVE
def withheld_report(args):
    """Return, per month of approval, the points paid and the points withheld (caps, last year's hours)."""
    return _answer(programme.withheld_report(get_report_session(), _period(args)), "withheld", args)


@blueprint.route("/tiers", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, TiersReportSchema)
@CSV_ALTERNATIVE
def tiers_report(args):
    """Return volunteers per tier at each year's end with the year's movements (CSV: ?format=csv, the counts)."""
    return _answer(programme.tiers_report(get_report_session(), _period(args)), "tiers", args)


@blueprint.route("/tier-movements", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, TiersReportSchema)
@CSV_ALTERNATIVE
def tier_movements_report(args):
    """Return the tier changes per year, from and to which tier and why (CSV: ?format=csv)."""
    report = programme.tiers_report(get_report_session(), _period(args))
    if args["format"] != "csv":
        return report
    return _answer(periods.Report(report.period, report.movements, {"changes": report.totals["changes"]}),
                   "tier_movements", args)


@blueprint.route("/benefit-uses", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(ReportPeriodArgsSchema, location="query")
@blueprint.response(200, BenefitUsesReportSchema)
@CSV_ALTERNATIVE
def benefit_uses_report(args):
    """Return tier benefits used per shop and month (no points move for them)."""
    return _answer(programme.benefit_uses_report(get_report_session(), _period(args)), "benefit_uses", args)
