"""People who sign in: creating, finding and administering them (disable, reset, role), and own passwords."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.errors import (
    CannotChangeOwnAccount,
    InvalidRole,
    LastAdmin,
    PasswordUnchanged,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
    WrongCurrentPassword,
)
from mileage.hashing import hash_secret, verify_secret
from mileage.models import ConsoleSession, RefreshToken, Role, User

MIN_PASSWORD_LENGTH = 8


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
    """Create a user with an argon2-hashed password; the audit log never sees the password or its hash.

    :raises InvalidRole:
    :raises WeakPassword:
    :raises UsernameTaken:
    """
    if role not in set(Role):
        raise InvalidRole(role=role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(min_length=MIN_PASSWORD_LENGTH)
    username = username.strip().lower()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(username=username)
    user = User(
        username=username,
        password_hash=hash_secret(password),
        role=role,
        display_name=display_name or username,
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


# Roles an admin gives in the user administration: the centre's own people. Volunteer and
# coordinator accounts belong to a volunteer or an organisation and are made where those are.
STAFF_ROLES = ("staff", "admin", "auditor")


def list_users(session: Session, *, roles: tuple[str, ...] = STAFF_ROLES, include_disabled: bool = True) -> list[User]:
    """Return the users of some roles (the centre's staff by default), by username."""
    statement = select(User).where(User.role.in_(roles)).order_by(User.username)
    if not include_disabled:
        statement = statement.where(User.is_active.is_(True))
    return list(session.scalars(statement))


def _ensure_not_last_admin(session: Session, user: User) -> None:
    if user.role != Role.ADMIN or not user.is_active:
        return
    admins = session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
    )
    if admins <= 1:
        raise LastAdmin()


def disable_user(session: Session, user_id: int, *, actor: Actor) -> User:
    """Disable a user: they can no longer sign in, and their sign-ins end at once.

    :raises UserNotFound:
    :raises CannotChangeOwnAccount: an admin cannot disable themselves.
    :raises LastAdmin:
    """
    user = get_user(session, user_id)
    if user.id == actor.user_id:
        raise CannotChangeOwnAccount()
    _ensure_not_last_admin(session, user)
    if user.is_active:
        user.is_active = False
        _end_every_sign_in(session, user.id)
        session.flush()
        record_audit(session, actor, "user.disable", target_type="user", target_id=user.id,
                     before={"is_active": True}, after={"is_active": False})
    return user


def enable_user(session: Session, user_id: int, *, actor: Actor) -> User:
    """Let a disabled user sign in again.

    :raises UserNotFound:
    """
    user = get_user(session, user_id)
    if not user.is_active:
        user.is_active = True
        session.flush()
        record_audit(session, actor, "user.enable", target_type="user", target_id=user.id,
                     before={"is_active": False}, after={"is_active": True})
    return user


def reset_password(session: Session, user_id: int, *, actor: Actor) -> tuple[User, str]:
    """Give a user a temporary password (returned once, stored hashed) they must change at next sign-in.

    :raises UserNotFound:
    """
    user = get_user(session, user_id)
    temporary = secrets.token_urlsafe(9)
    user.password_hash = hash_secret(temporary)
    user.must_change_password = True
    _end_every_sign_in(session, user.id)
    session.flush()
    record_audit(session, actor, "user.reset_password", target_type="user", target_id=user.id,
                 after={"must_change_password": True})
    return user, temporary


def set_role(session: Session, user_id: int, role: str, *, actor: Actor) -> User:
    """Change a staff user's role (staff, admin, auditor).

    :raises UserNotFound:
    :raises InvalidRole:
    :raises CannotChangeOwnAccount:
    :raises LastAdmin:
    """
    if role not in STAFF_ROLES:
        raise InvalidRole(role=role)
    user = get_user(session, user_id)
    if user.role not in STAFF_ROLES:
        raise InvalidRole(role=user.role)
    if user.id == actor.user_id:
        raise CannotChangeOwnAccount()
    if user.role == role:
        return user
    if role != Role.ADMIN:
        _ensure_not_last_admin(session, user)
    before = user.role
    user.role = role
    session.flush()
    record_audit(session, actor, "user.set_role", target_type="user", target_id=user.id,
                 before={"role": before}, after={"role": role})
    return user


def change_own_password(session: Session, user_id: int, current_password: str, new_password: str, *,
                        actor: Actor) -> User:
    """Change one's own password, proving the current one; clears a pending forced change.

    :raises UserNotFound:
    :raises WrongCurrentPassword:
    :raises WeakPassword:
    :raises PasswordUnchanged:
    """
    user = get_user(session, user_id)
    if not verify_secret(user.password_hash, current_password or ""):
        raise WrongCurrentPassword()
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise WeakPassword(min_length=MIN_PASSWORD_LENGTH)
    if new_password == current_password:
        raise PasswordUnchanged()
    user.password_hash = hash_secret(new_password)
    user.must_change_password = False
    # Other devices signed in with the old password sign in again (the API's refresh tokens).
    session.execute(
        update(RefreshToken).where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utc_now()).execution_options(synchronize_session=False)
    )
    session.flush()
    record_audit(session, actor, "user.change_password", target_type="user", target_id=user.id)
    return user


def _end_every_sign_in(session: Session, user_id: int) -> None:
    now = utc_now()
    session.execute(
        update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)
    )
    session.execute(
        update(ConsoleSession).where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now).execution_options(synchronize_session=False)
    )
