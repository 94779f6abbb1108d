"""A campaign whose process is killed (SIGKILL) in the middle of a volunteer, then run again.

The shared test session rolls everything back inside one connection, so this test gets a scratch
database of its own where the campaign's transactions really commit, and a real process to kill.
"""

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.donations import campaigns
from mileage.donations.campaigns import CampaignSelection
from mileage.migrations_runner import upgrade_database
from mileage.models import CampaignItem, ConsentMethod, Donation
from tests.support.databases import configured_server_url, scratch_database
from tests.support.dying import dies_after_donations
from tests.support.factories import Factories

REPOSITORY = Path(__file__).resolve().parents[2]
VOLUNTEERS = 8
KILLED_AT = 5

# Runs the campaign and kills its own process after the KILLED_AT-th volunteer's entry and receipt
# are written but before that volunteer's transaction commits.
CAMPAIGN_RUNNER = dies_after_donations(3) + """
from mileage.audit import SYSTEM_ACTOR
from mileage.db import make_engine, make_session_factory
from mileage.donations import campaigns

engine = make_engine(sys.argv[1])
campaigns.run_campaign(make_session_factory(engine), int(sys.argv[2]), actor=SYSTEM_ACTOR)
"""


@pytest.fixture
def committed():
    """A session factory on a freshly migrated scratch database."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        try:
            yield url, make_session_factory(engine)
        finally:
            engine.dispose()


def _set_up(session):
    make = Factories(session)
    cause = make.cause()
    volunteer_cards = [make.card(balance=1000 * (n + 1)) for n in range(VOLUNTEERS)]
    campaign = campaigns.create_campaign(
        session,
        name="연말 캠페인",
        cause_id=cause.id,
        selection=CampaignSelection(volunteer_ids=tuple(card.volunteer_id for card in volunteer_cards)),
        points_per_volunteer=None,
        consent_method=ConsentMethod.WRITTEN,
        consent_note="서면 동의서",
        actor=SYSTEM_ACTOR,
    )
    return campaign.id, cause.account_id, [card.account_id for card in volunteer_cards]


def test_a_killed_campaign_leaves_whole_volunteers_only_and_the_rerun_finishes_it(committed):
    url, factory = committed
    campaign_id, cause_account, card_accounts = run_in_transaction(factory, _set_up)

    killed = subprocess.run(
        [sys.executable, "-c", CAMPAIGN_RUNNER, url, str(campaign_id), str(KILLED_AT)],
        cwd=REPOSITORY, capture_output=True, timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]

    def state(session):
        return (
            [item.state for item in session.scalars(
                select(CampaignItem).where(CampaignItem.campaign_id == campaign_id).order_by(CampaignItem.id))],
            [ledger.get_balance(session, account) for account in card_accounts],
            ledger.get_balance(session, cause_account),
            ledger.check_invariants(session),
        )

    states, balances, cause_balance, invariants = run_in_transaction(factory, state)
    done = KILLED_AT - 1
    assert states == ["done"] * done + ["pending"] * (VOLUNTEERS - done)
    assert balances == [0] * done + [1000 * (n + 1) for n in range(done, VOLUNTEERS)]
    assert cause_balance == sum(1000 * (n + 1) for n in range(done))
    assert invariants.ok, invariants.as_dict()

    progress = campaigns.run_campaign(factory, campaign_id, actor=SYSTEM_ACTOR)

    assert progress.counts == {"pending": 0, "done": VOLUNTEERS, "skipped": 0, "failed": 0}
    states, balances, cause_balance, invariants = run_in_transaction(factory, state)
    assert balances == [0] * VOLUNTEERS
    assert cause_balance == sum(1000 * (n + 1) for n in range(VOLUNTEERS)) == progress.points_donated
    assert invariants.ok, invariants.as_dict()
    donations_per_volunteer = run_in_transaction(
        factory,
        lambda session: session.execute(
            select(func.count(), func.count(func.distinct(Donation.volunteer_id))).where(
                Donation.campaign_id == campaign_id
            )
        ).one(),
    )
    assert tuple(donations_per_volunteer) == (VOLUNTEERS, VOLUNTEERS)
