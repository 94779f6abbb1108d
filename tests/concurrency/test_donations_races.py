"""Donations under real concurrency: two staff running one campaign, donations racing a card reissue,
and an expiry run racing spending from the same card."""

from __future__ import annotations

import secrets
import threading
from datetime import date, datetime
from unittest import mock

from sqlalchemy import func, select

from mileage import expiry, ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.clock import SEOUL
from mileage.db import make_session_factory
from mileage.donations import campaigns, causes, donate
from mileage.donations.campaigns import CampaignSelection
from mileage.errors import CauseNameTaken, InsufficientBalance
from mileage.models import AccountKind, ConsentMethod, Donation
from mileage.people import volunteers
from tests.concurrency.racing import RACE_TIMEOUT_SECONDS, race
from tests.support.factories import Factories

VOLUNTEERS = 12


def test_two_staff_running_one_campaign_at_once_donate_each_volunteer_once(concurrent_engine, commit):
    def set_up(session):
        make = Factories(session)
        cause = make.cause()
        volunteer_cards = [make.card(balance=100 * (n + 1)) for n in range(VOLUNTEERS)]
        campaign = campaigns.create_campaign(
            session, name="동시 실행", cause_id=cause.id,
            selection=CampaignSelection(volunteer_ids=tuple(card.volunteer_id for card in volunteer_cards)),
            points_per_volunteer=None, consent_method=ConsentMethod.WRITTEN, consent_note="서면",
            actor=SYSTEM_ACTOR,
        )
        return campaign.id, cause.account_id

    campaign_id, cause_account = commit(set_up)
    factory = make_session_factory(concurrent_engine)
    start_line = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start_line.wait(timeout=RACE_TIMEOUT_SECONDS)
            results.append(campaigns.run_campaign(factory, campaign_id, actor=SYSTEM_ACTOR))
        except BaseException as exc:  # noqa: BLE001 - the test inspects every outcome
            errors.append(exc)

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(RACE_TIMEOUT_SECONDS)

    assert not errors, errors
    assert [progress.counts["done"] for progress in results] == [VOLUNTEERS, VOLUNTEERS]
    expected = sum(100 * (n + 1) for n in range(VOLUNTEERS))

    def inspect(session):
        per_volunteer = session.execute(
            select(func.count(), func.count(func.distinct(Donation.volunteer_id))).where(
                Donation.campaign_id == campaign_id
            )
        ).one()
        return tuple(per_volunteer), ledger.get_balance(session, cause_account), ledger.check_invariants(session).ok

    assert commit(inspect) == ((VOLUNTEERS, VOLUNTEERS), expected, True)


def test_donations_racing_a_reissue_follow_the_points_to_the_new_card(concurrent_engine, commit):
    def set_up(session):
        make = Factories(session)
        card = make.card(balance=10_000)
        return card.id, card.volunteer_id, make.cause().id

    card_id, volunteer_id, cause_id = commit(set_up)

    def work(session, index):
        if index == 0:
            return lifecycle.reissue_card(session, card_id, actor=SYSTEM_ACTOR).card.id
        return donate.donate_points(session, volunteer_id=volunteer_id, cause_id=cause_id, points=100).id

    outcomes = race(concurrent_engine, 11, work)

    assert [outcome.error for outcome in outcomes] == [None] * 11

    def inspect(session):
        volunteer = volunteers.get_volunteer(session, volunteer_id)
        return [ledger.get_balance(session, card.account_id) for card in volunteer.cards]

    assert commit(inspect) == [0, 10_000 - 10 * 100]


def test_an_expiry_racing_spending_never_takes_more_than_the_card_holds(concurrent_engine, commit):
    def set_up(session):
        make = Factories(session)
        card = make.card()
        with mock.patch("mileage.ledger.posting.utc_now", return_value=datetime(2015, 1, 1, 10, tzinfo=SEOUL)):
            make.credit(card, 1000)
        shop = ledger.open_account(session, AccountKind.MERCHANT, f"merchant:{secrets.token_hex(6)}")
        return card.account_id, card.volunteer_id, shop.id

    card_account, volunteer_id, shop_account = commit(set_up)

    def work(session, index):
        if index == 0:
            outcome = expiry.expire_volunteer_points(session, volunteer_id, as_of=date(2020, 1, 1), years=5)
            return outcome.points if outcome else 0
        return ledger.transfer(session, kind="redemption", from_account_id=card_account,
                               to_account_id=shop_account, amount=300).id

    outcomes = race(concurrent_engine, 5, work)

    expired = outcomes[0].value
    spent = sum(300 for outcome in outcomes[1:] if outcome.error is None)
    assert outcomes[0].error is None
    assert all(isinstance(outcome.error, InsufficientBalance) for outcome in outcomes[1:] if outcome.error)
    # Every old point either was spent before the expiry looked, or expired: none left, none twice.
    assert expired + spent == 1000
    assert commit(lambda session: (ledger.get_balance(session, card_account), ledger.check_invariants(session).ok)) == (
        0, True,
    )


def test_two_causes_opened_with_one_name_at_once_make_one_cause(concurrent_engine, commit):
    name = f"동시 기부처 {secrets.token_hex(4)}"
    outcomes = race(
        concurrent_engine, 2,
        lambda session, _index: causes.create_cause(
            session, name=name, receiving_organisation="노원구", actor=SYSTEM_ACTOR
        ).id,
    )
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], CauseNameTaken), errors
