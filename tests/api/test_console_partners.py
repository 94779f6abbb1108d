"""Staff console: organisations and coordinators; partner shops, their offers and terminals."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mileage.errors import OrganisationNameTaken
from mileage.hashing import verify_secret
from mileage.models import AuditEvent, Merchant, MerchantStatus, Organisation, Terminal, User
from mileage.shops import counter, offers, redemptions
from tests.api.console_client import ConsoleClient, redirect_of, text_of


@pytest.fixture
def console(client, make):
    console = ConsoleClient(client)
    console.staff = make.user(role="admin", username="seo.admin")
    console.login(console.staff)
    return console


def test_register_an_organisation_and_its_coordinator(console, session):
    created = console.post("/console/organisations/", {"name": "공릉 청소년문화의집", "address": "서울 노원구 공릉로 1",
                                                        "phone": "02-948-0001"})
    organisation = session.scalars(select(Organisation).where(Organisation.name == "공릉 청소년문화의집")).one()
    assert created.headers["Location"] == f"/console/organisations/{organisation.id}"
    console.post(f"/console/organisations/{organisation.id}/coordinators",
                 {"username": "gongneung.kim", "password": "long-enough-pass", "display_name": "김담당"})
    coordinator = session.scalars(select(User).where(User.username == "gongneung.kim")).one()
    assert coordinator.role == "coordinator" and coordinator.organisation_id == organisation.id
    page = text_of(console.get(f"/console/organisations/{organisation.id}"))
    assert "김담당" in page and "gongneung.kim" in page
    assert "공릉 청소년문화의집" in text_of(console.get("/console/organisations/?name=공릉"))


def test_a_duplicate_organisation_name_is_refused_in_korean(console, make, session):
    make.organisation(name="노원 노인종합복지관")
    back = "/console/organisations/"
    response = console.post(back, {"name": "노원 노인종합복지관", "address": "상계로 10", "_back": back})
    assert redirect_of(response) == (303, back)
    page = console.get(back)
    assert OrganisationNameTaken(name="노원 노인종합복지관").message("ko") in text_of(page)
    assert 'value="상계로 10"' in page.get_data(as_text=True)
    assert len(session.scalars(select(Organisation).where(Organisation.name == "노원 노인종합복지관")).all()) == 1


def test_register_a_shop_set_its_offer_and_activate_it(console, make, session):
    number = make.business_number()
    typed = f"{number[:3]}-{number[3:5]}-{number[5:]}"
    created = console.post("/console/merchants/", {"name": "마들 분식", "business_number": typed, "category": "음식점"})
    merchant = session.scalars(select(Merchant).where(Merchant.name == "마들 분식")).one()
    assert created.headers["Location"] == f"/console/merchants/{merchant.id}"
    assert merchant.status == MerchantStatus.PENDING

    console.post(f"/console/merchants/{merchant.id}/offers", {"rate_percent": "2.5", "max_discount": "3,000",
                                                             "days": ["mon", "fri"], "start": "11:00", "end": "14:00"})
    offer = offers.current_offer(session, merchant.id)
    assert (offer.rate_bp, offer.max_discount, offer.start_minute, offer.end_minute) == (250, 3000, 660, 840)
    assert offers.weekday_names(offer.weekdays) == ["mon", "fri"]

    console.post(f"/console/merchants/{merchant.id}/status", {"status": "active"})
    session.refresh(merchant)
    assert merchant.status == MerchantStatus.ACTIVE
    page = text_of(console.get(f"/console/merchants/{merchant.id}"))
    assert "2.5%" in page and "11:00–14:00" in page and "영업 중" in page
    assert [event.action for event in session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "merchant").order_by(AuditEvent.id))] == [
        "merchant.register", "merchant.offer", "merchant.activate"]


@pytest.mark.parametrize("rate", ["abc", "2.555", "0"])
def test_a_bad_rate_is_refused(console, make, session, rate):
    merchant = make.merchant(with_offer=False, status="pending")
    back = f"/console/merchants/{merchant.id}"
    console.post(f"{back}/offers", {"rate_percent": rate, "max_discount": "1000", "_back": back})
    assert offers.find_current_offer(session, merchant.id) is None
    assert 'class="flash error"' in console.get(back).get_data(as_text=True)


def test_a_new_terminal_shows_its_secret_once(console, make, session):
    merchant = make.merchant()
    response = console.post(f"/console/merchants/{merchant.id}/terminals", {"label": "2번 계산대"})
    html = response.get_data(as_text=True)
    secret = re.search(r'<p class="secret" id="secret">([^<]+)</p>', html).group(1)
    terminal = session.scalars(select(Terminal).where(Terminal.label == "2번 계산대")).one()
    assert verify_secret(terminal.secret_hash, secret)
    assert secret not in console.get(f"/console/merchants/{merchant.id}").get_data(as_text=True)

    console.post(f"/console/merchants/terminals/{terminal.id}/revoke")
    session.refresh(terminal)
    assert terminal.revoked_at is not None
    assert "폐기됨" in text_of(console.get(f"/console/merchants/{merchant.id}"))


def test_the_shop_page_lists_recent_discounts(console, make, session, app):
    merchant = make.merchant(name="상계 꽃집")
    credentials = make.terminal(merchant)
    card = make.card(balance=5000, pin="2468")
    card.volunteer.name = "오세린"
    redemptions.redeem(
        session, app.extensions["mileage.token_signer"],
        counter.Till(merchant_id=merchant.id, terminal_id=credentials.terminal.id),
        scanned=card.number, purchase_amount=20000, pin="2468",
    )
    page = text_of(console.get(f"/console/merchants/{merchant.id}"))
    assert "오세린" in page and "20,000" in page and "2,000" in page
    listing = text_of(console.get("/console/merchants/?status=active"))
    assert "상계 꽃집" in listing and "10% 할인, 최대 3,000점" in listing
