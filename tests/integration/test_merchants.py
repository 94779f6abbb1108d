"""Partner shops against a real database: registration numbers, status, offer versions, terminals, demo."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import func, select

from mileage.audit import Actor
from mileage.demo.shops import DEMO_TERMINAL_KEY_ID, DEMO_TERMINAL_SECRET, load_demo_merchants
from mileage.errors import (
    BusinessNumberTaken,
    InvalidBusinessNumber,
    InvalidOffer,
    InvalidTerminalCredentials,
    MerchantNotActive,
    MerchantStatusTransitionRefused,
    MerchantSuspended,
    TerminalAlreadyRevoked,
    TerminalRevoked,
)
from mileage.models import AuditEvent, Merchant, MerchantStatus, OfferVersion, Terminal
from mileage.shops import merchants, offers, terminals

STAFF = Actor(user_id=None, role="staff", ip_address="10.0.0.7", request_id="req-1")


# --- business registration numbers ----------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [("124-81-00998", "1248100998"), (" 220 81 62517 ", "2208162517")])
def test_a_valid_business_number_is_stored_as_ten_digits(raw, expected):
    assert merchants.normalise_business_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["124-81-00997", "1248100999", "124810099", "12481009981", "12a8100998", "１２４８１００９９８", ""],
)
def test_a_number_with_a_wrong_check_digit_length_or_characters_is_refused(raw):
    with pytest.raises(InvalidBusinessNumber):
        merchants.normalise_business_number(raw)


def test_every_check_digit_but_the_right_one_is_refused():
    accepted = []
    for digit in "0123456789":
        with contextlib.suppress(InvalidBusinessNumber):
            accepted.append(merchants.normalise_business_number(f"124810099{digit}"))
    assert accepted == ["1248100998"]


def test_a_business_number_can_be_registered_once(session, make):
    number = make.business_number()
    make.merchant(business_number=number)
    with pytest.raises(BusinessNumberTaken):
        make.merchant(business_number=f"{number[:3]}-{number[3:5]}-{number[5:]}")


# --- status ---------------------------------------------------------------------------------

def test_a_new_shop_is_pending_with_its_own_account_and_an_audit_event(session):
    shop = merchants.register_merchant(session, name=" 상계 빵집 ", business_number="124-81-00998", actor=STAFF)

    assert shop.status == MerchantStatus.PENDING and shop.name == "상계 빵집"
    event = session.scalar(select(AuditEvent).where(AuditEvent.target_type == "merchant",
                                                    AuditEvent.target_id == str(shop.id)))
    assert event.action == "merchant.register" and event.ip_address == "10.0.0.7"
    assert event.after["business_number"] == "1248100998"


def test_status_moves_pending_active_suspended_active_and_never_back_to_pending(session, make):
    shop = make.merchant(status="pending")
    for target in (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED, MerchantStatus.ACTIVE):
        assert merchants.change_merchant_status(session, shop.id, target, actor=STAFF).status == target
    with pytest.raises(MerchantStatusTransitionRefused):
        merchants.change_merchant_status(session, shop.id, MerchantStatus.PENDING, actor=STAFF)
    actions = list(session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_id == str(shop.id), AuditEvent.actor_role == "staff")
        .order_by(AuditEvent.id)
    ))
    assert actions == ["merchant.activate", "merchant.suspend", "merchant.activate"]


# --- offers ---------------------------------------------------------------------------------

def test_every_offer_change_is_a_new_version(session, make):
    shop = make.merchant(with_offer=False)
    first = offers.set_offer(session, shop.id, rate_bp=1000, max_discount=3000, actor=STAFF)
    second = offers.set_offer(session, shop.id, rate_bp=700, max_discount=2000, min_purchase=10_000,
                                 days=["sat", "sun"], start_minute=600, end_minute=1200, actor=STAFF)

    assert (first.version, second.version) == (1, 2)
    assert offers.current_offer(session, shop.id).id == second.id
    assert offers.weekday_names(second.weekdays) == ["sat", "sun"]
    assert [offer.version for offer in offers.list_offer_versions(session, shop.id)] == [2, 1]
    versions = select(func.count()).select_from(OfferVersion).where(OfferVersion.merchant_id == shop.id)
    assert session.scalar(versions) == 2


@pytest.mark.parametrize(
    "terms",
    [
        {"rate_bp": 0, "max_discount": 100},
        {"rate_bp": 10_001, "max_discount": 100},
        {"rate_bp": 500, "max_discount": 0},
        {"rate_bp": 500, "max_discount": 100, "min_purchase": -1},
        {"rate_bp": 500, "max_discount": 100, "start_minute": 600},
        {"rate_bp": 500, "max_discount": 100, "start_minute": 900, "end_minute": 600},
        {"rate_bp": 500, "max_discount": 100, "days": ["someday"]},
    ],
)
def test_impossible_offer_terms_are_refused(session, make, terms):
    shop = make.merchant(with_offer=False)
    with pytest.raises(InvalidOffer):
        offers.set_offer(session, shop.id, actor=STAFF, **terms)
    assert offers.find_current_offer(session, shop.id) is None


# --- terminals ------------------------------------------------------------------------------

def test_a_terminal_secret_is_shown_once_and_stored_only_as_a_hash(session, make):
    credentials = make.terminal()
    stored = session.get(Terminal, credentials.terminal.id)

    assert credentials.secret not in stored.secret_hash and stored.secret_hash.startswith("$argon2")
    assert terminals.authenticate_terminal(session, stored.key_id, credentials.secret).id == stored.id


def test_wrong_secrets_and_unknown_key_ids_get_the_same_refusal(session, make):
    credentials = make.terminal()
    for key_id, secret in [(credentials.terminal.key_id, "wrong"), ("trm_unknown", credentials.secret), ("", "")]:
        with pytest.raises(InvalidTerminalCredentials):
            terminals.authenticate_terminal(session, key_id, secret)


def test_rotation_retires_the_old_secret(session, make):
    old = make.terminal()
    new = terminals.rotate_terminal_secret(session, old.terminal.id, actor=STAFF)

    assert new.secret != old.secret
    with pytest.raises(InvalidTerminalCredentials):
        terminals.authenticate_terminal(session, old.terminal.key_id, old.secret)
    assert terminals.authenticate_terminal(session, old.terminal.key_id, new.secret).id == old.terminal.id


def test_a_revoked_terminal_is_refused_even_with_the_right_secret(session, make):
    credentials = make.terminal()
    terminals.revoke_terminal(session, credentials.terminal.id, actor=STAFF)

    with pytest.raises(TerminalRevoked):
        terminals.authenticate_terminal(session, credentials.terminal.key_id, credentials.secret)
    with pytest.raises(TerminalAlreadyRevoked):
        terminals.rotate_terminal_secret(session, credentials.terminal.id, actor=STAFF)


@pytest.mark.parametrize("status, refusal", [("suspended", MerchantSuspended), ("pending", MerchantNotActive)])
def test_a_terminal_of_a_shop_that_may_not_trade_is_refused(session, make, status, refusal):
    credentials = make.terminal(make.merchant(status=status))
    with pytest.raises(refusal):
        terminals.authenticate_terminal(session, credentials.terminal.key_id, credentials.secret)


# --- demo data ------------------------------------------------------------------------------

def test_demo_shops_load_once_with_offers_and_a_terminal_that_signs_in(session):
    summary = load_demo_merchants(session)

    shops = list(session.scalars(select(Merchant).order_by(Merchant.id)))
    assert len(shops) >= 4 and DEMO_TERMINAL_KEY_ID in summary
    assert all(shop.status == MerchantStatus.ACTIVE for shop in shops[-4:])
    assert all(offers.find_current_offer(session, shop.id) for shop in shops[-4:])
    terminal = terminals.authenticate_terminal(session, DEMO_TERMINAL_KEY_ID, DEMO_TERMINAL_SECRET)
    assert terminal.merchant.name == "상계 행복베이커리"
    assert load_demo_merchants(session) == "데모 가맹점이 이미 등록되어 있습니다."
    assert load_demo_merchants(session, "en") == "The demo shops are already loaded."
