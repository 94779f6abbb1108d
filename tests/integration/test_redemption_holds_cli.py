"""`mileage sweep-holds` against a database where it really commits."""

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mileage import ledger
from mileage.cards.qr import issue_qr_token
from mileage.cli import main
from mileage.clock import utc_now
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.models import Card, Hold, HoldStatus
from mileage.people.tokens import TokenSigner
from mileage.shops import holds
from mileage.shops.counter import Till
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories

SIGNER = TokenSigner(key="sweeper-signing-key-of-32-bytes!!!!")


@pytest.fixture
def database():
    """A migrated scratch database, the CLI's environment for it, and a session factory on it."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        environment = {"DATABASE_URL": url, "SECRET_KEY": "cli-test", "TOKEN_SIGNING_KEY": SIGNER.key}
        try:
            yield environment, make_session_factory(engine)
        finally:
            engine.dispose()


def test_sweep_holds_releases_expired_holds_in_batches_and_leaves_live_ones(database):
    environment, factory = database

    def set_up(session):
        make = Factories(session)
        merchant = make.merchant()
        till = Till(merchant.id, make.terminal(merchant).terminal.id)
        card = make.card(balance=10_000)
        long_ago = utc_now() - timedelta(hours=1)
        expired = [
            holds.authorize_hold(session, SIGNER, till, scanned=issue_qr_token(SIGNER, card).token,
                                       purchase_amount=5_000, now=long_ago).id
            for _ in range(3)
        ]
        live = holds.authorize_hold(session, SIGNER, till, scanned=issue_qr_token(SIGNER, card).token,
                                          purchase_amount=5_000).id
        return card.id, expired, live

    card_id, expired, live = run_in_transaction(factory, set_up)

    result = CliRunner(env=environment).invoke(main, ["sweep-holds", "--batch", "2"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "만료된 보류 3건을 해제했습니다."

    def inspect(session):
        statuses = dict(session.execute(select(Hold.id, Hold.status)).all())
        return statuses, ledger.get_balance(session, session.get(Card, card_id).account_id)

    statuses, balance = run_in_transaction(factory, inspect)
    assert [statuses[hold_id] for hold_id in expired] == [HoldStatus.EXPIRED] * 3
    assert statuses[live] == HoldStatus.HELD and balance == 10_000 - 500
    again = CliRunner(env=environment).invoke(main, ["sweep-holds"], catch_exceptions=False)
    assert again.output.strip() == "만료된 보류 0건을 해제했습니다."
