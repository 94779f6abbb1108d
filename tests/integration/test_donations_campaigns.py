"""Donation campaigns: selection, a per-volunteer batch that is idempotent and resumes after a crash."""

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR, Actor
from mileage.claims import review
from mileage.donations import campaigns, causes, donate
from mileage.donations.campaigns import CampaignSelection
from mileage.errors import CampaignSelectsNobody, CauseClosed, ConsentNoteRequired, VolunteerNotFound
from mileage.models import (
    AuditEvent,
    CampaignItem,
    CampaignItemState,
    CampaignState,
    CardStatus,
    CauseStatus,
    ConsentMethod,
    Donation,
    DonationChannel,
    JournalEntry,
    VolunteerStatus,
)


@pytest.fixture
def staff(make):
    return Actor(user_id=make.user(role="staff").id, role="staff")


def create(session, cause, staff, *, selection, points=None, method=ConsentMethod.WRITTEN):
    return campaigns.create_campaign(
        session,
        name="2026 연말 나눔 캠페인",
        cause_id=cause.id,
        selection=selection,
        points_per_volunteer=points,
        consent_method=method,
        consent_note="연말 캠페인 서면 동의서 수합",
        actor=staff,
    )


def items_of(session, campaign):
    session.expire_all()
    return {
        item.volunteer_id: item
        for item in session.scalars(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id))
    }


def entries_count(session):
    return session.scalar(select(func.count()).select_from(JournalEntry))


def balance(session, account_id):
    session.expire_all()
    return ledger.get_balance(session, account_id)


# --- selection ------------------------------------------------------------------------------

def test_selection_combines_balance_status_organisation_and_explicit_ids(session, make):
    organisation = make.organisation()
    rich = make.card(balance=5000)
    poor = make.card(balance=100)
    inactive = make.card(balance=5000)
    inactive.volunteer.status = VolunteerStatus.INACTIVE
    worked_there = make.card(balance=5000)
    claim = make.claim(volunteer=worked_there.volunteer, organisation=organisation)
    review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    session.flush()

    pick = campaigns.select_campaign_volunteers
    mine = {rich.volunteer_id, poor.volunteer_id, inactive.volunteer_id, worked_there.volunteer_id}
    assert set(pick(session, CampaignSelection(min_balance=1000))) & mine == {
        rich.volunteer_id, worked_there.volunteer_id,
    }
    assert set(pick(session, CampaignSelection(min_balance=1000, volunteer_status=None))) & mine == {
        rich.volunteer_id, inactive.volunteer_id, worked_there.volunteer_id,
    }
    assert pick(session, CampaignSelection(organisation_id=organisation.id)) == [worked_there.volunteer_id]
    assert pick(session, CampaignSelection(volunteer_ids=(poor.volunteer_id, rich.volunteer_id), min_balance=500)) == [
        rich.volunteer_id
    ]
    with pytest.raises(VolunteerNotFound):
        pick(session, CampaignSelection(volunteer_ids=(rich.volunteer_id, 99_999_999)))


def test_a_campaign_needs_somebody_an_open_cause_and_a_consent_note(session, make, staff):
    card = make.card(balance=100)
    with pytest.raises(CampaignSelectsNobody):
        create(session, make.cause(), staff, selection=CampaignSelection(volunteer_ids=(card.volunteer_id,),
                                                                         min_balance=1000))
    with pytest.raises(CauseClosed):
        create(session, make.cause(status=CauseStatus.CLOSED), staff,
               selection=CampaignSelection(volunteer_ids=(card.volunteer_id,)))
    with pytest.raises(ConsentNoteRequired):
        campaigns.create_campaign(
            session, name="x", cause_id=make.cause().id,
            selection=CampaignSelection(volunteer_ids=(card.volunteer_id,)), points_per_volunteer=None,
            consent_method=ConsentMethod.VERBAL, consent_note=" ", actor=staff,
        )


# --- running --------------------------------------------------------------------------------

def test_a_fixed_amount_campaign_donates_to_those_who_can_and_skips_the_rest(session, session_factory, make, staff):
    cause = make.cause()
    enough = [make.card(balance=3000), make.card(balance=1000)]
    short = make.card(balance=999)
    blocked = make.card(balance=5000)
    make.card_status(blocked, CardStatus.BLOCKED)
    campaign = create(
        session, cause, staff, points=1000,
        selection=CampaignSelection(volunteer_ids=tuple(c.volunteer_id for c in [*enough, short, blocked])),
    )

    progress = campaigns.run_campaign(session_factory, campaign.id, actor=staff)

    assert progress.counts == {"pending": 0, "done": 2, "skipped": 2, "failed": 0}
    assert progress.points_donated == 2000 and progress.campaign.state == CampaignState.COMPLETED
    items = items_of(session, campaign)
    assert items[short.volunteer_id].reason == "insufficient_balance"
    assert items[blocked.volunteer_id].reason == "card_not_active"
    assert [balance(session, c.account_id) for c in [*enough, short, blocked]] == [2000, 0, 999, 5000]
    assert balance(session, cause.account_id) == 2000
    done = items[enough[0].volunteer_id]
    donation = session.get(Donation, done.donation_id)
    assert (done.points, done.entry_id, donation.channel, donation.campaign_id, donation.consent_method) == (
        1000, donation.entry_id, DonationChannel.CAMPAIGN, campaign.id, "written",
    )
    assert donation.recorded_by_user_id == staff.user_id
    assert ledger.check_invariants(session).ok


def test_a_whole_balance_campaign_empties_each_card_and_skips_empty_ones(session, session_factory, make, staff):
    cause = make.cause()
    full = [make.card(balance=1234), make.card(balance=1)]
    empty = make.card()
    campaign = create(session, cause, staff,
                      selection=CampaignSelection(volunteer_ids=tuple(c.volunteer_id for c in [*full, empty])))

    progress = campaigns.run_campaign(session_factory, campaign.id, actor=staff)

    assert progress.counts["done"] == 2 and progress.points_donated == 1235
    assert items_of(session, campaign)[empty.volunteer_id].reason == "nothing_to_donate"
    assert [balance(session, c.account_id) for c in full] == [0, 0]
    assert balance(session, cause.account_id) == 1235


def test_running_a_campaign_again_posts_nothing_twice(session, session_factory, make, staff):
    cause = make.cause()
    volunteers = [make.card(balance=2000) for _ in range(4)]
    campaign = create(session, cause, staff, points=500,
                      selection=CampaignSelection(volunteer_ids=tuple(c.volunteer_id for c in volunteers)))

    first = campaigns.run_campaign(session_factory, campaign.id, actor=staff)
    entries_after_first = entries_count(session)
    second = campaigns.run_campaign(session_factory, campaign.id, actor=staff)

    assert first.counts == second.counts == {"pending": 0, "done": 4, "skipped": 0, "failed": 0}
    assert entries_count(session) == entries_after_first
    assert balance(session, cause.account_id) == 2000
    assert [balance(session, c.account_id) for c in volunteers] == [1500] * 4
    runs = session.scalar(
        select(func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "campaign.run", AuditEvent.target_id == str(campaign.id))
    )
    assert runs == 1  # a completed campaign is not started again


def test_an_item_replays_its_ledger_entry_instead_of_posting_again(session, session_factory, make, staff):
    """Even if an item were left pending after its entry committed, the ledger key stops a second posting."""
    cause = make.cause()
    card = make.card(balance=2000)
    campaign = create(session, cause, staff, points=500,
                      selection=CampaignSelection(volunteer_ids=(card.volunteer_id,)))
    campaigns.run_campaign(session_factory, campaign.id, actor=staff)
    item = items_of(session, campaign)[card.volunteer_id]
    item.state, item.donation_id, item.entry_id = "pending", None, None
    session.flush()
    session.get(type(campaign), campaign.id).state = "running"
    session.flush()

    progress = campaigns.run_campaign(session_factory, campaign.id, actor=staff)

    assert progress.counts["done"] == 1
    assert balance(session, card.account_id) == 1500
    assert items_of(session, campaign)[card.volunteer_id].entry_id is not None


class Crash(Exception):
    """Stands for the process dying: not a domain error, so nothing catches it."""


def test_a_campaign_that_crashes_midway_resumes_without_posting_anyone_twice(
    session, session_factory, make, staff, monkeypatch
):
    cause = make.cause()
    volunteers = [make.card(balance=1000 + n) for n in range(6)]
    campaign = create(session, cause, staff,
                      selection=CampaignSelection(volunteer_ids=tuple(c.volunteer_id for c in volunteers)))
    real_record_donation = donate.record_donation
    calls = []

    def record_then_crash_on_the_fourth(session, **kwargs):
        donation = real_record_donation(session, **kwargs)
        calls.append(kwargs["volunteer_id"])
        if len(calls) == 4:
            # The fourth volunteer's entry and receipt are written but not committed.
            raise Crash()
        return donation

    monkeypatch.setattr(donate, "record_donation", record_then_crash_on_the_fourth)
    with pytest.raises(Crash):
        campaigns.run_campaign(session_factory, campaign.id, actor=staff)

    items = items_of(session, campaign)
    states = [items[c.volunteer_id].state for c in volunteers]
    assert states == ["done"] * 3 + ["pending"] * 3
    assert balance(session, volunteers[3].account_id) == 1003  # rolled back whole, not half
    assert session.get(type(campaign), campaign.id).state == CampaignState.RUNNING
    assert ledger.check_invariants(session).ok

    monkeypatch.setattr(donate, "record_donation", real_record_donation)
    progress = campaigns.run_campaign(session_factory, campaign.id, actor=staff)

    assert progress.counts == {"pending": 0, "done": 6, "skipped": 0, "failed": 0}
    assert [balance(session, c.account_id) for c in volunteers] == [0] * 6
    assert balance(session, cause.account_id) == sum(1000 + n for n in range(6))
    per_volunteer = session.execute(
        select(Donation.volunteer_id, func.count()).where(Donation.campaign_id == campaign.id)
        .group_by(Donation.volunteer_id)
    ).all()
    assert sorted(per_volunteer) == sorted((c.volunteer_id, 1) for c in volunteers)
    assert ledger.check_invariants(session).ok


def test_a_cause_closed_before_the_run_stops_it_before_any_donation(session, session_factory, make, staff):
    cause = make.cause()
    card = make.card(balance=1000)
    campaign = create(session, cause, staff, selection=CampaignSelection(volunteer_ids=(card.volunteer_id,)))
    causes.set_cause_status(session, cause.id, CauseStatus.CLOSED, actor=staff)
    with pytest.raises(CauseClosed):
        campaigns.run_campaign(session_factory, campaign.id, actor=staff)
    assert items_of(session, campaign)[card.volunteer_id].state == CampaignItemState.PENDING
    assert balance(session, card.account_id) == 1000
