"""Reports as CSV files that Excel opens with the Korean intact, one column list per report."""

from __future__ import annotations

import csv
import io

from mileage.i18n import NP_, translate_in_context
from mileage.reports.periods import Report
from mileage.spreadsheet_cells import CSV_ENCODING, spreadsheet_text

ENCODING = CSV_ENCODING
TOTAL_LABEL = NP_("report row", "total")

# Per report: (row attribute, heading as a catalogue msgid with its context).
COLUMNS = {
    "hours": [
        ("month", NP_("hours report column", "month")),
        ("organisation_name", NP_("hours report column", "organisation")),
        ("category", NP_("hours report column", "category")),
        ("claims", NP_("hours report column", "claims")),
        ("minutes", NP_("hours report column", "minutes")),
        ("points", NP_("hours report column", "points")),
        ("reversed_claims", NP_("hours report column", "reversed claims")),
        ("reversed_minutes", NP_("hours report column", "reversed minutes")),
        ("reversed_points", NP_("hours report column", "reversed points")),
    ],
    "movements": [
        ("month", NP_("movements report column", "month")),
        ("issued", NP_("movements report column", "issued")),
        ("reversed", NP_("movements report column", "reversed")),
        ("redeemed", NP_("movements report column", "redeemed")),
        ("refunded", NP_("movements report column", "refunded")),
        ("donated", NP_("movements report column", "donated")),
        ("disbursed", NP_("movements report column", "disbursed")),
        ("expired", NP_("movements report column", "expired")),
        ("held", NP_("movements report column", "held")),
        ("liability_start", NP_("movements report column", "liability at start")),
        ("liability_end", NP_("movements report column", "liability at end")),
    ],
    "volunteers": [
        ("month", NP_("volunteers report column", "month")),
        ("active_volunteers", NP_("volunteers report column", "active volunteers")),
        ("new_volunteers", NP_("volunteers report column", "new volunteers")),
    ],
    "top_volunteers": [
        ("rank", NP_("top_volunteers report column", "rank")),
        ("volunteer_id", NP_("top_volunteers report column", "volunteer id")),
        ("name", NP_("top_volunteers report column", "name")),
        ("claims", NP_("top_volunteers report column", "claims")),
        ("minutes", NP_("top_volunteers report column", "minutes")),
        ("points", NP_("top_volunteers report column", "points")),
    ],
    "shop_accounts": [
        ("month", NP_("shop_accounts report column", "month")),
        ("merchant_id", NP_("shop_accounts report column", "shop id")),
        ("merchant_name", NP_("shop_accounts report column", "shop")),
        ("redemptions", NP_("shop_accounts report column", "redemptions")),
        ("redeemed", NP_("shop_accounts report column", "redeemed")),
        ("refunds", NP_("shop_accounts report column", "refunds")),
        ("refunded", NP_("shop_accounts report column", "refunded")),
        ("net", NP_("shop_accounts report column", "net")),
    ],
    "withheld": [
        ("month", NP_("withheld report column", "month")),
        ("approved_claims", NP_("withheld report column", "approved claims")),
        ("capped_claims", NP_("withheld report column", "capped claims")),
        ("paid_points", NP_("withheld report column", "points paid")),
        ("withheld_points", NP_("withheld report column", "points withheld")),
        ("withheld_lifetime_cap", NP_("withheld report column", "lifetime cap")),
        ("withheld_yearly_cap", NP_("withheld report column", "yearly cap")),
        ("withheld_previous_year_hours", NP_("withheld report column", "too few hours the previous year")),
    ],
    "tiers": [
        ("year", NP_("tiers report column", "year")),
        ("tier", NP_("tiers report column", "tier")),
        ("volunteers_at_end", NP_("tiers report column", "volunteers at year end")),
        ("moved_in", NP_("tiers report column", "moved in")),
        ("moved_out", NP_("tiers report column", "moved out")),
    ],
    "tier_movements": [
        ("year", NP_("tier movements report column", "year")),
        ("from_tier", NP_("tier movements report column", "from")),
        ("to_tier", NP_("tier movements report column", "to")),
        ("reason", NP_("tier movements report column", "reason")),
        ("changes", NP_("tier movements report column", "changes")),
    ],
    "benefit_uses": [
        ("month", NP_("benefit uses report column", "month")),
        ("merchant_id", NP_("benefit uses report column", "shop id")),
        ("merchant_name", NP_("benefit uses report column", "shop")),
        ("uses", NP_("benefit uses report column", "tier discounts")),
        ("purchase_amount", NP_("benefit uses report column", "purchases")),
        ("benefit_amount", NP_("benefit uses report column", "discounts")),
    ],
    "donations": [
        ("month", NP_("donations report column", "month")),
        ("cause_id", NP_("donations report column", "cause id")),
        ("cause_name", NP_("donations report column", "cause")),
        ("donations", NP_("donations report column", "donations")),
        ("donated", NP_("donations report column", "donated")),
        ("disbursements", NP_("donations report column", "disbursements")),
        ("disbursed", NP_("donations report column", "disbursed")),
    ],
}


def _cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    return spreadsheet_text(str(value))


def render_report_csv(report: Report, name: str, language: str = "ko", *, leave_out: tuple[str, ...] = ()) -> bytes:
    """Return a report as CSV bytes: a heading row, one row per report row, and the totals if any."""
    columns = [column for column in COLUMNS[name] if column[0] not in leave_out]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([translate_in_context(language, *heading) for _, heading in columns])
    for row in report.rows:
        writer.writerow([_cell(getattr(row, attribute)) for attribute, _ in columns])
    if report.totals:
        first, *rest = columns
        totals = (_cell(report.totals.get(attribute)) for attribute, _ in rest)
        writer.writerow([translate_in_context(language, *TOTAL_LABEL), *totals])
    return buffer.getvalue().encode(ENCODING)
