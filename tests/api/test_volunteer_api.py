"""The volunteer's own card over HTTP: the card, history, claims, PIN, and that nothing else is reachable."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, pins
from mileage.claims import review
from mileage.claims.rules import ClaimPolicy
from mileage.clock import SEOUL, seoul_today
from mileage.errors import WrongPin
from mileage.models import AccountKind, Claim
from mileage.people.tokens import Principal

ME_GET_ROUTES = [
    "/me/card",
    "/me/history",
    "/me/claims",
    "/me/statement.csv",
    "/me/card/qr",
    "/me/card/qr.png",
    "/me/card/qr.svg",
    "/me/card/printed-qr.png",
    "/me/card/printed-qr.svg",
]


@pytest.fixture
def volunteer(make, login):
    """A volunteer with a card, a user that signs in as them, and that user's headers."""

    def build(*, balance: int = 0, pin: str | None = None):
        card = make.card(balance=balance, pin=pin)
        user = make.user(role="volunteer", volunteer_id=card.volunteer_id)
        return SimpleNamespace(card=card, volunteer=card.volunteer, user=user, headers=login(user))

    return build


def spend(session, card, points: int, kind: str = "redemption", memo: str = ""):
    """Move points from a card to a shop's account, as a redemption would."""
    shop = ledger.open_account(session, AccountKind.MERCHANT, f"merchant:test:{card.id}:{points}:{kind}")
    return ledger.transfer(
        session, kind=kind, from_account_id=card.account_id, to_account_id=shop.id, amount=points, memo=memo
    )


# --- my card --------------------------------------------------------------------------------

def test_my_card_shows_the_masked_number_status_balance_and_pin_state(client, volunteer):
    me = volunteer(balance=12345)
    response = client.get("/me/card", headers=me.headers)
    assert response.status_code == 200
    body = response.json
    assert body["number_masked"] == "**** **** **** " + me.card.number[-4:]
    assert body["last4"] == me.card.number[-4:]
    assert me.card.number not in response.get_data(as_text=True)
    assert body["status"] == "active"
    assert body["balance"] == 12345 and isinstance(body["balance"], int)
    assert body["volunteer_name"] == me.volunteer.name
    assert body["volunteer_masked_name"] == me.volunteer.masked_name
    assert body["pin_set"] is False and body["pin_locked"] is False
    assert response.headers["Cache-Control"] == "no-store"


def test_each_volunteer_sees_only_their_own_card_and_no_request_can_name_another(client, make, volunteer):
    alice, bob = volunteer(balance=1000), volunteer(balance=2000)
    make.credit(bob.card, 300)
    # Naming Bob in the query string is refused outright (an unknown parameter): the volunteer comes from
    # the token only.
    for path in ("/me/card", "/me/history"):
        named = client.get(f"{path}?volunteer_id={bob.volunteer.id}", headers=alice.headers)
        assert named.status_code == 422 and "volunteer_id" in named.json["errors"], path
    card = client.get("/me/card", headers=alice.headers).json
    assert card["balance"] == 1000 and card["last4"] == alice.card.number[-4:]
    history = client.get("/me/history", headers=alice.headers).json
    assert [(item["amount"], item["card_last4"]) for item in history["items"]] == [(1000, alice.card.number[-4:])]
    assert client.get("/me/card", headers=bob.headers).json["balance"] == 2300


def test_no_volunteer_route_takes_an_id_in_its_path(app):
    paths = app.extensions["mileage.api"].spec.to_dict()["paths"]
    mine = [path for path in paths if path.startswith("/me/")]
    assert {"/me/card/pin", "/me/claims", *ME_GET_ROUTES} <= set(mine)
    assert not [path for path in mine if "{" in path]


def test_a_claim_body_cannot_name_another_volunteer(client, session, volunteer, make):
    me, other = volunteer(), volunteer()
    body = {
        "organisation_id": make.organisation().id,
        "work_date": (seoul_today() - timedelta(days=1)).isoformat(),
        "start_time": "09:00",
        "end_time": "11:00",
        "category": "복지",
        "volunteer_id": other.volunteer.id,
    }
    response = client.post("/me/claims", json=body, headers=me.headers)
    assert response.status_code == 422 and response.json["code"] == "validation_failed"
    assert "volunteer_id" in response.json["errors"]
    either = Claim.volunteer_id.in_([me.volunteer.id, other.volunteer.id])
    assert session.scalars(select(Claim).where(either)).all() == []


@pytest.mark.parametrize("path", ME_GET_ROUTES)
def test_a_volunteer_token_without_a_volunteer_is_refused(client, make, login, path):
    user = make.unlinked_user(role="volunteer")
    response = client.get(path, headers=login(Principal(role="volunteer", user_id=user.id)))
    assert response.status_code == 403
    assert response.json["code"] == "volunteer_not_linked"
    assert response.json["message"] == "이 계정에 연결된 봉사자 정보가 없습니다. 자원봉사센터에 문의하세요."
    assert response.headers["Cache-Control"] == "no-store"


def test_unlinked_volunteer_cannot_submit_or_set_a_pin(client, make, login):
    headers = login(Principal(role="volunteer", user_id=make.unlinked_user(role="volunteer").id))
    assert client.put("/me/card/pin", json={"new_pin": "1234"}, headers=headers).json["code"] == "volunteer_not_linked"
    claim = {
        "organisation_id": 1, "work_date": "2024-01-01", "start_time": "09:00", "end_time": "10:00", "category": "x"
    }
    assert client.post("/me/claims", json=claim, headers=headers).json["code"] == "volunteer_not_linked"


def test_a_volunteer_without_a_card_gets_a_clear_conflict_and_an_empty_history(client, make, login):
    user = make.user(role="volunteer", volunteer_id=make.volunteer().id)
    response = client.get("/me/card", headers=login(user))
    assert response.status_code == 409 and response.json["code"] == "volunteer_has_no_card"
    history = client.get("/me/history", headers=login(user))
    assert history.status_code == 200 and history.json == {"items": [], "next_cursor": None}


def test_after_a_reissue_the_new_card_holds_the_balance_and_the_old_history_stays_readable(
    client, session, volunteer
):
    me = volunteer(balance=3000)
    spend(session, me.card, 500)
    lifecycle.report_lost(session, me.card.id, actor=SYSTEM_ACTOR)
    new_card = lifecycle.reissue_card(session, me.card.id, actor=SYSTEM_ACTOR).card

    card = client.get("/me/card", headers=me.headers).json
    assert card["last4"] == new_card.number[-4:] and card["balance"] == 2500 and card["status"] == "active"

    items = client.get("/me/history", headers=me.headers).json["items"]
    # The reissue's memo names both cards, but only by their last four digits.
    assert me.card.number not in items[0]["memo"] and new_card.number not in items[0]["memo"]
    assert me.card.number[-4:] in items[0]["memo"] and new_card.number[-4:] in items[0]["memo"]
    assert [(i["kind"], i["card_last4"], i["amount"], i["balance_after"]) for i in items] == [
        ("card_reissue", new_card.number[-4:], 2500, 2500),
        ("card_reissue", me.card.number[-4:], -2500, 0),
        ("redemption", me.card.number[-4:], -500, 2500),
        ("test_credit", me.card.number[-4:], 3000, 3000),
    ]


def test_a_lost_card_is_shown_with_its_status(client, session, volunteer):
    me = volunteer(balance=100)
    lifecycle.report_lost(session, me.card.id, actor=SYSTEM_ACTOR)
    body = client.get("/me/card", headers=me.headers).json
    assert body["status"] == "lost" and body["balance"] == 100


# --- my history -----------------------------------------------------------------------------

def test_history_lists_signed_movements_newest_first_with_balance_after_and_seoul_day(
    client, session, make, volunteer
):
    me = volunteer()
    make.credit(me.card, 1000)
    make.credit(me.card, 2500)
    spend(session, me.card, 700, memo="노원 빵집")
    response = client.get("/me/history", headers=me.headers)
    assert response.status_code == 200
    items = response.json["items"]
    assert [item["amount"] for item in items] == [-700, 2500, 1000]
    assert [item["balance_after"] for item in items] == [2800, 3500, 1000]
    assert items[0]["kind"] == "redemption" and items[0]["memo"] == "노원 빵집"
    moment = datetime.fromisoformat(items[0]["created_at"])
    assert moment.utcoffset() == timedelta(0)
    assert items[0]["local_date"] == moment.astimezone(SEOUL).date().isoformat()
    assert response.json["next_cursor"] is None


def test_history_pages_with_a_keyset_cursor(client, make, volunteer):
    me = volunteer()
    for points in (100, 200, 300, 400, 500):
        make.credit(me.card, points)
    first = client.get("/me/history?limit=2", headers=me.headers).json
    assert [i["amount"] for i in first["items"]] == [500, 400]
    second = client.get(f"/me/history?limit=2&cursor={first['next_cursor']}", headers=me.headers).json
    assert [i["amount"] for i in second["items"]] == [300, 200]
    third = client.get(f"/me/history?limit=2&cursor={second['next_cursor']}", headers=me.headers).json
    assert [i["amount"] for i in third["items"]] == [100] and third["next_cursor"] is None


def test_a_forged_history_cursor_is_refused(client, volunteer):
    response = client.get("/me/history?cursor=not-a-cursor", headers=volunteer().headers)
    assert response.status_code == 422 and response.json["code"] == "invalid_cursor"


def test_approved_and_reversed_hours_show_their_organisation_and_minutes(client, session, make, volunteer):
    me = volunteer()
    organisation = make.organisation(name="상계 복지관")
    claim = make.claim(volunteer=me.volunteer, organisation=organisation, minutes=150)
    review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    review.reverse_claim(session, claim.id, actor=SYSTEM_ACTOR)
    items = client.get("/me/history", headers=me.headers).json["items"]
    assert [(i["kind"], i["amount"], i["organisation_name"], i["claim_minutes"], i["claim_id"]) for i in items] == [
        ("claim_reversal", -2500, "상계 복지관", -150, claim.id),
        ("claim_approval", 2500, "상계 복지관", 150, claim.id),
    ]


# --- my claims ------------------------------------------------------------------------------

def test_my_claims_lists_only_mine_newest_first_with_keyset_pages(client, session, make, volunteer):
    me, other = volunteer(), volunteer()
    yesterday = seoul_today() - timedelta(days=1)
    mine = [make.claim(volunteer=me.volunteer, start_minute=start, work_date=yesterday) for start in (480, 660, 840)]
    make.claim(volunteer=other.volunteer, work_date=yesterday)
    review.reject_claim(session, mine[0].id, actor=SYSTEM_ACTOR, reason="출석부에 없음")

    first = client.get("/me/claims?limit=2", headers=me.headers).json
    second = client.get(f"/me/claims?limit=2&cursor={first['next_cursor']}", headers=me.headers).json
    assert [c["id"] for c in first["items"] + second["items"]] == [c.id for c in reversed(mine)]
    assert second["next_cursor"] is None
    rejected = second["items"][0]
    assert rejected["state"] == "rejected" and rejected["rejection_reason"] == "출석부에 없음"
    assert rejected["start_time"] == "08:00" and rejected["end_time"] == "10:00" and rejected["minutes"] == 120
    assert rejected["organisation_name"] == mine[0].organisation.name


def claim_body(organisation_id: int, **overrides) -> dict:
    body = {
        "organisation_id": organisation_id,
        "work_date": (seoul_today() - timedelta(days=2)).isoformat(),
        "start_time": "13:00",
        "end_time": "15:30",
        "category": "환경",
        "note": "중랑천 정화",
    }
    body.update(overrides)
    return body


def test_a_volunteer_submits_their_own_claim(client, session, make, volunteer):
    me = volunteer()
    organisation = make.organisation()
    response = client.post("/me/claims", json=claim_body(organisation.id), headers=me.headers)
    assert response.status_code == 201
    body = response.json
    assert body["state"] == "submitted" and body["minutes"] == 150 and body["points"] is None
    assert body["start_time"] == "13:00" and body["end_time"] == "15:30"
    stored = session.get(Claim, body["id"])
    assert stored.volunteer_id == me.volunteer.id and stored.submitted_by_user_id == me.user.id
    assert stored.start_minute == 13 * 60 and stored.end_minute == 15 * 60 + 30


def test_self_submission_is_refused_when_the_policy_forbids_it(app, client, session, make, volunteer):
    app.config["CLAIM_POLICY"] = ClaimPolicy(volunteers_may_self_submit=False)
    me = volunteer()
    response = client.post("/me/claims", json=claim_body(make.organisation().id), headers=me.headers)
    assert response.status_code == 403 and response.json["code"] == "self_submission_disabled"
    assert response.json["message"].startswith("봉사자 본인의 봉사시간 신청은 받지 않습니다.")
    assert session.scalar(select(Claim).where(Claim.volunteer_id == me.volunteer.id)) is None


def test_a_self_submitted_claim_must_meet_the_policy(client, make, volunteer):
    me = volunteer()
    organisation = make.organisation()
    future = client.post(
        "/me/claims", json=claim_body(organisation.id, work_date=(seoul_today() + timedelta(days=1)).isoformat()),
        headers=me.headers,
    )
    assert future.status_code == 422 and future.json["code"] == "claim_in_future"
    backwards = client.post("/me/claims", json=claim_body(organisation.id, end_time="12:00"), headers=me.headers)
    assert backwards.status_code == 422 and "end_time" in backwards.json["errors"]
    bad_clock = client.post("/me/claims", json=claim_body(organisation.id, start_time="9시"), headers=me.headers)
    assert bad_clock.status_code == 422 and "start_time" in bad_clock.json["errors"]
    unknown = client.post("/me/claims", json=claim_body(999999), headers=me.headers)
    assert unknown.status_code == 404 and unknown.json["code"] == "organisation_not_found"


# --- my PIN ---------------------------------------------------------------------------------

def test_the_first_pin_is_set_without_a_current_one(client, session, volunteer):
    me = volunteer()
    response = client.put("/me/card/pin", json={"new_pin": "2468"}, headers=me.headers)
    assert response.status_code == 200 and response.json == {"pin_set": True, "pin_locked": False}
    session.refresh(me.card)
    pins.verify_pin(session, me.card, "2468")
    assert client.get("/me/card", headers=me.headers).json["pin_set"] is True


def test_changing_a_pin_needs_the_current_one(client, session, volunteer):
    me = volunteer(pin="1357")
    missing = client.put("/me/card/pin", json={"new_pin": "2468"}, headers=me.headers)
    assert missing.status_code == 422 and missing.json["code"] == "current_pin_required"
    changed = client.put("/me/card/pin", json={"new_pin": "2468", "current_pin": "1357"}, headers=me.headers)
    assert changed.status_code == 200
    session.refresh(me.card)
    pins.verify_pin(session, me.card, "2468")
    with pytest.raises(WrongPin):
        pins.verify_pin(session, me.card, "1357")


def test_a_wrong_current_pin_counts_toward_the_lock(client, session, volunteer):
    me = volunteer(pin="1357")
    wrong = client.put("/me/card/pin", json={"new_pin": "2468", "current_pin": "0000"}, headers=me.headers)
    assert wrong.status_code == 403 and wrong.json["code"] == "wrong_pin"
    assert wrong.json["message"] == "PIN이 틀렸습니다. (남은 시도 4회)"
    session.refresh(me.card)
    assert me.card.pin_failed_attempts == 1  # kept although the request failed
    for _ in range(3):
        client.put("/me/card/pin", json={"new_pin": "2468", "current_pin": "0000"}, headers=me.headers)
    locked = client.put("/me/card/pin", json={"new_pin": "2468", "current_pin": "0000"}, headers=me.headers)
    assert locked.status_code == 409 and locked.json["code"] == "card_pin_locked"
    # Locked means locked: even the right PIN cannot change it now.
    right = client.put("/me/card/pin", json={"new_pin": "2468", "current_pin": "1357"}, headers=me.headers)
    assert right.status_code == 409 and right.json["code"] == "card_pin_locked"
    session.refresh(me.card)
    assert me.card.pin_locked is True
    assert client.get("/me/card", headers=me.headers).json["pin_locked"] is True


@pytest.mark.parametrize("new_pin", ["123", "1234567", "12a4", "١٢٣٤", ""])
def test_a_malformed_new_pin_is_refused_without_costing_an_attempt(client, session, volunteer, new_pin):
    me = volunteer(pin="1357")
    response = client.put("/me/card/pin", json={"new_pin": new_pin, "current_pin": "0000"}, headers=me.headers)
    assert response.status_code == 422 and response.json["code"] == "invalid_pin_format"
    session.refresh(me.card)
    assert me.card.pin_failed_attempts == 0


def test_pin_messages_follow_accept_language(client, volunteer):
    me = volunteer(pin="1357")
    response = client.put(
        "/me/card/pin", json={"new_pin": "2468"}, headers={**me.headers, "Accept-Language": "en"}
    )
    assert response.json["message"] == "Enter the current PIN to change it."
