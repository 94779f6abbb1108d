"""The `mileage` command as a new operator meets it: one clear line and a non-zero exit for every mistake.

These run the real command in a fresh process, so that a traceback or a slow import would show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import head_revision, upgrade_database
from mileage.models import User
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories

REPOSITORY = Path(__file__).resolve().parents[1]
STRONG = {
    "SECRET_KEY": "Qm3v9-Xr7TzLp2Wd8Yk4Hs6Nc1Bf5Gj0UaPe",
    "TOKEN_SIGNING_KEY": "Zt8Kq2Lm5Vx9Rp3Wn7Yc1Hd4Gs6Fb0JuAo",
}


def run_mileage(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("MILEAGE_", "WEB_", "RATELIMIT_")) and key not in (
                       "DATABASE_URL", "SECRET_KEY", "TOKEN_SIGNING_KEY")}
    # The operator's lines in English, so that these tests read the words they check.
    environment["MILEAGE_LANGUAGE"] = "en"
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from mileage.cli import main; main()", *args],
        cwd=REPOSITORY, env=environment, input=input, capture_output=True, text=True, timeout=120,
    )


def assert_one_clear_line(result, *fragments: str, code: int | None = None) -> None:
    assert result.returncode != 0, result.stdout
    if code is not None:
        assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def database():
    with scratch_database(configured_server_url()) as url:
        yield url


@pytest.fixture
def migrated(database):
    upgrade_database(database)
    return database


def test_version():
    result = run_mileage("--version")
    assert result.returncode == 0 and result.stdout.startswith("mileage ")


def test_importing_the_command_hashes_nothing():
    probe = ("import mileage.cli, mileage.app, mileage.people.authentication as a, mileage.shops.terminals as t, "
             "mileage.claims.site_devices as d; "
             "print(a._dummy_password_hash.cache_info().currsize, t._dummy_secret_hash.cache_info().currsize, "
             "d._dummy_secret_hash.cache_info().currsize)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["0", "0", "0"]


@pytest.mark.parametrize("env, fragments", [
    ({"MILEAGE_ENV": "production", **STRONG}, ["MILEAGE_ENV=production requires DATABASE_URL"]),
    ({"MILEAGE_ENV": "production", "DATABASE_URL": "sqlite:///x.db"}, ["SECRET_KEY, TOKEN_SIGNING_KEY"]),
    ({"MILEAGE_ENV": "prod"}, ["MILEAGE_ENV='prod' is unknown", "development, production"]),
    ({"DATABASE_URL": "localhost:5432/mileage"}, ["DATABASE_URL is not a database URL"]),
    ({"DATABASE_URL": "mysql://u@h/db"}, ["only PostgreSQL", "SQLite"]),
    ({"MILEAGE_POINTS_PER_HOUR": "abc"}, ["MILEAGE_POINTS_PER_HOUR must be a whole number", "'abc'"]),
    ({"MILEAGE_HOLD_MINUTES": "-5"}, ["MILEAGE_HOLD_MINUTES must be at least 1"]),
    ({"MILEAGE_TRUSTED_PROXIES": "one"}, ["MILEAGE_TRUSTED_PROXIES must be a whole number"]),
    ({"MILEAGE_ENV": "production", "DATABASE_URL": "sqlite:///x.db", "SECRET_KEY": "s", "TOKEN_SIGNING_KEY": "t"},
     ["SECRET_KEY is too short for production", "secrets.token_urlsafe"]),
    ({"MILEAGE_ENV": "production", "DATABASE_URL": "sqlite:///x.db",
      "SECRET_KEY": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "TOKEN_SIGNING_KEY": STRONG["TOKEN_SIGNING_KEY"]},
     ["SECRET_KEY is not random enough"]),
    ({"MILEAGE_ENV": "production", "DATABASE_URL": "sqlite:///x.db", "WEB_CONCURRENCY": "4", **STRONG},
     ["attempt limits are kept per process", "4 workers", "RATELIMIT_STORAGE_URI=redis://"]),
])
def test_misconfiguration_is_one_line_and_exit_2(tmp_path, env, fragments):
    env = {key: value.replace("x.db", str(tmp_path / "x.db")) for key, value in env.items()}
    assert_one_clear_line(run_mileage("check", env=env), *fragments, code=2)


def test_an_unmigrated_database_is_named_with_the_command_that_fixes_it(database):
    result = run_mileage("check", env={"DATABASE_URL": database, **STRONG})
    assert_one_clear_line(result, "not migrated", head_revision(), "mileage db upgrade", code=2)


def test_an_unreachable_database_is_one_line():
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = run_mileage("users", "list", env={"DATABASE_URL": url, **STRONG})
    assert_one_clear_line(result, "cannot use the database", "check DATABASE_URL")


def test_users_create_refuses_missing_links_without_leaking_the_hash(migrated):
    env = {"DATABASE_URL": migrated, **STRONG}
    unknown = run_mileage("users", "create", "--username", "coord.kim", "--role", "coordinator",
                          "--organisation-id", "999", "--password", "long-enough-pw", env=env)
    assert_one_clear_line(unknown, "Organisation not found.")
    assert "argon2" not in unknown.stdout + unknown.stderr
    no_link = run_mileage("create-user", "--username", "vol.kim", "--role", "volunteer",
                          "--password", "long-enough-pw", env=env)
    assert_one_clear_line(no_link, "A Volunteer user needs a volunteer.")
    bad_name = run_mileage("users", "create", "--username", "kim staff", "--role", "staff",
                           "--password", "long-enough-pw", env=env)
    assert_one_clear_line(bad_name, "A username must have 3 to 32 characters")
    engine = make_engine(migrated)
    try:
        with make_session_factory(engine)() as session:
            assert session.scalars(select(User)).all() == []
    finally:
        engine.dispose()


def test_users_lifecycle_from_the_command_line(migrated):
    env = {"DATABASE_URL": migrated, **STRONG}
    engine = make_engine(migrated)
    try:
        place = run_in_transaction(make_session_factory(engine), lambda s: Factories(s).organisation().id)
    finally:
        engine.dispose()
    created = run_mileage("users", "create", "--username", "Coord.Kim", "--role", "coordinator",
                          "--organisation-id", str(place), env=env, input="long-enough-pw\nlong-enough-pw\n")
    assert created.returncode == 0, created.stderr
    assert "created Coordinator coord.kim" in created.stdout
    run_mileage("users", "create", "--username", "lee.staff", "--role", "staff", "--password", "pw-of-lee-1",
                env=env)
    assert run_mileage("users", "set-role", "lee.staff", "auditor", env=env).returncode == 0
    refused = run_mileage("users", "set-role", "lee.staff", "coordinator", env=env)
    assert_one_clear_line(refused, "A Coordinator user needs an organisation.")
    reset = run_mileage("users", "reset-password", "coord.kim", env=env, input="temporary-pw-1\ntemporary-pw-1\n")
    assert reset.returncode == 0 and "temporary-pw-1" not in reset.stdout + reset.stderr
    assert run_mileage("users", "disable", "lee.staff", env=env).returncode == 0
    again = run_mileage("users", "disable", "lee.staff", env=env)
    assert_one_clear_line(again, "already disabled")
    listed = run_mileage("users", "list", env=env)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert any("coord.kim" in line and "must change password" in line and f"organisation {place}" in line
               for line in lines)
    assert any("lee.staff" in line and "auditor" in line and "disabled" in line for line in lines)
    assert "argon2" not in listed.stdout
    missing = run_mileage("users", "disable", "nobody.here", env=env)
    assert_one_clear_line(missing, "User not found.")


def test_numbers_are_validated(migrated):
    env = {"DATABASE_URL": migrated, **STRONG}
    for args in (("sweep-holds", "--batch", "0"), ("sweep-holds", "--batch", "x"), ("run-campaign", "0")):
        result = run_mileage(*args, env=env)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "Invalid value" in result.stderr
    assert run_mileage("sweep-holds", "--batch", "5", env=env).stdout.strip() == "released 0 expired holds"


def test_downgrade_says_what_is_lost_and_asks(migrated):
    env = {"DATABASE_URL": migrated, **STRONG}
    declined = run_mileage("db", "downgrade", "--revision", "base", env=env, input="n\n")
    assert declined.returncode != 0
    assert "ALL DATA" in declined.stderr and "0001" in declined.stderr and "cancelled" in declined.stderr
    engine = make_engine(migrated)
    try:
        assert "accounts" in inspect(engine).get_table_names()
        done = run_mileage("db", "downgrade", "--revision", "0009", "--yes", env=env)
        assert done.returncode == 0, done.stderr
        assert "0011" in done.stderr
        current = run_mileage("db", "current", env=env)
        assert current.returncode == 1 and "revision 0009" in current.stdout and "behind" in current.stdout
        behind = run_mileage("check", env=env)
        assert_one_clear_line(behind, "schema is at 0009", "mileage db upgrade", code=2)
    finally:
        engine.dispose()


def test_expire_dry_run_posts_nothing(migrated):
    env = {"DATABASE_URL": migrated, **STRONG}
    result = run_mileage("expire", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert '"dry_run": true' in result.stdout


def test_backup_copies_the_sqlite_database(migrated, tmp_path):
    env = {"DATABASE_URL": migrated, **STRONG}
    target = tmp_path / "backups" / "mileage-backup.sqlite3"
    result = run_mileage("backup", str(target), env=env)
    if not migrated.startswith("sqlite"):
        assert_one_clear_line(result, "pg_dump -Fc")
        return
    assert result.returncode == 0, result.stderr
    assert f"schema {head_revision()}" in result.stdout
    copy = make_engine(f"sqlite:///{target}")
    try:
        assert "journal_entries" in inspect(copy).get_table_names()
    finally:
        copy.dispose()
    assert_one_clear_line(run_mileage("backup", str(target), env=env), "exists", "--overwrite")
