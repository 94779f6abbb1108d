"""Points redeemed at and refunded from each shop's ledger account, by month (see `shops.settlement` for receipts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.models import (
    Account,
    AccountKind,
    Merchant,
)
from mileage.reports.periods import Report, ReportPeriod, postings_by_month, sum_fields


@dataclass(frozen=True)
class ShopAccountRow:
    """One shop's discounts in a month: points redeemed there and refunded from there."""

    month: str
    # None only for a shop account with no shop registered on it (accounts opened by hand).
    merchant_id: int | None
    merchant_name: str | None
    account_id: int
    account_code: str
    redemptions: int
    redeemed: int
    refunds: int
    refunded: int

    @property
    def net(self) -> int:
        return self.redeemed - self.refunded


def shop_accounts_report(session: Session, period: ReportPeriod) -> Report:
    """Return per shop and month the points redeemed there and refunded from there.

    The figures are sums of the shops' ledger accounts, so they reconcile with the ledger; the shop
    tables only name the account's shop.
    """
    shops = {
        account_id: (code, merchant_id, name)
        for account_id, code, merchant_id, name in session.execute(
            select(Account.id, Account.code, Merchant.id, Merchant.name)
            .outerjoin(Merchant, Merchant.account_id == Account.id)
            .where(Account.kind == str(AccountKind.MERCHANT))
        )
    }
    rows = []
    for month, account_id, points_in, points_out, count_in, count_out in postings_by_month(
        session, period, "account_id", account_kind=str(AccountKind.MERCHANT)
    ):
        code, merchant_id, name = shops[account_id]
        rows.append(
            ShopAccountRow(
                month, merchant_id, name, account_id, code, count_in, points_in, count_out, points_out
            )
        )
    rows.sort(key=lambda row: (row.month, row.merchant_name or row.account_code, row.account_id))
    totals = sum_fields(rows, ("redemptions", "redeemed", "refunds", "refunded"))
    totals["net"] = totals["redeemed"] - totals["refunded"]
    return Report(period, rows, totals)
