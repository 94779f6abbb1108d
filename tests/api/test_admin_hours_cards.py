"""Staff hours API: issuing, losing, blocking, reissuing cards, PINs and card history."""

import pytest
from sqlalchemy import select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, numbers, pins
from mileage.errors import CardPinLocked, WrongPin
from mileage.models import AccountKind, AuditEvent, Card
from mileage.people.tokens import Principal


@pytest.fixture
def staff(login_as):
    return login_as("staff")


def audit_events(session, action):
    """The events of a staff action (the factories' own set-up is audited as the system)."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor_role != "system").order_by(AuditEvent.id)
    ))


def card_status(session, card_id):
    session.expire_all()
    return session.get(Card, card_id).status


def test_issue_a_first_card(client, session, make, staff):
    volunteer = make.volunteer()
    response = client.post(f"/admin/volunteers/{volunteer.id}/cards", headers=staff[1])
    assert response.status_code == 201, response.json
    card = response.json["card"]
    assert card["status"] == "active" and card["volunteer_id"] == volunteer.id and len(card["number"]) == 16
    assert numbers.is_valid_card_number(card["number"])
    assert card["pin_set"] is False and response.json["balance"] == 0
    [event] = audit_events(session, "card.issue")
    assert event.target_id == str(card["id"]) and event.after["number"] == card["number"]


def test_a_second_card_is_refused_while_one_is_active_or_holds_points(client, session, make, staff):
    card = make.card(balance=700)
    active = client.post(f"/admin/volunteers/{card.volunteer_id}/cards", headers=staff[1])
    assert active.status_code == 409 and active.json["code"] == "volunteer_has_active_card"
    lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)
    lost = client.post(f"/admin/volunteers/{card.volunteer_id}/cards", headers=staff[1])
    assert lost.status_code == 409 and lost.json["code"] == "volunteer_card_awaits_reissue"
    assert session.scalar(select(Card.id).where(Card.volunteer_id == card.volunteer_id, Card.id != card.id)) is None


def test_report_lost_then_the_card_cannot_be_unblocked(client, session, make, staff):
    card = make.card()
    response = client.post(f"/admin/cards/{card.id}/lost", headers=staff[1])
    assert response.status_code == 200 and response.json["card"]["status"] == "lost"
    [event] = audit_events(session, "card.report_lost")
    assert event.before["status"] == "active" and event.after["status"] == "lost"
    refused = client.post(f"/admin/cards/{card.id}/unblock", headers=staff[1])
    assert refused.status_code == 409 and refused.json["code"] == "card_status_transition_refused"
    assert card_status(session, card.id) == "lost"


def test_block_and_unblock(client, session, make, staff):
    card = make.card()
    blocked = client.post(f"/admin/cards/{card.id}/block", headers=staff[1])
    assert blocked.status_code == 200 and blocked.json["card"]["status"] == "blocked"
    again = client.post(f"/admin/cards/{card.id}/block", headers=staff[1])
    assert again.status_code == 409 and again.json["code"] == "card_status_transition_refused"
    unblocked = client.post(f"/admin/cards/{card.id}/unblock", headers=staff[1])
    assert unblocked.status_code == 200 and unblocked.json["card"]["status"] == "active"
    assert [(e.before["status"], e.after["status"]) for e in audit_events(session, "card.block")] == [
        ("active", "blocked")
    ]
    assert [(e.before["status"], e.after["status"]) for e in audit_events(session, "card.unblock")] == [
        ("blocked", "active")
    ]


def test_unblocking_an_active_card_is_refused(client, make, staff):
    card = make.card()
    response = client.post(f"/admin/cards/{card.id}/unblock", headers=staff[1])
    assert response.status_code == 409 and response.json["code"] == "card_status_transition_refused"


def test_reissue_moves_the_whole_balance_and_the_pin_to_a_new_card(client, session, make, staff):
    old = make.card(balance=12_340, pin="2468")
    client.post(f"/admin/cards/{old.id}/lost", headers=staff[1])
    response = client.post(f"/admin/cards/{old.id}/reissue", headers=staff[1])
    assert response.status_code == 201, response.json
    new = response.json["card"]
    assert response.json["balance"] == 12_340
    assert new["id"] != old.id and new["number"] != old.number and new["pin_set"] is True
    session.expire_all()
    assert session.get(Card, old.id).status == "replaced"
    assert session.get(Card, old.id).replaced_by_card_id == new["id"]
    assert ledger.get_balance(session, old.account_id) == 0
    [event] = audit_events(session, "card.reissue")
    assert event.before == {"status": "lost", "pin_locked": False, "balance": 12_340}
    assert event.after["new_card_id"] == new["id"] and event.after["moved_points"] == 12_340

    detail = client.get(f"/admin/volunteers/{old.volunteer_id}", headers=staff[1]).json
    assert detail["current_card_id"] == new["id"] and detail["balance"] == 12_340


def test_reissue_with_an_idempotency_key_replays_instead_of_refusing(client, session, make, staff):
    old = make.card(balance=100)
    headers = {**staff[1], "Idempotency-Key": "reissue-once"}
    first = client.post(f"/admin/cards/{old.id}/reissue", headers=headers)
    second = client.post(f"/admin/cards/{old.id}/reissue", headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json == first.json
    assert len(session.scalars(select(Card).where(Card.volunteer_id == old.volunteer_id)).all()) == 2
    without_key = client.post(f"/admin/cards/{old.id}/reissue", headers=staff[1])
    assert without_key.status_code == 409 and without_key.json["code"] == "card_status_transition_refused"


def test_reset_pin_sets_the_new_pin_and_lifts_a_lock(client, session, make, staff):
    card = make.card(pin="1111")
    for _ in range(pins.MAX_WRONG_PINS):
        with pytest.raises((WrongPin, CardPinLocked)):
            pins.verify_pin(session, card, "0000")
    assert card.pin_locked
    response = client.put(f"/admin/cards/{card.id}/pin", json={"pin": "8642"}, headers=staff[1])
    assert response.status_code == 200, response.json
    assert response.json["card"]["pin_locked"] is False and response.json["card"]["pin_failed_attempts"] == 0
    session.expire_all()
    card = session.get(Card, card.id)
    pins.verify_pin(session, card, "8642")  # the new PIN works
    with pytest.raises(WrongPin):
        pins.verify_pin(session, card, "1111")
    [event] = audit_events(session, "card.pin_reset")
    assert event.before["pin_locked"] is True and event.after["pin_locked"] is False
    assert "8642" not in str(event.before) + str(event.after)


@pytest.mark.parametrize("pin", ["12", "12345678", "12a4", "١٢٣٤"])
def test_reset_pin_refuses_a_malformed_pin(client, session, make, staff, pin):
    card = make.card(pin="1111")
    response = client.put(f"/admin/cards/{card.id}/pin", json={"pin": pin}, headers=staff[1])
    assert response.status_code == 422
    assert response.json["code"] == "invalid_pin_format"
    assert audit_events(session, "card.pin_reset") == []


def test_unlock_a_pin_locked_card(client, session, make, staff):
    card = make.card(pin="1111")
    refused = client.post(f"/admin/cards/{card.id}/unlock", headers=staff[1])
    assert refused.status_code == 409 and refused.json["code"] == "card_pin_not_locked"
    for _ in range(pins.MAX_WRONG_PINS):
        with pytest.raises((WrongPin, CardPinLocked)):
            pins.verify_pin(session, card, "0000")
    response = client.post(f"/admin/cards/{card.id}/unlock", headers=staff[1])
    assert response.status_code == 200 and response.json["card"]["pin_locked"] is False
    session.expire_all()
    pins.verify_pin(session, session.get(Card, card.id), "1111")
    [event] = audit_events(session, "card.pin_unlock")
    assert event.before == {"status": "active", "pin_locked": True}


def test_card_history_pages_newest_first(client, session, make, staff):
    card = make.card()
    for points in (100, 200, 300):
        make.credit(card, points)
    shop = ledger.open_account(session, AccountKind.MERCHANT, "merchant:history-test")
    ledger.transfer(session, kind="redemption", from_account_id=card.account_id, to_account_id=shop.id, amount=50)
    first = client.get(f"/admin/cards/{card.id}/history", query_string={"limit": 3}, headers=staff[1]).json
    assert [(p["amount"], p["balance_after"]) for p in first["items"]] == [(-50, 550), (300, 600), (200, 300)]
    assert first["items"][0]["kind"] == "redemption"
    rest = client.get(
        f"/admin/cards/{card.id}/history", query_string={"limit": 3, "cursor": first["next_cursor"]}, headers=staff[1]
    ).json
    assert [p["amount"] for p in rest["items"]] == [100] and rest["next_cursor"] is None


def test_unknown_card_is_404(client, staff):
    for path in ("lost", "block", "unblock", "reissue", "unlock"):
        response = client.post(f"/admin/cards/777777/{path}", headers=staff[1])
        assert response.status_code == 404 and response.json["code"] == "card_not_found", path


@pytest.mark.parametrize("role", ["auditor", "coordinator", "volunteer", "merchant"])
def test_card_actions_are_staff_only(client, session, make, login, login_as, role):
    card = make.card(balance=100)
    if role == "merchant":
        headers = login(Principal(role="merchant", merchant_id=1, terminal_id=1))
    else:
        _, headers = login_as(role)
    for path in ("lost", "block", "reissue"):
        response = client.post(f"/admin/cards/{card.id}/{path}", headers=headers)
        assert response.status_code == 403 and response.json["code"] == "role_not_allowed"
    assert card_status(session, card.id) == "active"
