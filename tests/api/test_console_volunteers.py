"""Staff console: volunteers (search, enrolment, profile, history) and card desk actions, each audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mileage.cards import lookup, pins
from mileage.errors import InvalidPinFormat
from mileage.models import AuditEvent, Card, CardStatus, Volunteer, VolunteerStatus
from tests.api.console_client import ConsoleClient, redirect_of, text_of


@pytest.fixture
def console(client, make):
    console = ConsoleClient(client)
    console.staff = make.user(role="staff", username="lee.desk")
    console.login(console.staff)
    return console


def _audit(session, action: str) -> AuditEvent:
    """The one event of a staff action (the factories' own set-up is audited as the system)."""
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor_role != "system")
    ).one()


def test_search_finds_volunteers_by_name_and_phone_digits(console, make):
    kim = make.volunteer(name="김하늘", phone="010-3141-5926")
    make.volunteer(name="박바다", phone="010-2718-2818")
    by_name = text_of(console.get("/console/volunteers/?q=하늘"))
    assert "김하늘" in by_name and "박바다" not in by_name
    by_phone = console.get("/console/volunteers/?q=5926")
    assert f"/console/volunteers/{kim.id}" in by_phone.get_data(as_text=True)
    assert "찾는 봉사자가 없습니다." in text_of(console.get("/console/volunteers/?q=없는사람"))


def test_enrolment_registers_the_volunteer_issues_a_card_and_audits_both(console, session):
    response = console.post("/console/volunteers/", {
        "name": "정다운", "phone": "010-5555-0101", "birth_date": "1990-03-14", "issue_card": "1",
    })
    assert response.status_code == 303
    volunteer = session.scalars(select(Volunteer).where(Volunteer.name == "정다운")).one()
    assert response.headers["Location"] == f"/console/volunteers/{volunteer.id}"
    assert lookup.current_card(session, volunteer.id).status == CardStatus.ACTIVE
    assert _audit(session, "volunteer.register").actor_user_id == console.staff.id
    assert _audit(session, "card.issue").target_id == str(lookup.current_card(session, volunteer.id).id)
    assert "정다운 님을 등록했습니다." in text_of(console.get(response.headers["Location"]))


def test_enrolment_refuses_a_missing_name_and_keeps_what_was_typed(console, session):
    response = console.post("/console/volunteers/", {"name": " ", "phone": "010-1111-2222",
                                                      "_back": "/console/volunteers/new"})
    assert redirect_of(response) == (303, "/console/volunteers/new")
    page = console.get("/console/volunteers/new").get_data(as_text=True)
    assert "입력값을 확인하세요: 이름" in page
    assert 'value="010-1111-2222"' in page
    assert session.scalars(select(Volunteer).where(Volunteer.phone == "010-1111-2222")).first() is None


def test_the_profile_shows_balance_cards_claims_and_history(console, make, app, session):
    card = make.card(balance=12000)
    volunteer = card.volunteer
    claim = make.claim(volunteer=volunteer, minutes=150, category="환경")
    console.post("/console/claims/approve", {"claim_id": claim.id})
    page = text_of(console.get(f"/console/volunteers/{volunteer.id}"))
    assert "14,500점" in page  # 12,000 credited + 2.5 hours at 1,000 points an hour
    assert "봉사 적립" in page and "환경 · 2시간 30분" in page and "+2,500" in page
    assert card.number[-4:] in page


def test_history_pages_with_a_cursor(console, make, monkeypatch):
    from admin.console import volunteer_pages

    monkeypatch.setattr(volunteer_pages, "HISTORY_PAGE_SIZE", 2)
    card = make.card()
    for points in (100, 200, 300):
        make.credit(card, points)
    first = console.get(f"/console/volunteers/{card.volunteer_id}").get_data(as_text=True)
    assert "+300" in first and "+200" in first and "+100" not in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = console.get(next_link).get_data(as_text=True)
    assert "+100" in second and "+300" not in second


def test_report_lost_then_reissue_moves_the_whole_balance(console, make, session):
    card = make.card(balance=7300)
    lost = console.post(f"/console/volunteers/cards/{card.id}/lost")
    assert lost.status_code == 303 and lost.headers["Location"] == f"/console/volunteers/{card.volunteer_id}"
    session.refresh(card)
    assert card.status == CardStatus.LOST
    assert _audit(session, "card.report_lost").after == {"status": "lost", "pin_locked": False}

    console.post(f"/console/volunteers/cards/{card.id}/reissue")
    session.refresh(card)
    new = lookup.current_card(session, card.volunteer_id)
    assert card.status == CardStatus.REPLACED and new.id != card.id
    assert lookup.card_balance(session, new) == 7300 and lookup.card_balance(session, card) == 0
    page = text_of(console.get(f"/console/volunteers/{card.volunteer_id}"))
    assert f"새 카드 {new.number}(으)로 재발급했습니다." in page
    assert _audit(session, "card.reissue").actor_user_id == console.staff.id


def test_reissuing_a_replaced_card_is_refused_in_korean(console, make, session):
    card = make.card()
    console.post(f"/console/volunteers/cards/{card.id}/reissue")
    back = f"/console/volunteers/{card.volunteer_id}"
    response = console.post(f"/console/volunteers/cards/{card.id}/reissue", {"_back": back})
    assert redirect_of(response) == (303, back)
    page = text_of(console.get(back))
    assert "교체된 카드는" in page and "바꿀 수 없습니다" in page and "replaced" not in page
    assert len(session.scalars(select(Card).where(Card.volunteer_id == card.volunteer_id)).all()) == 2


def test_block_and_unblock(console, make, session):
    card = make.card()
    console.post(f"/console/volunteers/cards/{card.id}/block")
    session.refresh(card)
    assert card.status == CardStatus.BLOCKED
    console.post(f"/console/volunteers/cards/{card.id}/unblock")
    session.refresh(card)
    assert card.status == CardStatus.ACTIVE
    assert [event.action for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id))][-2:] == [
        "card.block", "card.unblock"]


def test_pin_reset_sets_the_new_pin_and_lifts_the_lock(console, make, session):
    card = make.card(pin="1234")
    card.pin_locked = True
    session.flush()
    console.post(f"/console/volunteers/cards/{card.id}/pin", {"pin": "908172"})
    session.refresh(card)
    assert not card.pin_locked
    pins.verify_pin(session, card, "908172")
    event = _audit(session, "card.pin_reset")
    assert "908172" not in str(event.before) + str(event.after)


def test_an_invalid_pin_changes_nothing(console, make, session):
    card = make.card(pin="1234")
    back = f"/console/volunteers/{card.volunteer_id}"
    console.post(f"/console/volunteers/cards/{card.id}/pin", {"pin": "12ab", "_back": back})
    page = console.get(back)
    assert InvalidPinFormat().message("ko") in text_of(page)
    pins.verify_pin(session, card, "1234")
    assert 'value="12ab"' not in page.get_data(as_text=True)  # a PIN is never written back into the form


def test_pin_unlock(console, make, session):
    card = make.card(pin="1234")
    card.pin_locked = True
    card.pin_failed_attempts = 5
    session.flush()
    assert "PIN 잠김" in text_of(console.get(f"/console/volunteers/{card.volunteer_id}"))
    console.post(f"/console/volunteers/cards/{card.id}/unlock")
    session.refresh(card)
    assert not card.pin_locked and card.pin_failed_attempts == 0


def test_issue_a_first_card_and_change_the_volunteer_status(console, make, session):
    volunteer = make.volunteer(name="윤슬기")
    console.post(f"/console/volunteers/{volunteer.id}/cards")
    assert lookup.current_card(session, volunteer.id).status == CardStatus.ACTIVE
    console.post(f"/console/volunteers/{volunteer.id}/status", {"status": "inactive"})
    session.refresh(volunteer)
    assert volunteer.status == VolunteerStatus.INACTIVE
