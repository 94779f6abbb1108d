"""`mileage import-claims FILE --organisation ID [--dry-run]` against a database where it really commits."""

import io
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from mileage.cli import main
from mileage.clock import seoul_today
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.models import Claim, ClaimImport
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories


@pytest.fixture
def database():
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        environment = {
            "DATABASE_URL": url, "SECRET_KEY": "cli-test", "TOKEN_SIGNING_KEY": "cli-test-signing-key-32-bytes!!!"
        }
        try:
            yield environment, make_session_factory(engine)
        finally:
            engine.dispose()


def invoke(environment, *arguments):
    return CliRunner(env=environment).invoke(main, list(arguments), catch_exceptions=False)


def counts(factory):
    session = factory()
    try:
        return (session.scalar(select(func.count()).select_from(Claim)),
                session.scalar(select(func.count()).select_from(ClaimImport)))
    finally:
        session.close()


def test_dry_run_posts_nothing_then_the_import_posts_once_and_again_changes_nothing(database, tmp_path):
    environment, factory = database

    def seed(session):
        make = Factories(session)
        return make.card().number, make.organisation().id

    number, organisation_id = run_in_transaction(factory, seed)
    day = seoul_today() - timedelta(days=2)
    book = Workbook()
    book.active.append(["카드번호", "날짜", "시작", "종료", "분야"])
    book.active.append([number, day, "오전 9:00", "오후 1:30", "복지"])
    book.active.append([number, day, "오후 1:00", "오후 2:00", "복지"])  # overlaps the first row
    path = tmp_path / "hours.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())

    dry = invoke(environment, "import-claims", str(path), "--organisation", str(organisation_id), "--dry-run")
    assert dry.exit_code == 2, dry.output
    assert "3  error    " in dry.output and "같은 시간대에 이미 신청된 봉사가 있습니다." in dry.output
    assert "2행: 정상 1, 주의 0, 오류 1 · 생성 예정 1, 건너뜀 0" in dry.output
    assert counts(factory) == (0, 0)

    real = invoke(environment, "import-claims", str(path), "--organisation", str(organisation_id), "--json")
    report = json.loads(real.output[real.output.index("{"):])
    assert (report["created"], report["errors"], report["rows"]) == (1, 1, 2)
    assert counts(factory) == (1, 1)

    again = invoke(environment, "import-claims", str(path), "--organisation", str(organisation_id), "--json")
    report = json.loads(again.output[again.output.index("{"):])
    assert (report["created"], report["skipped"]) == (0, 1)
    assert counts(factory)[0] == 1
