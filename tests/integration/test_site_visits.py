"""Check-in at the volunteering site against a real database: scans, check-out claims, flags, corrections."""

from datetime import datetime

import pytest
from sqlalchemy import select

from mileage.audit import Actor
from mileage.cards.qr import issue_qr_token
from mileage.claims import site_devices, visits
from mileage.claims.rules import DEFAULT_POLICY
from mileage.clock import SEOUL
from mileage.errors import (
    CardNotActive,
    InvalidSiteDeviceCredentials,
    QrTokenInvalid,
    QrTokenReplayed,
    SiteCategoryRequired,
    SiteDeviceRevoked,
    SiteVisitNotCorrectable,
    SiteVisitOpenElsewhere,
    SiteVisitStillOpen,
    SiteVisitTooShort,
)
from mileage.models import AuditEvent, Claim, SiteVisit
from mileage.people.tokens import TokenSigner

SIGNER = TokenSigner(key="site-visit-test-signing-key-32-bytes!")
COORDINATOR = Actor(user_id=None, role="coordinator", ip_address="10.0.0.7", request_id="site-test")


def at(hour: int, minute: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SEOUL)


def scan(session, scanned, place, when, category="복지"):
    return visits.scan_at_site(
        session, SIGNER, scanned, organisation_id=place.id, category=category, actor=COORDINATOR,
        policy=DEFAULT_POLICY, now=when,
    )


def qr(card) -> str:
    return issue_qr_token(SIGNER, card).token


@pytest.fixture
def card(make):
    return make.card(volunteer=make.volunteer(name="김민수"))


@pytest.fixture
def place(make):
    return make.organisation(name="상계 노인복지관")


def test_a_scan_checks_in_and_the_next_checks_out_into_a_submitted_claim(session, card, place):
    arrived = scan(session, qr(card), place, at(9, 2), category="환경")
    assert arrived.action == "check_in" and arrived.visit.state == "open"
    left = scan(session, qr(card), place, at(12, 30))
    assert left.action == "check_out" and left.visit.state == "closed"
    claim = left.claim
    assert (claim.volunteer_id, claim.organisation_id, claim.work_date, claim.start_minute, claim.end_minute,
            claim.category, claim.state) == (card.volunteer_id, place.id, at(0).date(), 9 * 60 + 2, 12 * 60 + 30,
                                             "환경", "submitted")
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "site_visit")).all()
    assert actions == ["site_visit.check_in", "site_visit.check_out"]


def test_the_printed_card_number_works_as_at_the_door(session, card, place):
    scan(session, card.number, place, at(9))
    assert scan(session, f"{card.number[:4]} {card.number[4:8]} {card.number[8:12]} {card.number[12:]}", place,
                at(10)).claim.minutes == 60


def test_a_token_is_single_use_and_a_foreign_token_is_refused(session, card, place):
    token = qr(card)
    scan(session, token, place, at(9))
    with pytest.raises(QrTokenReplayed) as replayed:
        scan(session, token, place, at(11))
    assert replayed.value.message() == "이미 사용된 QR 코드입니다. 새 QR 코드를 보여 주세요."
    foreign = TokenSigner(key="another-centre-signing-key-32-bytes!!").sign(
        {"sub": f"card:{card.id}", "cn": card.number[-4:]}, token_type="qr", ttl=__import__("datetime").timedelta(60)
    )
    with pytest.raises(QrTokenInvalid) as refused:
        scan(session, foreign, place, at(11))
    assert refused.value.message() == "인식할 수 없는 QR 코드입니다."


def test_check_in_needs_a_category_and_a_double_scan_in_the_same_minute_does_not_check_out(session, card, place):
    with pytest.raises(SiteCategoryRequired):
        scan(session, qr(card), place, at(9), category=" ")
    scan(session, qr(card), place, at(9))
    with pytest.raises(SiteVisitTooShort):
        scan(session, qr(card), place, at(9, 0))
    assert session.scalars(select(SiteVisit.state)).all() == ["open"]


def test_a_volunteer_checked_in_elsewhere_is_refused(session, card, place, make):
    scan(session, qr(card), make.organisation(name="중계 도서관"), at(9))
    with pytest.raises(SiteVisitOpenElsewhere) as refused:
        scan(session, qr(card), place, at(10))
    assert "중계 도서관" in refused.value.message()


def test_a_check_out_that_breaks_a_rule_is_flagged_never_paid_and_the_coordinator_corrects_it(
    session, card, place, make
):
    # Five hours already claimed elsewhere that day: a four-hour visit breaks the 8-hour rule.
    make.claim(volunteer=card.volunteer, work_date=at(0).date(), start_minute=14 * 60, minutes=300)
    scan(session, qr(card), place, at(8))
    left = scan(session, qr(card), place, at(12))
    assert (left.action, left.visit.state, left.visit.refusal_code, left.claim) == (
        "check_out_flagged", "flagged", "claim_exceeds_daily_limit", None
    )
    assert "8시간" in left.refusal.message()
    fixed = visits.correct_site_visit(
        session, left.visit.id, start_minute=9 * 60, end_minute=12 * 60, actor=COORDINATOR, policy=DEFAULT_POLICY,
        organisation_scope=place.id, now=at(13),
    )
    assert (fixed.visit.state, fixed.claim.start_minute, fixed.claim.end_minute, fixed.claim.state) == (
        "closed", 540, 720, "submitted"
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "site_visit.correct")).one()
    assert (event.before["state"], event.after["state"], event.after["claim_id"]) == ("flagged", "closed",
                                                                                      fixed.claim.id)


def test_a_visit_left_open_is_flagged_the_next_day_and_cannot_be_corrected_while_still_open(session, card, place):
    visit = scan(session, qr(card), place, at(9)).visit
    with pytest.raises(SiteVisitStillOpen):
        visits.correct_site_visit(session, visit.id, start_minute=540, end_minute=600, actor=COORDINATOR,
                                  policy=DEFAULT_POLICY, organisation_scope=place.id, now=at(15))
    listed = visits.list_site_visits(session, place.id, now=at(8, day=21))
    assert [(v.id, v.state) for v in listed] == [(visit.id, "flagged")]
    assert session.scalar(select(Claim).where(Claim.volunteer_id == card.volunteer_id)) is None
    # The next morning's scan is a new check-in, not a check-out of yesterday's visit.
    assert scan(session, qr(card), place, at(9, day=21)).action == "check_in"


def test_a_submitted_claim_from_a_visit_is_corrected_until_staff_review_it(session, card, place, make):
    scan(session, qr(card), place, at(9))
    left = scan(session, qr(card), place, at(12))
    fixed = visits.correct_site_visit(session, left.visit.id, start_minute=9 * 60 + 30, end_minute=12 * 60,
                                      actor=COORDINATOR, policy=DEFAULT_POLICY, organisation_scope=place.id,
                                      now=at(13))
    assert (fixed.claim.id, fixed.claim.start_minute, fixed.claim.state) == (left.claim.id, 570, "submitted")
    from mileage.audit import SYSTEM_ACTOR
    from mileage.claims import review

    review.reject_claim(session, left.claim.id, actor=SYSTEM_ACTOR, reason="기록과 다름")
    with pytest.raises(SiteVisitNotCorrectable):
        visits.correct_site_visit(session, left.visit.id, start_minute=540, end_minute=600, actor=COORDINATOR,
                                  policy=DEFAULT_POLICY, organisation_scope=place.id, now=at(14))


def test_a_lost_card_is_refused(session, card, place, make):
    make.card_status(card, "lost")
    with pytest.raises(CardNotActive):
        scan(session, card.number, place, at(9))


def test_site_device_secrets_are_hashed_shown_once_and_revocable(session, place):
    new = site_devices.create_site_device(session, place.id, name="1층 입구 태블릿", actor=COORDINATOR)
    assert new.secret not in new.device.secret_hash and new.device.secret_hash.startswith("$argon2")
    assert site_devices.authenticate_site_device(session, new.device.key_id, new.secret).id == new.device.id
    with pytest.raises(InvalidSiteDeviceCredentials):
        site_devices.authenticate_site_device(session, new.device.key_id, "wrong")
    site_devices.revoke_site_device(session, new.device.id, actor=COORDINATOR, organisation_scope=place.id)
    with pytest.raises(SiteDeviceRevoked):
        site_devices.authenticate_site_device(session, new.device.key_id, new.secret)
