"""People who sign in: creating, finding, disabling them, resetting passwords and changing roles.

Every change is audited in the same transaction; the audit log never sees a password or its hash.
A user's role decides what they must be linked to: a coordinator works for one organisation, a
volunteer's login belongs to one volunteer, and staff, admins and auditors belong to neither.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import (
    CannotChangeOwnAccount,
    InvalidRole,
    InvalidUsername,
    LastActiveAdmin,
    OrganisationNotFound,
    PasswordUnchanged,
    UserAlreadyDisabled,
    UserLinkNotAllowed,
    UserLinkRequired,
    UsernameTaken,
    UserNotFound,
    VolunteerAlreadyHasLogin,
    VolunteerNotFound,
    WeakPassword,
)
from mileage.hashing import hash_secret, verify_secret
from mileage.models import Organisation, RefreshToken, Role, User, Volunteer
from mileage.pagination import Page, fetch_page
from mileage.people.console_sessions import end_console_sign_ins_of

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
# Lowercase so that sign-in is case-insensitive; no spaces, "@" or look-alike letters in an operator's list.
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
# Roles a person signs in with (merchants use terminal credentials, not users).
USER_ROLES = frozenset({Role.STAFF, Role.ADMIN, Role.AUDITOR, Role.COORDINATOR, Role.VOLUNTEER})
UNLINKED_ROLES = frozenset({Role.STAFF, Role.ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class PasswordReset:
    """A reset's outcome; `temporary_password` is set only when the system chose it, and is shown once."""

    user: User
    temporary_password: str | None


def normalise_username(username: str) -> str:
    """Return the stored form of a username (trimmed, lowercase).

    :raises InvalidUsername:
    """
    name = (username or "").strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidUsername(username=name[:64])
    return name


def check_password_strength(password: str) -> None:
    """Refuse a password too short to resist guessing (or absurdly long, to bound hashing work).

    :raises WeakPassword:
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(min_length=MIN_PASSWORD_LENGTH)


def _check_role(role: str) -> Role:
    if role not in USER_ROLES:
        raise InvalidRole(role=str(role)[:32])
    return Role(role)


def _check_links(
    session: Session, role: Role, organisation_id: int | None, volunteer_id: int | None, *, user_id: int | None = None
) -> tuple[int | None, int | None]:
    """Check that a role has exactly the links it needs, and that they exist; return them.

    :raises UserLinkRequired:
    :raises UserLinkNotAllowed:
    :raises OrganisationNotFound:
    :raises VolunteerNotFound:
    :raises VolunteerAlreadyHasLogin:
    """
    if role in UNLINKED_ROLES:
        if organisation_id is not None or volunteer_id is not None:
            raise UserLinkNotAllowed(role=str(role))
        return None, None
    if role == Role.COORDINATOR:
        if volunteer_id is not None:
            raise UserLinkNotAllowed(role=str(role))
        if organisation_id is None:
            raise UserLinkRequired(role=str(role), link="organisation_id")
        if session.get(Organisation, organisation_id) is None:
            raise OrganisationNotFound(organisation_id=organisation_id)
        return organisation_id, None
    # A volunteer's login.
    if organisation_id is not None:
        raise UserLinkNotAllowed(role=str(role))
    if volunteer_id is None:
        raise UserLinkRequired(role=str(role), link="volunteer_id")
    if session.get(Volunteer, volunteer_id) is None:
        raise VolunteerNotFound(volunteer_id=volunteer_id)
    holder = session.scalar(select(User.id).where(User.volunteer_id == volunteer_id))
    if holder is not None and holder != user_id:
        raise VolunteerAlreadyHasLogin(volunteer_id=volunteer_id)
    return None, volunteer_id


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    organisation_id: int | None = None,
    volunteer_id: int | None = None,
) -> User:
    """Create a user with an argon2-hashed password and the links their role needs.

    :raises InvalidRole:
    :raises InvalidUsername:
    :raises WeakPassword:
    :raises UsernameTaken:
    :raises UserLinkRequired:
    :raises UserLinkNotAllowed:
    :raises OrganisationNotFound:
    :raises VolunteerNotFound:
    :raises VolunteerAlreadyHasLogin:
    """
    role = _check_role(role)
    username = normalise_username(username)
    check_password_strength(password)
    organisation_id, volunteer_id = _check_links(session, role, organisation_id, volunteer_id)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(username=username)
    user = User(
        username=username,
        password_hash=hash_secret(password),
        role=str(role),
        display_name=(display_name or "").strip()[:100] or username,
        organisation_id=organisation_id,
        volunteer_id=volunteer_id,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        after={"username": user.username, "role": user.role, "organisation_id": organisation_id,
               "volunteer_id": volunteer_id},
    )
    return user


def get_user(session: Session, user_id: int) -> User:
    """Return a user.

    :raises UserNotFound:
    """
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id=user_id)
    return user


def find_user_by_username(session: Session, username: str) -> User:
    """Return the user with this username (case-insensitive).

    :raises UserNotFound:
    """
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        raise UserNotFound(username=(username or "")[:64])
    return user


def list_users(
    session: Session,
    *,
    role: str | None = None,
    active: bool | None = None,
    search: str | None = None,
    organisation_id: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[User]:
    """Return one page of users, oldest first, filtered by role, active or not, and a name fragment.

    :raises InvalidCursor:
    """
    statement = select(User)
    if role:
        statement = statement.where(User.role == str(role))
    if active is not None:
        statement = statement.where(User.is_active.is_(active))
    if organisation_id is not None:
        statement = statement.where(User.organisation_id == organisation_id)
    if search and search.strip():
        pattern = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(User.username.like(pattern, escape="\\"), func.lower(User.display_name).like(pattern, escape="\\"))
        )
    return fetch_page(session, statement, User.id, limit=limit, cursor=cursor)


def _lock_user(session: Session, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise UserNotFound(user_id=user_id)
    return user


def _refuse_losing_last_admin(session: Session, user: User) -> None:
    """Keep at least one active admin, so the centre can never lock itself out of user admin."""
    if user.role != Role.ADMIN or not user.is_active:
        return
    # Lock every active admin row so that two admins demoting each other at once cannot both succeed.
    admins = session.scalars(
        select(User.id).where(User.role == str(Role.ADMIN), User.is_active.is_(True)).with_for_update()
    ).all()
    if len(admins) <= 1:
        raise LastActiveAdmin(user_id=user.id)


def _revoke_sign_ins(session: Session, user_id: int, *, console: bool = True) -> None:
    """Revoke every refresh token of a user (their API sign-ins end when the access token expires) and,
    unless told otherwise, end their console sign-ins at once."""
    now = utc_now()
    update_rows(
        session, RefreshToken, RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None),
        revoked_at=now,
    )
    if console:
        end_console_sign_ins_of(session, user_id)


def disable_user(session: Session, user_id: int, *, actor: Actor) -> User:
    """Disable a user: they can no longer sign in and their sign-ins are revoked. History keeps them.

    :raises UserNotFound:
    :raises CannotChangeOwnAccount:
    :raises UserAlreadyDisabled:
    :raises LastActiveAdmin:
    """
    if actor.user_id is not None and actor.user_id == user_id:
        raise CannotChangeOwnAccount(user_id=user_id)
    user = _lock_user(session, user_id)
    if not user.is_active:
        raise UserAlreadyDisabled(user_id=user_id)
    _refuse_losing_last_admin(session, user)
    user.is_active = False
    user.disabled_at = utc_now()
    _revoke_sign_ins(session, user.id)
    session.flush()
    record_audit(
        session, actor, "user.disable", target_type="user", target_id=user.id,
        before={"is_active": True}, after={"is_active": False},
    )
    return user


def enable_user(session: Session, user_id: int, *, actor: Actor) -> User:
    """Let a disabled user sign in again (with the password they had, or one an admin resets).

    :raises UserNotFound:
    """
    user = _lock_user(session, user_id)
    if user.is_active:
        return user
    user.is_active = True
    user.disabled_at = None
    session.flush()
    record_audit(
        session, actor, "user.enable", target_type="user", target_id=user.id,
        before={"is_active": False}, after={"is_active": True},
    )
    return user


def reset_password(
    session: Session, user_id: int, *, actor: Actor, temporary_password: str | None = None
) -> PasswordReset:
    """Give a user a temporary password they must change at their next sign-in; revoke their sign-ins.

    Without a temporary password one is generated; the caller shows it once and it is never stored in clear.

    :raises UserNotFound:
    :raises WeakPassword:
    """
    generated = temporary_password is None
    if generated:
        temporary_password = secrets.token_urlsafe(12)
    check_password_strength(temporary_password)
    user = _lock_user(session, user_id)
    user.password_hash = hash_secret(temporary_password)
    user.must_change_password = True
    _revoke_sign_ins(session, user.id)
    session.flush()
    record_audit(
        session, actor, "user.reset_password", target_type="user", target_id=user.id,
        after={"must_change_password": True, "generated": generated},
    )
    return PasswordReset(user=user, temporary_password=temporary_password if generated else None)


def change_password(session: Session, user: User, *, new_password: str, actor: Actor) -> User:
    """Set a user's own new password (after checking the current one elsewhere); clears a reset's demand.

    :raises WeakPassword:
    :raises PasswordUnchanged:
    """
    check_password_strength(new_password)
    if verify_secret(user.password_hash, new_password):
        raise PasswordUnchanged()
    user.password_hash = hash_secret(new_password)
    user.must_change_password = False
    # Other devices signed in with the old password sign in again; the console sign-in in use stays.
    _revoke_sign_ins(session, user.id, console=False)
    session.flush()
    record_audit(session, actor, "user.change_password", target_type="user", target_id=user.id)
    return user


def set_role(
    session: Session,
    user_id: int,
    role: str,
    *,
    actor: Actor,
    organisation_id: int | None = None,
    volunteer_id: int | None = None,
) -> User:
    """Give a user another role with the links it needs; their sign-ins are revoked so the new role applies.

    :raises UserNotFound:
    :raises InvalidRole:
    :raises CannotChangeOwnAccount:
    :raises LastActiveAdmin:
    :raises UserLinkRequired:
    :raises UserLinkNotAllowed:
    :raises OrganisationNotFound:
    :raises VolunteerNotFound:
    :raises VolunteerAlreadyHasLogin:
    """
    role = _check_role(role)
    if actor.user_id is not None and actor.user_id == user_id:
        raise CannotChangeOwnAccount(user_id=user_id)
    user = _lock_user(session, user_id)
    organisation_id, volunteer_id = _check_links(session, role, organisation_id, volunteer_id, user_id=user.id)
    before = {"role": user.role, "organisation_id": user.organisation_id, "volunteer_id": user.volunteer_id}
    if role != Role.ADMIN:
        _refuse_losing_last_admin(session, user)
    user.role = str(role)
    user.organisation_id = organisation_id
    user.volunteer_id = volunteer_id
    _revoke_sign_ins(session, user.id)
    session.flush()
    record_audit(
        session, actor, "user.set_role", target_type="user", target_id=user.id, before=before,
        after={"role": user.role, "organisation_id": organisation_id, "volunteer_id": volunteer_id},
    )
    return user
