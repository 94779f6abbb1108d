"""Staff hours API: registering, searching, reading and editing volunteers."""

import pytest
from sqlalchemy import select

from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.models import AuditEvent, User, Volunteer


@pytest.fixture
def staff(login_as):
    return login_as("staff")


def audit_events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_staff_register_a_volunteer_with_a_sign_in_and_the_volunteer_can_sign_in(client, session, staff):
    user, headers = staff
    response = client.post(
        "/admin/volunteers",
        json={
            "name": " 김민수 ",
            "phone": "010-1234-5678",
            "birth_date": "1990-05-01",
            "portal_1365_id": "nowon1365",
            "username": "Minsu.Kim",
            "password": "a-long-enough-password",
        },
        headers={**headers, "X-Request-ID": "register-1"},
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["volunteer"]["name"] == "김민수"
    assert body["volunteer"]["birth_date"] == "1990-05-01"
    assert body["volunteer"]["status"] == "active"
    assert body["cards"] == [] and body["current_card_id"] is None and body["balance"] == 0
    assert body["login"]["username"] == "minsu.kim"
    assert "password" not in response.get_data(as_text=True)

    login = session.scalar(select(User).where(User.username == "minsu.kim"))
    assert login.role == "volunteer" and login.volunteer_id == body["volunteer"]["id"]
    signed_in = client.post("/auth/token", json={"username": "minsu.kim", "password": "a-long-enough-password"})
    assert signed_in.status_code == 200 and signed_in.json["role"] == "volunteer"

    [event] = audit_events(session, "volunteer.register")
    assert event.actor_user_id == user.id and event.actor_role == "staff"
    assert event.request_id == "register-1" and event.ip_address == "127.0.0.1"
    assert event.target_id == str(body["volunteer"]["id"])
    assert event.after["login_username"] == "minsu.kim" and event.after["birth_date"] == "1990-05-01"
    assert "password" not in str(event.after)


def test_register_without_a_sign_in_creates_no_user(client, session, staff):
    response = client.post("/admin/volunteers", json={"name": "이서연", "phone": "01055556666"}, headers=staff[1])
    assert response.status_code == 201
    assert response.json["login"] is None
    assert session.scalar(select(User).where(User.volunteer_id == response.json["volunteer"]["id"])) is None


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({"name": "박지훈", "phone": "010-1-2", "username": "jihun", "password": "short"}, 422, "weak_password"),
        ({"name": "박지훈", "phone": "010-1-2", "username": "jihun"}, 422, "validation_failed"),
        ({"name": "박지훈", "phone": "not a phone"}, 422, "validation_failed"),
        ({"name": "박지훈", "phone": "   -  "}, 422, "validation_failed"),
        ({"name": "   ", "phone": "010-1-2"}, 422, "validation_failed"),
        ({"phone": "010-1-2"}, 422, "validation_failed"),
    ],
)
def test_register_refuses_bad_input(client, session, staff, payload, status, code):
    response = client.post("/admin/volunteers", json=payload, headers=staff[1])
    assert response.status_code == status and response.json["code"] == code
    assert session.scalar(select(Volunteer).where(Volunteer.name == "박지훈")) is None


def test_register_refuses_a_taken_username_and_keeps_no_half_registered_volunteer(client, session, make, staff):
    make.user(role="staff", username="taken")
    response = client.post(
        "/admin/volunteers",
        json={"name": "정하늘", "phone": "010-9999-0000", "username": "taken", "password": "long-enough-pass"},
        headers=staff[1],
    )
    assert response.status_code == 409 and response.json["code"] == "username_taken"
    assert session.scalar(select(Volunteer).where(Volunteer.phone == "010-9999-0000")) is None


def test_register_refuses_a_1365_id_that_belongs_to_someone_else(client, make, staff):
    make.volunteer(portal_1365_id="dup-1365")
    response = client.post(
        "/admin/volunteers", json={"name": "강도윤", "phone": "010-1111-2222", "portal_1365_id": "dup-1365"},
        headers=staff[1],
    )
    assert response.status_code == 409 and response.json["code"] == "portal_1365_id_taken"
    assert response.json["message"] == "이미 다른 봉사자에게 등록된 1365 아이디입니다."


def search(client, headers, **params):
    response = client.get("/admin/volunteers", query_string=params, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_search_by_name_phone_card_number_and_1365_id(client, make, staff):
    minsu = make.volunteer(name="김민수", phone="010-2468-1357", portal_1365_id="minsu-1365")
    card = make.card(volunteer=minsu)
    make.volunteer(name="김민지", phone="010-1111-9999")
    make.volunteer(name="이서연", phone="010-3333-1357")
    headers = staff[1]

    def ids(**params):
        return [item["id"] for item in search(client, headers, **params)["items"]]

    assert minsu.id in ids(q="민수")
    assert set(ids(q="김민")) >= {minsu.id}
    assert "이서연" not in {item["name"] for item in search(client, headers, q="김민")["items"]}
    # Phone digits match with or without dashes, and the last four digits are enough.
    assert minsu.id in ids(q="01024681357")
    assert minsu.id in ids(q="2468-1357")
    last_four = ids(q="1357")
    assert minsu.id in last_four and len(last_four) >= 2
    # A card number typed with spaces, as printed.
    spaced = " ".join(card.number[i:i + 4] for i in range(0, 16, 4))
    assert ids(q=spaced) == [minsu.id]
    assert ids(q="minsu-1365") == [minsu.id]
    assert ids(q="없는사람") == []


def test_search_pages_with_a_cursor(client, make, staff):
    created = [make.volunteer(name="페이지테스트").id for _ in range(5)]
    first = search(client, staff[1], q="페이지테스트", limit=2)
    second = search(client, staff[1], q="페이지테스트", limit=2, cursor=first["next_cursor"])
    third = search(client, staff[1], q="페이지테스트", limit=2, cursor=second["next_cursor"])
    seen = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert seen == created
    assert third["next_cursor"] is None


def test_search_with_a_forged_cursor_is_422(client, staff):
    response = client.get("/admin/volunteers", query_string={"cursor": "bm9wZQ"}, headers=staff[1])
    assert response.status_code == 422 and response.json["code"] == "invalid_cursor"


def test_detail_shows_every_card_with_its_balance_and_the_current_balance(client, session, make, staff):
    volunteer = make.volunteer()
    old = make.card(volunteer=volunteer, balance=3000)
    new = lifecycle.reissue_card(session, old.id, actor=SYSTEM_ACTOR).card
    make.credit(new, 500)
    response = client.get(f"/admin/volunteers/{volunteer.id}", headers=staff[1])
    assert response.status_code == 200
    body = response.json
    assert [(held["card"]["id"], held["card"]["status"], held["balance"]) for held in body["cards"]] == [
        (old.id, "replaced", 0),
        (new.id, "active", 3500),
    ]
    assert body["current_card_id"] == new.id and body["balance"] == 3500


def test_detail_of_an_unknown_volunteer_is_404(client, staff):
    response = client.get("/admin/volunteers/424242", headers=staff[1])
    assert response.status_code == 404 and response.json["code"] == "volunteer_not_found"


def test_edit_changes_only_the_fields_sent_and_audits_before_and_after(client, session, make, staff):
    volunteer = make.volunteer(name="최유진", phone="010-0000-1111")
    response = client.patch(
        f"/admin/volunteers/{volunteer.id}",
        json={"phone": "010-2222-3333", "birth_date": "1985-12-24", "status": "inactive"},
        headers=staff[1],
    )
    assert response.status_code == 200, response.json
    body = response.json["volunteer"]
    assert (body["name"], body["phone"], body["birth_date"], body["status"]) == (
        "최유진", "010-2222-3333", "1985-12-24", "inactive"
    )
    [event] = audit_events(session, "volunteer.edit")
    assert event.before == {"phone": "010-0000-1111", "birth_date": None, "status": "active"}
    assert event.after == {"phone": "010-2222-3333", "birth_date": "1985-12-24", "status": "inactive"}


def test_edit_that_changes_nothing_writes_no_audit_event(client, session, make, staff):
    volunteer = make.volunteer(name="윤서준")
    response = client.patch(f"/admin/volunteers/{volunteer.id}", json={"name": "윤서준"}, headers=staff[1])
    assert response.status_code == 200
    assert audit_events(session, "volunteer.edit") == []


def test_edit_refuses_another_volunteers_1365_id_and_an_unknown_status(client, make, staff):
    make.volunteer(portal_1365_id="someone-else")
    volunteer = make.volunteer()
    taken = client.patch(f"/admin/volunteers/{volunteer.id}", json={"portal_1365_id": "someone-else"}, headers=staff[1])
    assert taken.status_code == 409 and taken.json["code"] == "portal_1365_id_taken"
    status = client.patch(f"/admin/volunteers/{volunteer.id}", json={"status": "deleted"}, headers=staff[1])
    assert status.status_code == 422 and "status" in status.json["errors"]


@pytest.mark.parametrize("role", ["auditor", "coordinator", "volunteer"])
def test_only_staff_may_register_or_edit(client, session, make, login_as, role):
    volunteer = make.volunteer(name="조수아")
    _, headers = login_as(role)
    created = client.post("/admin/volunteers", json={"name": "새사람", "phone": "010-1-1"}, headers=headers)
    edited = client.patch(f"/admin/volunteers/{volunteer.id}", json={"name": "바뀐이름"}, headers=headers)
    for response in (created, edited):
        assert response.status_code == 403 and response.json["code"] == "role_not_allowed"
    session.expire_all()
    assert session.get(Volunteer, volunteer.id).name == "조수아"
    assert session.scalar(select(Volunteer).where(Volunteer.name == "새사람")) is None


def test_auditor_reads_volunteers(client, make, login_as):
    volunteer = make.volunteer()
    _, headers = login_as("auditor")
    assert client.get(f"/admin/volunteers/{volunteer.id}", headers=headers).status_code == 200
    assert client.get("/admin/volunteers", headers=headers).status_code == 200
