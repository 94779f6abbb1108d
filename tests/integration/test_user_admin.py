"""User administration services: username rules, role links, disabling, password resets, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mileage.audit import SYSTEM_ACTOR, Actor
from mileage.errors import (
    CannotChangeOwnAccount,
    InvalidCredentials,
    InvalidRole,
    InvalidUsername,
    LastActiveAdmin,
    OrganisationNotFound,
    PasswordChangeRequired,
    PasswordUnchanged,
    UserAlreadyDisabled,
    UserLinkNotAllowed,
    UserLinkRequired,
    VolunteerAlreadyHasLogin,
    VolunteerNotFound,
    WeakPassword,
)
from mileage.models import AuditEvent, RefreshToken, User
from mileage.people import authentication, users
from mileage.people.tokens import TokenSigner

SIGNER = TokenSigner(key="user-admin-test-signing-key-32-bytes!")


def _create(session, **values):
    defaults = {"username": "new.user", "password": "long-enough-pw", "role": "staff"}
    return users.create_user(session, actor=SYSTEM_ACTOR, **{**defaults, **values})


@pytest.mark.parametrize("username", ["ab", "a" * 33, "kim staff", "kim@centre", ".dot", "김민수", "-dash", ""])
def test_usernames_follow_one_rule(session, username):
    with pytest.raises(InvalidUsername):
        _create(session, username=username)
    assert session.scalar(select(User).where(User.username == username.lower())) is None


def test_a_username_is_stored_lowercase_and_trimmed(session):
    assert _create(session, username="  Kim.Staff_2 ").username == "kim.staff_2"


def test_merchants_and_unknown_roles_cannot_be_users(session):
    for role in ("merchant", "root"):
        with pytest.raises(InvalidRole):
            _create(session, role=role)


def test_a_coordinator_needs_an_existing_organisation(session, make):
    with pytest.raises(UserLinkRequired) as missing:
        _create(session, role="coordinator")
    assert missing.value.message("en") == "A Coordinator user needs an organisation."
    assert missing.value.message("ko") == "기관 담당자 계정에는 기관 연결이 필요합니다."
    with pytest.raises(OrganisationNotFound):
        _create(session, role="coordinator", organisation_id=999_999)
    with pytest.raises(UserLinkNotAllowed):
        _create(session, role="coordinator", organisation_id=make.organisation().id, volunteer_id=1)
    place = make.organisation()
    assert _create(session, role="coordinator", organisation_id=place.id).organisation_id == place.id


def test_a_volunteer_login_needs_a_volunteer_without_one(session, make):
    with pytest.raises(UserLinkRequired):
        _create(session, role="volunteer")
    with pytest.raises(VolunteerNotFound):
        _create(session, role="volunteer", volunteer_id=999_999)
    volunteer_id = make.card().volunteer_id
    _create(session, role="volunteer", volunteer_id=volunteer_id)
    with pytest.raises(VolunteerAlreadyHasLogin):
        _create(session, username="second.login", role="volunteer", volunteer_id=volunteer_id)


def test_staff_cannot_be_linked_to_an_organisation(session, make):
    with pytest.raises(UserLinkNotAllowed):
        _create(session, role="staff", organisation_id=make.organisation().id)


def test_passwords_have_a_minimum_length(session):
    with pytest.raises(WeakPassword):
        _create(session, password="short")


def test_the_audit_log_never_sees_the_password_or_its_hash(session):
    user = _create(session, password="secret-password-1")
    events = session.scalars(select(AuditEvent).where(AuditEvent.target_id == str(user.id))).all()
    text = repr([(event.before, event.after) for event in events])
    assert "secret-password-1" not in text and user.password_hash not in text and "$argon2" not in text


def test_list_users_filters_by_role_activity_and_name(session, make):
    staff = _create(session, username="park.desk", display_name="박 담당")
    auditor = _create(session, username="lee.audit", role="auditor")
    users.disable_user(session, auditor.id, actor=SYSTEM_ACTOR)
    assert [u.id for u in users.list_users(session, search="park").items] == [staff.id]
    assert [u.id for u in users.list_users(session, search="박").items] == [staff.id]
    assert auditor.id in [u.id for u in users.list_users(session, active=False).items]
    assert staff.id not in [u.id for u in users.list_users(session, active=False).items]
    assert all(u.role == "auditor" for u in users.list_users(session, role="auditor").items)
    # A "%" or "_" in the search is a character, not a wildcard.
    assert users.list_users(session, search="%").items == []


def test_a_disabled_user_cannot_sign_in_and_their_sign_ins_are_revoked(session):
    user = _create(session)
    pair = authentication.sign_in(session, SIGNER, "new.user", "long-enough-pw")
    admin = _create(session, username="the.admin", role="admin")
    users.disable_user(session, user.id, actor=Actor(user_id=admin.id, role="admin"))
    assert user.is_active is False and user.disabled_at is not None
    with pytest.raises(InvalidCredentials):
        authentication.authenticate(session, "new.user", "long-enough-pw")
    assert session.scalar(select(RefreshToken.revoked_at).where(RefreshToken.user_id == user.id)) is not None
    with pytest.raises(Exception):  # noqa: B017 - any refusal: revoked or user inactive
        authentication.refresh_tokens(session, SIGNER, pair.refresh_token)
    with pytest.raises(UserAlreadyDisabled):
        users.disable_user(session, user.id, actor=SYSTEM_ACTOR)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.disable"))
    assert event.actor_user_id == admin.id and event.after == {"is_active": False}
    users.enable_user(session, user.id, actor=SYSTEM_ACTOR)
    assert authentication.authenticate(session, "new.user", "long-enough-pw").id == user.id


def test_nobody_disables_or_demotes_themselves(session):
    admin = _create(session, role="admin")
    _create(session, username="other.admin", role="admin")
    me = Actor(user_id=admin.id, role="admin")
    with pytest.raises(CannotChangeOwnAccount):
        users.disable_user(session, admin.id, actor=me)
    with pytest.raises(CannotChangeOwnAccount):
        users.set_role(session, admin.id, "staff", actor=me)


def test_the_last_active_admin_stays(session):
    only = _create(session, username="only.admin", role="admin")
    for user in users.list_users(session, role="admin", active=True, limit=200).items:
        if user.id != only.id:
            users.disable_user(session, user.id, actor=SYSTEM_ACTOR)
    second = _create(session, username="second.admin", role="admin")
    users.set_role(session, second.id, "staff", actor=SYSTEM_ACTOR)  # two admins: one may go
    with pytest.raises(LastActiveAdmin):
        users.disable_user(session, only.id, actor=SYSTEM_ACTOR)
    with pytest.raises(LastActiveAdmin):
        users.set_role(session, only.id, "staff", actor=SYSTEM_ACTOR)
    assert only.is_active and only.role == "admin"


def test_a_reset_password_must_be_changed_before_signing_in(session):
    user = _create(session)
    reset = users.reset_password(session, user.id, actor=SYSTEM_ACTOR)
    assert reset.temporary_password and len(reset.temporary_password) >= 12
    assert user.must_change_password is True
    with pytest.raises(InvalidCredentials):
        authentication.sign_in(session, SIGNER, "new.user", "long-enough-pw")
    with pytest.raises(PasswordChangeRequired):
        authentication.sign_in(session, SIGNER, "new.user", reset.temporary_password)
    with pytest.raises(PasswordUnchanged):
        authentication.change_own_password(session, "new.user", reset.temporary_password, reset.temporary_password)
    with pytest.raises(WeakPassword):
        authentication.change_own_password(session, "new.user", reset.temporary_password, "short")
    authentication.change_own_password(session, "new.user", reset.temporary_password, "my-own-new-password")
    assert user.must_change_password is False
    assert authentication.sign_in(session, SIGNER, "new.user", "my-own-new-password").access_token
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.reset_password"))
    assert reset.temporary_password not in repr(event.after)


def test_a_chosen_temporary_password_is_not_echoed(session):
    user = _create(session)
    reset = users.reset_password(session, user.id, actor=SYSTEM_ACTOR, temporary_password="chosen-temporary")
    assert reset.temporary_password is None
    with pytest.raises(PasswordChangeRequired):
        authentication.authenticate(session, "new.user", "chosen-temporary")


def test_set_role_requires_the_new_roles_links(session, make):
    user = _create(session)
    with pytest.raises(UserLinkRequired):
        users.set_role(session, user.id, "coordinator", actor=SYSTEM_ACTOR)
    assert user.role == "staff"
    place = make.organisation()
    users.set_role(session, user.id, "coordinator", actor=SYSTEM_ACTOR, organisation_id=place.id)
    assert (user.role, user.organisation_id) == ("coordinator", place.id)
    users.set_role(session, user.id, "auditor", actor=SYSTEM_ACTOR)
    assert (user.role, user.organisation_id) == ("auditor", None)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.set_role").order_by(AuditEvent.id.desc())
    ).first()
    assert event.before["role"] == "coordinator" and event.after["role"] == "auditor"
