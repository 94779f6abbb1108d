"""Reports as CSV files that Excel opens with the Korean intact, one column list per report."""

from __future__ import annotations

import csv
import io

from mileage.reports.periods import Report

# Excel only reads a CSV file as UTF-8 when it starts with a byte order mark.
ENCODING = "utf-8-sig"
# A cell starting with one of these runs as a formula in a spreadsheet.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TOTAL_LABEL = {"ko": "합계", "en": "total"}

# Per report: (row attribute, Korean heading, English heading).
COLUMNS = {
    "hours": [
        ("month", "월", "month"),
        ("organisation_name", "기관", "organisation"),
        ("category", "분야", "category"),
        ("claims", "승인 건수", "claims"),
        ("minutes", "봉사시간(분)", "minutes"),
        ("points", "적립 포인트", "points"),
        ("reversed_claims", "취소 건수", "reversed claims"),
        ("reversed_minutes", "취소 시간(분)", "reversed minutes"),
        ("reversed_points", "회수 포인트", "reversed points"),
    ],
    "movements": [
        ("month", "월", "month"),
        ("issued", "적립", "issued"),
        ("reversed", "적립 취소", "reversed"),
        ("redeemed", "가맹점 사용", "redeemed"),
        ("refunded", "사용 환불", "refunded"),
        ("donated", "기부", "donated"),
        ("disbursed", "기부 전달", "disbursed"),
        ("expired", "소멸", "expired"),
        ("held", "승인 대기 증감", "held"),
        ("liability_start", "월초 잔액 합계", "liability at start"),
        ("liability_end", "월말 잔액 합계", "liability at end"),
    ],
    "volunteers": [
        ("month", "월", "month"),
        ("active_volunteers", "활동 봉사자", "active volunteers"),
        ("new_volunteers", "신규 봉사자", "new volunteers"),
    ],
    "top_volunteers": [
        ("rank", "순위", "rank"),
        ("volunteer_id", "봉사자 번호", "volunteer id"),
        ("name", "이름", "name"),
        ("claims", "승인 건수", "claims"),
        ("minutes", "봉사시간(분)", "minutes"),
        ("points", "적립 포인트", "points"),
    ],
    "shop_accounts": [
        ("month", "월", "month"),
        ("merchant_id", "가맹점 번호", "shop id"),
        ("merchant_name", "가맹점", "shop"),
        ("account_code", "가맹점 계정", "shop account"),
        ("redemptions", "사용 건수", "redemptions"),
        ("redeemed", "사용 포인트", "redeemed"),
        ("refunds", "환불 건수", "refunds"),
        ("refunded", "환불 포인트", "refunded"),
        ("net", "정산 포인트", "net"),
    ],
    "withheld": [
        ("month", "월", "month"),
        ("approved_claims", "승인 건수", "approved claims"),
        ("capped_claims", "한도 적용 건수", "capped claims"),
        ("paid_points", "적립 포인트", "points paid"),
        ("withheld_points", "한도로 미적립", "points withheld"),
        ("withheld_lifetime_cap", "평생 한도", "lifetime cap"),
        ("withheld_yearly_cap", "연간 한도", "yearly cap"),
    ],
    "tiers": [
        ("year", "연도", "year"),
        ("tier", "등급", "tier"),
        ("volunteers_at_end", "연말 봉사자 수", "volunteers at year end"),
        ("moved_in", "등급 진입", "moved in"),
        ("moved_out", "등급 이탈", "moved out"),
    ],
    "tier_movements": [
        ("year", "연도", "year"),
        ("from_tier", "이전 등급", "from"),
        ("to_tier", "새 등급", "to"),
        ("reason", "사유", "reason"),
        ("changes", "변경 수", "changes"),
    ],
    "benefit_uses": [
        ("month", "월", "month"),
        ("merchant_id", "가맹점 번호", "shop id"),
        ("merchant_name", "가맹점", "shop"),
        ("uses", "등급 할인 건수", "tier discounts"),
        ("purchase_amount", "구매 금액", "purchases"),
        ("benefit_amount", "할인 금액", "discounts"),
    ],
    "donations": [
        ("month", "월", "month"),
        ("cause_id", "기부처 번호", "cause id"),
        ("cause_name", "기부처", "cause"),
        ("donations", "기부 건수", "donations"),
        ("donated", "기부 포인트", "donated"),
        ("disbursements", "전달 건수", "disbursements"),
        ("disbursed", "전달 포인트", "disbursed"),
    ],
}


def _cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def render_report_csv(report: Report, name: str, language: str = "ko", *, leave_out: tuple[str, ...] = ()) -> bytes:
    """Return a report as CSV bytes: a heading row, one row per report row, and the totals if any."""
    language = "en" if language == "en" else "ko"
    columns = [column for column in COLUMNS[name] if column[0] not in leave_out]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([english if language == "en" else korean for _, korean, english in columns])
    for row in report.rows:
        writer.writerow([_cell(getattr(row, attribute)) for attribute, _, _ in columns])
    if report.totals:
        first, *rest = columns
        writer.writerow([TOTAL_LABEL[language], *(_cell(report.totals.get(attribute)) for attribute, _, _ in rest)])
    return buffer.getvalue().encode(ENCODING)
