"""Reports read from the read replica (DATABASE_REPLICA_URL); the money paths stay on the primary.

A primary and a streaming hot standby of the test's own (PrivateClusters; the standby made with
pg_basebackup, as a replica is in production). The standby's replay is paused, then points move
on the primary: a report then shows the standby's older figure, while a sale at a shop works on
the primary's balance. Once replay resumes, the report catches up.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time

import pytest
from sqlalchemy import create_engine, text

from mileage.app import create_app
from mileage.cards.qr import issue_qr_token
from mileage.clock import seoul_today
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.people.tokens import Principal, issue_access_token
from mileage.shops import terminals
from tests.support.factories import Factories
from tests.support.postgres import PrivateCluster, postgres_binaries

DATABASE = "mileage"


@pytest.fixture
def primary_and_standby(postgres_server_url):
    """A primary and a hot standby streaming from it, both the test's own; yields their server URLs."""
    if postgres_binaries() is None:
        pytest.fail("the PostgreSQL server binaries are needed (Debian's postgresql package)")
    primary = PrivateCluster().create().start()
    standby = PrivateCluster()
    try:
        if os.geteuid() == 0:
            shutil.chown(standby.folder, "postgres", "postgres")
        standby._run("pg_basebackup", "-D", str(standby.data), "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", "postgres", "-R", "-X", "stream", "--no-sync", timeout=120)
        standby.start()
        yield primary.server_url, standby.server_url
    finally:
        standby.destroy()
        primary.destroy()


def _on(server_url: str, database: str) -> str:
    return server_url.rsplit("/", 1)[0] + f"/{database}"


def _wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError("the standby did not catch up")


def test_a_report_is_served_from_the_standby_and_a_sale_from_the_primary(primary_and_standby):
    primary_server, standby_server = primary_and_standby
    admin = create_engine(primary_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    primary_url, standby_url = _on(primary_server, DATABASE), _on(standby_server, DATABASE)
    upgrade_database(primary_url)
    engine = make_engine(primary_url, pool_size=2)
    standby_engine = create_engine(standby_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    sessions = make_session_factory(engine)

    def seed(session):
        make = Factories(session)
        staff = make.user(role="staff")
        card = make.card(balance=5_000)
        merchant = make.merchant(offer={"rate_bp": 1000, "max_discount": 3000, "min_purchase": 0})
        terminal = make.terminal(merchant).terminal
        return staff, card, terminal

    app = None
    try:
        staff, card, terminal = run_in_transaction(sessions, seed)

        def standby_has_the_card() -> bool:
            try:
                with standby_engine.connect() as connection:
                    return connection.execute(
                        text("SELECT balance FROM accounts WHERE id = :id"), {"id": card.account_id}
                    ).scalar() == 5_000
            except Exception:  # the database is not there yet
                return False

        _wait_until(standby_has_the_card)
        with standby_engine.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_pause()"))

        def replay_paused() -> bool:
            with standby_engine.connect() as connection:
                return connection.execute(text("SELECT pg_get_wal_replay_pause_state()")).scalar() == "paused"

        _wait_until(replay_paused)
        # Points move on the primary; the paused standby does not see them.
        run_in_transaction(sessions, lambda session: Factories(session).credit(card, 2_000))

        app = create_app({
            "TESTING": True, "SECRET_KEY": "replica-test-secret",
            "TOKEN_SIGNING_KEY": "replica-test-signing-key-32-bytes!",
            "DATABASE_URL": primary_url, "DATABASE_REPLICA_URL": standby_url, "MILEAGE_ENV": "development",
        })
        signer = app.extensions["mileage.token_signer"]
        client = app.test_client()
        staff_headers = {"Authorization": f"Bearer {issue_access_token(signer, Principal.of_user(staff))}"}
        report = client.get(f"/admin/reports/liability?as_of={seoul_today().isoformat()}", headers=staff_headers)
        assert report.status_code == 200, report.get_data(as_text=True)
        # The standby's figure: the credit made after its replay was paused is not in it.
        assert report.json["liability"] == 5_000

        till = {"Authorization": f"Bearer {issue_access_token(signer, terminals.terminal_principal(terminal))}"}
        sale = client.post(
            "/merchant/redemptions", json={"scanned": issue_qr_token(signer, card).token, "purchase_amount": 65_000},
            headers={**till, "Idempotency-Key": f"sale-{secrets.token_hex(6)}"},
        )
        # The sale ran on the primary: its 3,000 (the offer's cap) came off the primary's 7,000.
        assert sale.status_code == 201, sale.get_data(as_text=True)
        with engine.connect() as connection:
            left = connection.execute(
                text("SELECT balance FROM accounts WHERE id = :id"), {"id": card.account_id}
            ).scalar_one()
        assert left == 7_000 - sale.json["discount"] == 4_000

        with standby_engine.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_resume()"))
        _wait_until(lambda: client.get("/admin/reports/liability", headers=staff_headers).json["liability"] == 4_000)
    finally:
        if app is not None:
            for name in ("mileage.engine", "mileage.replica_engine"):
                app.extensions[name].dispose()
        engine.dispose()
        standby_engine.dispose()
