"""Cards: numbers, one active card per volunteer, loss and blocking, reissue, PINs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, lookup, pins
from mileage.cards import numbers as cards_numbers
from mileage.errors import (
    CardNotActive,
    CardPinLocked,
    CardStatusTransitionRefused,
    InvalidPinFormat,
    PinNotSet,
    VolunteerCardAwaitsReissue,
    VolunteerHasActiveCard,
    VolunteerInactive,
    WrongPin,
)
from mileage.models import Account, AccountKind, Card, CardStatus, JournalEntry, VolunteerStatus

PIN = "482913"


# --- numbers --------------------------------------------------------------------------------

def test_issued_card_numbers_carry_the_issuer_prefix_a_luhn_digit_and_never_repeat(session, make):
    numbers = [make.card().number for _ in range(25)]

    assert all(cards_numbers.is_valid_card_number(number) for number in numbers)
    assert all(number.startswith(cards_numbers.CARD_NUMBER_PREFIX) for number in numbers)
    assert len(set(numbers)) == len(numbers)


def test_a_card_is_found_by_the_number_as_printed_on_it(session, make):
    card = make.card()
    printed = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))

    assert lookup.find_card_by_number(session, printed).id == card.id


def test_each_card_has_its_own_empty_ledger_account(session, make):
    first, second = make.card(), make.card()

    assert first.account_id != second.account_id
    assert lookup.card_balance(session, first) == 0
    account = session.get(Account, first.account_id)
    assert (account.kind, account.code) == (AccountKind.CARD, f"card:{first.number}")


# --- one active card per volunteer ----------------------------------------------------------

def test_a_volunteer_with_an_active_card_cannot_get_a_second_one(session, make):
    card = make.card()

    with pytest.raises(VolunteerHasActiveCard) as refused:
        lifecycle.issue_card(session, card.volunteer_id, actor=SYSTEM_ACTOR)

    assert refused.value.code == "volunteer_has_active_card"
    assert session.scalar(select(func.count()).select_from(Card).where(Card.volunteer_id == card.volunteer_id)) == 1


@pytest.mark.parametrize("status", [CardStatus.LOST, CardStatus.BLOCKED])
def test_a_card_that_still_holds_the_points_must_be_reissued_not_replaced_by_a_new_issue(session, make, status):
    card = make.card(balance=4_000)
    make.card_status(card, status)

    with pytest.raises(VolunteerCardAwaitsReissue) as refused:
        lifecycle.issue_card(session, card.volunteer_id, actor=SYSTEM_ACTOR)

    assert refused.value.params["status"] == status
    new = lifecycle.reissue_card(session, card.id, actor=SYSTEM_ACTOR).card
    assert lookup.card_balance(session, new) == 4_000


def test_the_database_itself_refuses_a_second_active_card(session, make):
    old = make.card()
    lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR)

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text("UPDATE cards SET status = 'active' WHERE id = :id"), {"id": old.id})


def test_an_inactive_volunteer_gets_no_card(session, make):
    volunteer = make.volunteer()
    volunteer.status = VolunteerStatus.INACTIVE
    session.flush()

    with pytest.raises(VolunteerInactive):
        lifecycle.issue_card(session, volunteer.id, actor=SYSTEM_ACTOR)


def test_unblocking_a_card_makes_it_usable_again(session, make):
    card = make.card()
    make.card_status(card, CardStatus.BLOCKED)
    with pytest.raises(CardNotActive):
        lookup.ensure_card_usable(card)

    make.card_status(card, CardStatus.ACTIVE)

    lookup.ensure_card_usable(card)


# --- loss -----------------------------------------------------------------------------------

def test_a_lost_card_is_refused_at_once_and_keeps_its_points_for_the_reissue(session, make):
    card = make.card(balance=2_500)

    lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)

    found = lookup.find_card_by_number(session, card.number)
    with pytest.raises(CardNotActive) as refused:
        lookup.ensure_card_usable(found)
    assert refused.value.params == {"status": CardStatus.LOST}
    assert lookup.card_balance(session, found) == 2_500
    assert lookup.current_card(session, card.volunteer_id).id == card.id


@pytest.mark.parametrize("target", [CardStatus.ACTIVE, CardStatus.BLOCKED])
def test_a_lost_card_never_comes_back(session, make, target):
    card = make.card()
    lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)

    with pytest.raises(CardStatusTransitionRefused):
        make.card_status(card, target)

    assert session.get(Card, card.id).status == CardStatus.LOST


# --- reissue --------------------------------------------------------------------------------

def test_reissue_moves_the_whole_balance_in_one_entry_and_both_histories_stay_readable(session, make):
    old = make.card(balance=9_000, pin=PIN)
    merchant = ledger.open_account(session, AccountKind.MERCHANT, "merchant:reissue-test")
    ledger.transfer(session, kind="redemption", from_account_id=old.account_id, to_account_id=merchant.id,
                    amount=1_700)
    lifecycle.report_lost(session, old.id, actor=SYSTEM_ACTOR)
    entries_before = session.scalar(select(func.count()).select_from(JournalEntry))

    new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card

    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before + 1
    assert (lookup.card_balance(session, old), lookup.card_balance(session, new)) == (0, 7_300)
    assert new.status == CardStatus.ACTIVE and new.number != old.number
    session.refresh(old)
    assert old.status == CardStatus.REPLACED
    assert old.replaced_by_card_id == new.id
    assert lookup.current_card(session, old.volunteer_id).id == new.id

    old_history = [p.amount for p in ledger.account_history(session, old.account_id).postings]
    new_history = ledger.account_history(session, new.account_id).postings
    assert old_history == [-7_300, -1_700, 9_000]
    assert [(p.amount, p.entry.kind) for p in new_history] == [(7_300, "card_reissue")]
    assert new_history[0].entry_id == ledger.account_history(session, old.account_id).postings[0].entry_id
    pins.verify_pin(session, new, PIN)
    assert ledger.check_invariants(session).ok


def test_reissuing_an_empty_card_posts_nothing(session, make):
    old = make.card()
    entries_before = session.scalar(select(func.count()).select_from(JournalEntry))

    new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card

    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before
    assert lookup.card_balance(session, new) == 0


def test_a_replaced_card_cannot_be_reissued_again_or_used(session, make):
    old = make.card(balance=100)
    new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card

    with pytest.raises(CardStatusTransitionRefused):
        lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR)
    with pytest.raises(CardNotActive):
        lookup.ensure_card_usable(session.get(Card, old.id))
    assert lookup.card_balance(session, new) == 100


# --- PINs -----------------------------------------------------------------------------------

def test_a_set_pin_verifies_and_is_stored_only_as_a_hash(session, make):
    card = make.card(pin=PIN)

    pins.verify_pin(session, card, PIN)

    assert PIN not in card.pin_hash


def test_a_card_without_a_pin_cannot_be_verified(session, make):
    with pytest.raises(PinNotSet):
        pins.verify_pin(session, make.card(), "1234")


@pytest.mark.parametrize("pin", ["1234", "12345", "000000"])
def test_a_pin_is_four_to_six_digits(session, make, pin):
    card = make.card()
    pins.reset_pin(session, card.id, pin, actor=SYSTEM_ACTOR)
    one_digit_off = pin[:-1] + str((int(pin[-1]) + 1) % 10)

    assert card.pin_hash.startswith("$argon2id$") and card.pin_hash != pin
    pins.verify_pin(session, card, pin)
    with pytest.raises(WrongPin) as refused:
        pins.verify_pin(session, card, one_digit_off)
    assert refused.value.params == {"remaining": pins.MAX_WRONG_PINS - 1}


@pytest.mark.parametrize(
    "pin",
    ["123", "1234567", "12a4", " 1234", "1234\n", "", "١٢٣٤", "１２３４", 1234, None],
    ids=["3 digits", "7 digits", "letter", "space", "newline", "empty", "arabic-indic", "full-width", "int", "none"],
)
def test_a_pin_of_any_other_shape_is_refused(session, make, pin):
    card = make.card(pin=PIN)
    pin_hash = card.pin_hash

    with pytest.raises(InvalidPinFormat):
        pins.reset_pin(session, card.id, pin, actor=SYSTEM_ACTOR)

    assert card.pin_hash == pin_hash


def test_a_wrong_pin_says_how_many_attempts_are_left_and_a_right_one_resets_the_count(session, make):
    card = make.card(pin=PIN)
    for remaining in (4, 3):
        with pytest.raises(WrongPin) as refused:
            pins.verify_pin(session, card, "000000")
        assert refused.value.params == {"remaining": remaining}

    pins.verify_pin(session, card, PIN)

    assert card.pin_failed_attempts == 0
    with pytest.raises(WrongPin) as refused:
        pins.verify_pin(session, card, "000000")
    assert refused.value.params == {"remaining": 4}


def test_five_wrong_pins_lock_the_card_until_staff_unlock_it(session, make):
    card = make.card(pin=PIN)
    for _ in range(pins.MAX_WRONG_PINS - 1):
        with pytest.raises(WrongPin):
            pins.verify_pin(session, card, "111111")

    with pytest.raises(CardPinLocked):
        pins.verify_pin(session, card, "111111")

    with pytest.raises(CardPinLocked):
        pins.verify_pin(session, card, PIN)
    with pytest.raises(CardPinLocked):
        lookup.ensure_card_usable(card)

    pins.unlock_pin(session, card.id, actor=SYSTEM_ACTOR)

    pins.verify_pin(session, card, PIN)
    lookup.ensure_card_usable(card)


def test_wrong_pin_attempts_are_kept_when_the_request_that_made_them_fails(session_factory, make, session):
    card = make.card(pin=PIN)
    session.commit()
    with pytest.raises(WrongPin) as refused:
        pins.verify_pin(session, card, "999999")

    # The request boundary commits a failed request whose error keeps its changes.
    assert refused.value.keeps_changes
    session.commit()

    with session_factory() as elsewhere:
        assert elsewhere.get(Card, card.id).pin_failed_attempts == 1


def test_wrong_attempts_are_counted_in_the_database_not_in_a_stale_copy_of_the_card(
    session_factory, make, session
):
    card = make.card(pin=PIN)
    session.commit()
    assert card.pin_failed_attempts == 0
    for _ in range(pins.MAX_WRONG_PINS - 1):
        counter = session_factory()
        with pytest.raises(WrongPin):
            pins.verify_pin(counter, counter.get(Card, card.id), "222222")
        counter.commit()
        counter.close()

    # This session's copy still says 0 failed attempts; the fifth wrong PIN must lock anyway.
    with pytest.raises(CardPinLocked):
        pins.verify_pin(session, card, "222222")
    assert card.pin_locked
