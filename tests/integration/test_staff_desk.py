"""Staff desk services against a real database: volunteers, organisations, coordinators, claim scope."""

import pytest
from sqlalchemy import select

from mileage.audit import Actor
from mileage.cards import lifecycle
from mileage.claims import queue
from mileage.errors import (
    CardStatusTransitionRefused,
    NotOwner,
    OrganisationNameTaken,
    OrganisationNotFound,
    Portal1365IdTaken,
)
from mileage.models import AuditEvent
from mileage.people import organisations, volunteers

DESK = Actor(user_id=None, role="staff", ip_address="192.0.2.1", request_id="desk")


def test_search_does_not_treat_digits_inside_a_name_as_a_phone(session, make):
    make.volunteer(name="홍길동", phone="010-1000-2000")
    found = volunteers.search_volunteers(session, "길동 1")
    assert found.items == []


def test_search_filters_by_status(session, make):
    kept = make.volunteer(name="상태검색")
    left = make.volunteer(name="상태검색")
    volunteers.edit_volunteer(session, left.id, actor=DESK, status="inactive")
    assert [v.id for v in volunteers.search_volunteers(session, "상태검색", status="active").items] == [kept.id]
    assert [v.id for v in volunteers.search_volunteers(session, "상태검색", status="inactive").items] == [left.id]


def test_search_treats_like_wildcards_as_text(session, make):
    make.volunteer(name="김민수")
    assert volunteers.search_volunteers(session, "%").items == []
    assert volunteers.search_volunteers(session, "_").items == []


def test_edit_refuses_fields_that_are_not_editable(session, make):
    volunteer = make.volunteer()
    with pytest.raises(TypeError):
        volunteers.edit_volunteer(session, volunteer.id, actor=DESK, created_at=None)


def test_a_blank_1365_id_is_stored_as_none_so_many_volunteers_can_have_none(session):
    first = volunteers.enrol_volunteer(session, actor=DESK, name="가", phone="010-1", portal_1365_id="  ")
    second = volunteers.enrol_volunteer(session, actor=DESK, name="나", phone="010-2", portal_1365_id="")
    assert first.volunteer.portal_1365_id is None and second.volunteer.portal_1365_id is None


def test_moving_a_1365_id_to_another_volunteer_is_refused(session, make):
    make.volunteer(portal_1365_id="p-1")
    other = make.volunteer(portal_1365_id="p-2")
    with pytest.raises(Portal1365IdTaken):
        volunteers.edit_volunteer(session, other.id, actor=DESK, portal_1365_id="p-1")
    # Keeping one's own id is no conflict.
    volunteers.edit_volunteer(session, other.id, actor=DESK, portal_1365_id="p-2", name="새 이름")


def test_organisation_names_are_unique(session):
    organisations.create_organisation(session, actor=DESK, name="월계 도서관")
    with pytest.raises(OrganisationNameTaken):
        organisations.create_organisation(session, actor=DESK, name=" 월계 도서관 ")


def test_coordinators_belong_to_one_existing_organisation(session, make):
    place = make.organisation()
    coordinator = organisations.create_coordinator(
        session, place.id, actor=DESK, username="Coord.Park", password="long-enough-password", display_name="박 팀장"
    )
    make.user(role="staff")  # not a coordinator: not listed
    assert coordinator.role == "coordinator" and coordinator.organisation_id == place.id
    assert [user.id for user in organisations.list_coordinators(session, place.id).items] == [coordinator.id]
    with pytest.raises(OrganisationNotFound):
        organisations.create_coordinator(session, 987654, actor=DESK, username="nobody", password="long-enough-pw")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "coordinator.create"))
    assert event.after == {"username": "coord.park", "organisation_id": place.id, "role": "coordinator"}


def test_list_claims_confines_a_coordinator_to_their_organisation(session, make):
    mine, theirs = make.organisation(), make.organisation()
    own_claim = make.claim(organisation=mine)
    make.claim(organisation=theirs)
    page = queue.list_claims(session, queue.ClaimFilter(), organisation_scope=mine.id)
    assert [claim.id for claim in page.items] == [own_claim.id]
    with pytest.raises(NotOwner):
        queue.list_claims(session, queue.ClaimFilter(organisation_id=theirs.id), organisation_scope=mine.id)


def test_a_replaced_card_cannot_be_reissued_again_and_nothing_is_audited(session, make):
    card = make.card(balance=10)
    lifecycle.reissue_card(session, card.id, actor=DESK)
    with pytest.raises(CardStatusTransitionRefused):
        lifecycle.reissue_card(session, card.id, actor=DESK)
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "card.reissue")).all()) == 1
