"""The `mileage` command as an operator runs it: migrate, create users, load the demo, check the ledger."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text

from mileage import hashing
from mileage.cli import main
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.models import Account, Card, JournalEntry, User, Volunteer
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories


@pytest.fixture
def empty_database():
    """The URL of a new, empty database on the configured server (or a SQLite file)."""
    with scratch_database(configured_server_url()) as url:
        yield url


@pytest.fixture
def migrated_database(empty_database):
    upgrade_database(empty_database)
    return empty_database


@pytest.fixture
def engine_on(empty_database):
    """Open engines on test databases to seed and inspect them; all are disposed before the drop."""
    engines = []

    def open_engine(url):
        engines.append(make_engine(url))
        return engines[-1]

    yield open_engine
    for engine in engines:
        engine.dispose()


@pytest.fixture
def mileage(monkeypatch, empty_database):
    """Run `mileage ...` against a database URL, as a deployment would configure it."""
    monkeypatch.delenv("MILEAGE_ENV", raising=False)

    def run(database_url, *args, input=None, language=None):
        environment = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "cli-test-secret-key",
            "TOKEN_SIGNING_KEY": "cli-test-token-signing-key-32-bytes",
            # The staff's language comes from the environment; none set means Korean.
            "MILEAGE_LANGUAGE": language,
        }
        return CliRunner().invoke(main, list(args), env=environment, input=input, catch_exceptions=False)

    yield run


# --- mileage check --------------------------------------------------------------------------

def test_check_passes_on_a_healthy_ledger_and_fails_once_a_balance_is_corrupted(
    mileage, migrated_database, engine_on
):
    engine = engine_on(migrated_database)
    card_account = run_in_transaction(
        make_session_factory(engine), lambda session: Factories(session).card(balance=4_200).account_id
    )

    healthy = mileage(migrated_database, "check")
    assert healthy.exit_code == 0, healthy.output
    assert json.loads(healthy.output)["ok"] is True

    with engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET balance = balance + 1 WHERE id = :id"), {"id": card_account})

    broken = mileage(migrated_database, "check")
    assert broken.exit_code != 0
    report = json.loads(broken.output)
    assert report["ok"] is False
    assert [mismatch["account_id"] for mismatch in report["balance_mismatches"]] == [card_account]


# --- mileage db upgrade ---------------------------------------------------------------------

def test_db_upgrade_creates_the_whole_schema_in_a_new_sqlite_file(mileage, engine_on, tmp_path):
    path = tmp_path / "fresh" / "mileage.sqlite3"
    path.parent.mkdir()
    url = f"sqlite:///{path}"

    result = mileage(url, "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "데이터베이스 버전 head" in result.output
    engine = engine_on(url)
    assert {"accounts", "journal_entries", "postings", "cards", "claims", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Account)) == 4  # the system accounts
    again = mileage(url, "db", "upgrade")
    assert again.exit_code == 0, again.output


# --- mileage create-user --------------------------------------------------------------------

def _user(engine, username):
    with make_session_factory(engine)() as session:
        return session.scalar(select(User).where(User.username == username))


def test_create_user_makes_a_user_who_can_sign_in_with_that_password(mileage, migrated_database, engine_on):
    result = mileage(
        migrated_database, "create-user", "--username", "Park.Staff", "--role", "staff",
        "--password", "nowon-2011-card", "--display-name", "박담당",
    )

    assert result.exit_code == 0, result.output
    user = _user(engine_on(migrated_database), "park.staff")
    # Korean unless the staff member's environment asks for another language.
    assert f"직원 계정 park.staff을(를) 만들었습니다. (번호 {user.id})" in result.output
    assert (user.role, user.display_name) == ("staff", "박담당")
    assert hashing.verify_secret(user.password_hash, "nowon-2011-card")
    assert "nowon-2011-card" not in user.password_hash


def test_command_output_follows_the_staff_members_language(mileage, migrated_database):
    result = mileage(
        migrated_database, "create-user", "--username", "lee.audit", "--role", "auditor",
        "--password", "nowon-2011-card", language="en",
    )
    assert result.exit_code == 0, result.output
    assert "created Auditor lee.audit (id " in result.output


def test_create_user_asks_for_the_password_twice_when_it_is_not_given(mileage, migrated_database, engine_on):
    result = mileage(
        migrated_database, "create-user", "--username", "auditor1", "--role", "auditor",
        input="read-only-please\nread-only-please\n",
    )

    assert result.exit_code == 0, result.output
    assert hashing.verify_secret(_user(engine_on(migrated_database), "auditor1").password_hash, "read-only-please")


@pytest.mark.parametrize(
    "username, password, message",
    [
        ("taken", "long-enough-1", "오류: 이미 사용 중인 아이디입니다."),
        ("someone", "short", "오류: 비밀번호는 8자 이상이어야 합니다."),
    ],
)
def test_create_user_refuses_with_a_clear_message_and_a_failing_exit_code(
    mileage, migrated_database, engine_on, username, password, message
):
    first = mileage(
        migrated_database, "create-user", "--username", "taken", "--role", "admin", "--password", "first-pass-1"
    )
    assert first.exit_code == 0, first.output

    result = mileage(
        migrated_database, "create-user", "--username", username, "--role", "staff", "--password", password
    )

    assert result.exit_code != 0
    assert message in result.output
    assert _user(engine_on(migrated_database), "taken").role == "admin"
    assert _user(engine_on(migrated_database), "someone") is None


# --- mileage demo ---------------------------------------------------------------------------

def test_demo_loads_once_and_leaves_a_healthy_ledger(mileage, empty_database, engine_on):
    pytest.importorskip("mileage.demo")

    first = mileage(empty_database, "demo")
    assert first.exit_code == 0, first.output
    engine = engine_on(empty_database)

    def counts():
        with make_session_factory(engine)() as session:
            return {
                model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (Volunteer, Card, User, JournalEntry)
            }

    loaded = counts()
    assert loaded["Volunteer"] > 0 and loaded["Card"] == loaded["Volunteer"] and loaded["JournalEntry"] > 0

    second = mileage(empty_database, "demo")
    assert second.exit_code == 0, second.output
    assert counts() == loaded
    check = mileage(empty_database, "check")
    assert check.exit_code == 0, check.output
