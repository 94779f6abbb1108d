"""Rows per second of a spreadsheet import: a 10,000-row .xlsx, previewed and then confirmed.

    python -m bench.import_xlsx [--rows 10000] [--per-volunteer 5]

Creates a scratch PostgreSQL database, seeds volunteers with a card each (with SQL), writes an .xlsx
with openpyxl the way a coordinator's sheet looks (card numbers as text, Excel date and time cells,
two-hour activities on past days), and runs the upload service on it directly: the preview (every
row checked, then rolled back) and the confirmation (every row recorded), each in one transaction,
as the upload page does. Afterwards it checks that every row became exactly one submitted claim,
and that confirming the same file again creates none.

Prints one JSON line: rows, xlsx_bytes, read_s (openpyxl alone), preview_rows_per_s,
confirm_rows_per_s, reupload_rows_per_s, claims_created, duplicates_created, and the settings.
"""

from __future__ import annotations

import argparse
import io
import time
from datetime import datetime, timedelta
from datetime import time as clock

from openpyxl import Workbook
from sqlalchemy import func, select

from bench.common import progress, report, server_url
from bench.seed import seed_cards
from mileage.audit import SYSTEM_ACTOR
from mileage.claims import spreadsheets, uploads
from mileage.claims.rules import DEFAULT_POLICY
from mileage.clock import seoul_today
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.models import Claim
from mileage.people.organisations import create_organisation
from tests.support.databases import scratch_database


def build_workbook(numbers: list[str], rows: int, per_volunteer: int) -> bytes:
    """Write `rows` rows: each volunteer works two hours on `per_volunteer` distinct past days."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("봉사시간")
    sheet.append(["카드번호", "날짜", "시작", "종료", "분야", "비고"])
    today = seoul_today()
    for index in range(rows):
        number = numbers[index // per_volunteer]
        day = today - timedelta(days=1 + index % per_volunteer)
        sheet.append([number, datetime(day.year, day.month, day.day), clock(9), clock(11), "복지관 배식", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--per-volunteer", type=int, default=5)
    args = parser.parse_args()

    with scratch_database(server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        try:
            volunteers = -(-args.rows // args.per_volunteer)
            progress(f"seeding {volunteers} volunteers with cards")
            cards = seed_cards(engine, volunteers, balance=0)
            organisation_id = run_in_transaction(
                factory, lambda s: create_organisation(s, name="벤치 복지관", actor=SYSTEM_ACTOR).id
            )
            data = build_workbook([card.number for card in cards], args.rows, args.per_volunteer)

            started = time.perf_counter()
            sheet = spreadsheets.read_sheet(data)
            read_s = time.perf_counter() - started
            assert len(sheet.rows) == args.rows

            def preview(session):
                return uploads.preview_claim_upload(
                    session, data, actor=SYSTEM_ACTOR, policy=DEFAULT_POLICY,
                    default_organisation_id=organisation_id, filename="bench.xlsx",
                )

            progress("preview")
            started = time.perf_counter()
            previewed = run_in_transaction(factory, preview)
            preview_s = time.perf_counter() - started

            progress("confirm")
            started = time.perf_counter()
            confirmed = run_in_transaction(
                factory,
                lambda s: uploads.confirm_claim_upload(s, previewed.upload_id, actor=SYSTEM_ACTOR,
                                                       policy=DEFAULT_POLICY),
            )
            confirm_s = time.perf_counter() - started

            progress("the same file again")
            started = time.perf_counter()
            again = run_in_transaction(
                factory,
                lambda s: uploads.confirm_claim_upload(s, preview(s).upload_id, actor=SYSTEM_ACTOR,
                                                       policy=DEFAULT_POLICY),
            )
            reupload_s = time.perf_counter() - started

            with factory() as session:
                claims = session.scalar(select(func.count()).select_from(Claim))
        finally:
            engine.dispose()

    report({
        "benchmark": "import_xlsx",
        "rows": args.rows,
        "xlsx_bytes": len(data),
        "read_s": round(read_s, 2),
        "preview_rows_per_s": round(args.rows / preview_s, 1),
        "confirm_rows_per_s": round(args.rows / confirm_s, 1),
        "reupload_rows_per_s": round(args.rows / reupload_s, 1),
        "preview_errors": previewed.errors,
        "claims_created": confirmed.created,
        "duplicates_created": again.created,
        "claims_in_database": claims,
        "per_volunteer": args.per_volunteer,
    })


if __name__ == "__main__":
    main()
