"""Donations against a real database: causes, volunteer donations, staff conversions, disbursements."""

import re

import pytest
from sqlalchemy import func, select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR, Actor
from mileage.cards import lifecycle
from mileage.donations import causes, disbursements, donate
from mileage.donations.donate import Consent
from mileage.errors import (
    CardNotActive,
    CauseClosed,
    CauseNameTaken,
    CauseStatusUnchanged,
    ConsentWitnessRequired,
    DisbursementExceedsBalance,
    DisbursementMemoRequired,
    DonationNotFound,
    IdempotencyKeyReused,
    InsufficientBalance,
)
from mileage.models import (
    AccountKind,
    AuditEvent,
    CardStatus,
    CauseStatus,
    ConsentMethod,
    Donation,
    DonationChannel,
    JournalEntry,
)


@pytest.fixture
def staff(make):
    user = make.user(role="staff")
    return Actor(user_id=user.id, role="staff", ip_address="10.0.0.7")


def balance(session, account_id):
    return ledger.get_balance(session, account_id)


def count(session, model, *conditions):
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_a_donation_moves_points_from_the_card_to_the_cause_and_has_a_receipt(session, make):
    card = make.card(balance=5000)
    cause = make.cause(name="노원 푸드뱅크")

    donation = donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=1200)

    assert balance(session, card.account_id) == 3800
    assert balance(session, cause.account_id) == 1200
    assert donation.points == 1200 and donation.channel == DonationChannel.VOLUNTEER
    assert re.fullmatch(r"D-20\d\d-\d{6}", donation.receipt_number)
    assert donation.receipt_number.endswith(f"{donation.id:06d}")
    entry = session.get(JournalEntry, donation.entry_id)
    assert entry.kind == "donation"
    assert sorted((p.account_id, p.amount) for p in entry.postings) == sorted(
        [(card.account_id, -1200), (cause.account_id, 1200)]
    )
    assert ledger.check_invariants(session).ok


def test_receipt_numbers_are_unique(session, make):
    card = make.card(balance=5000)
    cause = make.cause()
    receipts = {
        donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=100).receipt_number
        for _ in range(5)
    }
    assert len(receipts) == 5


def test_the_same_idempotency_key_donates_once(session, make):
    card = make.card(balance=5000)
    cause = make.cause()
    first = donate.donate_points(
        session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=700, idempotency_key="donation:k1"
    )
    again = donate.donate_points(
        session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=700, idempotency_key="donation:k1"
    )
    assert again.id == first.id
    assert balance(session, card.account_id) == 4300
    assert count(session, Donation, Donation.volunteer_id == card.volunteer_id) == 1
    with pytest.raises(IdempotencyKeyReused):
        donate.donate_points(
            session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=800, idempotency_key="donation:k1"
        )


def test_a_donation_above_the_balance_posts_nothing(session, make):
    card = make.card(balance=500)
    cause = make.cause()
    with pytest.raises(InsufficientBalance) as refused:
        donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=501)
    assert refused.value.message() == "마일리지 잔액이 부족합니다. (잔액 500점)"
    assert balance(session, card.account_id) == 500
    assert balance(session, cause.account_id) == 0
    assert count(session, Donation, Donation.cause_id == cause.id) == 0


def test_a_closed_cause_takes_no_donations(session, make):
    card = make.card(balance=500)
    cause = make.cause(name="마감된 모금", status=CauseStatus.CLOSED)
    with pytest.raises(CauseClosed) as refused:
        donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=100)
    assert refused.value.message("en") == "This cause is closed to donations: 마감된 모금"
    assert balance(session, card.account_id) == 500


def test_a_blocked_card_cannot_donate_but_a_lost_one_can(session, make):
    cause = make.cause()
    blocked = make.card(balance=500)
    make.card_status(blocked, CardStatus.BLOCKED)
    with pytest.raises(CardNotActive):
        donate.donate_points(session, volunteer_id=blocked.volunteer_id, cause_id=cause.id, points=100)

    lost = make.card(balance=500)
    lifecycle.report_lost(session, lost.id, actor=SYSTEM_ACTOR)
    donate.donate_points(session, volunteer_id=lost.volunteer_id, cause_id=cause.id, points=100)
    assert balance(session, lost.account_id) == 400


def test_after_a_reissue_the_donation_comes_from_the_new_card(session, make):
    old = make.card(balance=900)
    cause = make.cause()
    new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card
    donate.donate_points(session, volunteer_id=old.volunteer_id, cause_id=cause.id, points=400)
    assert balance(session, old.account_id) == 0
    assert balance(session, new.account_id) == 500


def test_staff_convert_on_behalf_with_consent_and_an_audit_event(session, make, staff):
    card = make.card(balance=3000)
    cause = make.cause()
    consent = Consent(method=ConsentMethod.VERBAL, witness_name="박복지", note="전화로 동의")

    donation = donate.donate_on_behalf(
        session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=3000, consent=consent, actor=staff
    )

    assert balance(session, card.account_id) == 0
    assert (donation.channel, donation.consent_method, donation.witness_name, donation.recorded_by_user_id) == (
        DonationChannel.STAFF, "verbal", "박복지", staff.user_id,
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "donation.on_behalf"))
    assert event.target_id == str(donation.id) and event.actor_user_id == staff.user_id
    assert event.after["consent"]["witness_name"] == "박복지" and event.after["points"] == 3000
    assert event.ip_address == "10.0.0.7"


def test_verbal_consent_needs_a_witness(session, make, staff):
    card = make.card(balance=3000)
    cause = make.cause()
    with pytest.raises(ConsentWitnessRequired):
        donate.donate_on_behalf(
            session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=100,
            consent=Consent(method=ConsentMethod.VERBAL, witness_name="  "), actor=staff,
        )
    assert balance(session, card.account_id) == 3000
    # Written consent is its own evidence; a witness user also satisfies verbal consent.
    donate.donate_on_behalf(
        session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=100,
        consent=Consent(method=ConsentMethod.WRITTEN), actor=staff,
    )
    donate.donate_on_behalf(
        session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=100,
        consent=Consent(method=ConsentMethod.VERBAL, witness_user_id=staff.user_id), actor=staff,
    )
    assert balance(session, card.account_id) == 2800


def test_a_volunteer_reads_only_their_own_receipt(session, make):
    card = make.card(balance=300)
    other = make.card()
    donation = donate.donate_points(
        session, volunteer_id=card.volunteer_id, cause_id=make.cause().id, points=300
    )
    assert donate.get_donation(session, donation.id, volunteer_id=card.volunteer_id).id == donation.id
    with pytest.raises(DonationNotFound):
        donate.get_donation(session, donation.id, volunteer_id=other.volunteer_id)


# --- causes ---------------------------------------------------------------------------------

def test_cause_names_are_unique_and_changes_are_audited(session, make, staff):
    cause = causes.create_cause(
        session, name="겨울 연탄 나눔", receiving_organisation="노원 연탄은행", target_points=1_000_000, actor=staff
    )
    with pytest.raises(CauseNameTaken):
        causes.create_cause(session, name=" 겨울 연탄 나눔 ", receiving_organisation="x", actor=staff)
    causes.edit_cause(session, cause.id, actor=staff, description="독거 어르신 연탄 지원", target_points=None)
    causes.set_cause_status(session, cause.id, CauseStatus.CLOSED, actor=staff)
    with pytest.raises(CauseStatusUnchanged):
        causes.set_cause_status(session, cause.id, CauseStatus.CLOSED, actor=staff)
    causes.set_cause_status(session, cause.id, CauseStatus.ACTIVE, actor=staff)

    actions = list(
        session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_type == "cause", AuditEvent.target_id == str(cause.id))
            .order_by(AuditEvent.id)
        )
    )
    assert actions == ["cause.create", "cause.edit", "cause.close", "cause.reopen"]
    edit = session.scalar(select(AuditEvent).where(AuditEvent.action == "cause.edit"))
    assert edit.before["target_points"] == 1_000_000 and edit.after["target_points"] is None
    assert session.get(type(cause), cause.id).closed_at is None


# --- disbursements --------------------------------------------------------------------------

def test_a_disbursement_moves_points_to_disbursed_within_the_cause_balance(session, make, staff):
    cause = make.cause()
    for _ in range(2):
        donate.donate_points(session, volunteer_id=make.card(balance=1000).volunteer_id, cause_id=cause.id,
                                points=1000)

    disbursement = disbursements.record_disbursement(
        session, cause_id=cause.id, points=1500, memo="쌀 10kg 15포 전달", attachment_ref="2026-영수-0042",
        actor=staff,
    )

    disbursed = ledger.system_account(session, AccountKind.DISBURSED)
    assert balance(session, cause.account_id) == 500
    assert disbursement.entry_id in {p.entry_id for p in ledger.account_history(session, disbursed.id).postings}
    summary = causes.summarise_cause(session, cause)
    assert (summary.balance, summary.donated, summary.disbursed) == (500, 2000, 1500)

    with pytest.raises(DisbursementExceedsBalance) as refused:
        disbursements.record_disbursement(session, cause_id=cause.id, points=501, memo="초과", actor=staff)
    assert refused.value.message() == "기부처 잔액(500점)보다 많이 전달할 수 없습니다. (요청 501점)"
    assert balance(session, cause.account_id) == 500
    assert ledger.check_invariants(session).ok


def test_a_closed_cause_can_still_be_disbursed_but_a_memo_is_required(session, make, staff):
    cause = make.cause()
    donate.donate_points(session, volunteer_id=make.card(balance=800).volunteer_id, cause_id=cause.id, points=800)
    causes.set_cause_status(session, cause.id, CauseStatus.CLOSED, actor=staff)
    with pytest.raises(DisbursementMemoRequired):
        disbursements.record_disbursement(session, cause_id=cause.id, points=800, memo=" ", actor=staff)
    disbursements.record_disbursement(session, cause_id=cause.id, points=800, memo="전액 전달", actor=staff)
    assert balance(session, cause.account_id) == 0
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "disbursement.record"))
    assert event.after["points"] == 800 and event.after["memo"] == "전액 전달"
