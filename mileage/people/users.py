"""People who sign in: creating them and finding them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.errors import InvalidRole, UsernameTaken, UserNotFound, WeakPassword
from mileage.hashing import hash_secret
from mileage.models import Role, User

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
