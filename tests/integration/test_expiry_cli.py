"""`mileage expire --as-of DATE` and `mileage run-campaign ID` against a database where they really commit."""

import json
from datetime import datetime
from unittest import mock

import pytest
from click.testing import CliRunner

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cli import main
from mileage.clock import SEOUL
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.donations import campaigns
from mileage.donations.campaigns import CampaignSelection
from mileage.migrations_runner import upgrade_database
from mileage.models import ConsentMethod
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories


@pytest.fixture
def database():
    """A migrated scratch database, the CLI's environment for it, and a session factory on it."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        environment = {
            "DATABASE_URL": url, "SECRET_KEY": "cli-test", "TOKEN_SIGNING_KEY": "cli-test-signing-key-32-bytes!!!",
            "MILEAGE_EXPIRY_YEARS": "5",
        }
        try:
            yield environment, make_session_factory(engine)
        finally:
            engine.dispose()


def invoke(environment, *arguments):
    return CliRunner(env=environment).invoke(main, list(arguments), catch_exceptions=False)


def test_expire_posts_once_per_day(database):
    environment, factory = database

    def set_up(session):
        make = Factories(session)
        card = make.card()
        with mock.patch("mileage.ledger.posting.utc_now", return_value=datetime(2015, 1, 1, 10, tzinfo=SEOUL)):
            make.credit(card, 1200)
        make.credit(make.card(), 50)
        return card.account_id

    account_id = run_in_transaction(factory, set_up)

    first = invoke(environment, "expire", "--as-of", "2020-01-01")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert (summary["as_of"], summary["years"], summary["points_expired"], summary["volunteers_expired"]) == (
        "2020-01-01", 5, 1200, 1
    )
    again = json.loads(invoke(environment, "expire", "--as-of", "2020-01-01").output)
    assert again["points_expired"] == 0
    assert run_in_transaction(factory, lambda session: ledger.get_balance(session, account_id)) == 0
    assert run_in_transaction(factory, lambda session: ledger.check_invariants(session).ok)


def test_expire_refuses_a_future_day(database):
    environment, _ = database
    result = invoke(environment, "expire", "--as-of", "2999-01-01")
    assert result.exit_code == 1
    assert "오류: 미래 날짜(2999-01-01)로는 소멸 처리를 할 수 없습니다." in result.output


def test_run_campaign_from_the_command_line(database):
    environment, factory = database

    def set_up(session):
        make = Factories(session)
        card = make.card(balance=700)
        campaign = campaigns.create_campaign(
            session, name="연말", cause_id=make.cause().id,
            selection=CampaignSelection(volunteer_ids=(card.volunteer_id,)), points_per_volunteer=None,
            consent_method=ConsentMethod.WRITTEN, consent_note="서면", actor=SYSTEM_ACTOR,
        )
        return campaign.id

    campaign_id = run_in_transaction(factory, set_up)
    result = invoke(environment, "run-campaign", str(campaign_id))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "campaign_id": campaign_id, "state": "completed", "pending": 0, "done": 1, "skipped": 0, "failed": 0,
        "points_donated": 700,
    }
    missing = invoke(environment, "run-campaign", "99999999")
    assert missing.exit_code == 1 and "오류: 기부 캠페인을 찾을 수 없습니다." in missing.output
