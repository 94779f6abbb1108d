"""Sign-in: password checks, rotating refresh tokens (a copied one revokes its whole sign-in), sign-out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import (
    ConsoleNotAllowed,
    InvalidCredentials,
    PasswordChangeRequired,
    TokenExpired,
    TokenRevoked,
    UserNotFound,
)
from mileage.hashing import hash_secret, verify_secret
from mileage.models import RefreshToken, User
from mileage.people import token_families
from mileage.people.roles import STAFF_READERS
from mileage.people.tokens import REFRESH, Principal, TokenSigner, issue_access_token
from mileage.people.users import change_password


@cache
def _dummy_password_hash() -> str:
    """A hash checked when the username is unknown, so a wrong username costs as long as a wrong password.

    Made on the first sign-in, not at import: every CLI call would otherwise pay for a slow hash.
    """
    return hash_secret(secrets.token_hex(16))


@dataclass
class TokenPair:
    """What a successful sign-in or refresh returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    principal: Principal = field(repr=False)


def authenticate(session: Session, username: str, password: str, *, allow_reset_password: bool = False) -> User:
    """Return the active user whose password matches.

    :raises InvalidCredentials: unknown user, wrong password or disabled account (indistinguishable).
    :raises PasswordChangeRequired: the right temporary password, which must be changed first.
    """
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        verify_secret(_dummy_password_hash(), password or "")
        raise InvalidCredentials()
    if not verify_secret(user.password_hash, password or "") or not user.is_active:
        raise InvalidCredentials()
    # Only after the password matched, so the answer tells a stranger nothing.
    if user.must_change_password and not allow_reset_password:
        raise PasswordChangeRequired()
    return user


def change_own_password(
    session: Session,
    username: str,
    current_password: str,
    new_password: str,
    *,
    ip_address: str | None = None,
    request_id: str | None = None,
) -> User:
    """Let a user replace their password (a temporary one after a reset, or their own); audited.

    :raises InvalidCredentials:
    :raises WeakPassword:
    :raises PasswordUnchanged:
    """
    user = authenticate(session, username, current_password, allow_reset_password=True)
    actor = Actor(user_id=user.id, role=user.role, ip_address=ip_address, request_id=request_id)
    return change_password(session, user, new_password=new_password, actor=actor)


def sign_in(session: Session, signer: TokenSigner, username: str, password: str) -> TokenPair:
    """Check a password and start a new token family.

    :raises InvalidCredentials:
    """
    user = authenticate(session, username, password)
    return _issue_pair(session, signer, user, family=secrets.token_hex(16))


def sign_in_to_console(
    session: Session, username: str, password: str, *, ip_address: str | None, request_id: str | None
) -> User:
    """Check a password for the staff console, which only staff, admins and auditors may use; audit it.

    :raises InvalidCredentials:
    :raises ConsoleNotAllowed:
    """
    user = authenticate(session, username, password)
    if user.role not in STAFF_READERS:
        raise ConsoleNotAllowed(role=user.role)
    actor = Actor(user_id=user.id, role=user.role, ip_address=ip_address, request_id=request_id)
    record_audit(session, actor, "console.sign_in", target_type="user", target_id=user.id)
    return user


def _issue_pair(session: Session, signer: TokenSigner, user: User, *, family: str) -> TokenPair:
    jti = secrets.token_hex(16)
    now = utc_now()
    session.add(
        RefreshToken(jti=jti, family=family, user_id=user.id, issued_at=now, expires_at=now + signer.refresh_ttl)
    )
    session.flush()
    principal = Principal.of_user(user)
    return TokenPair(
        access_token=issue_access_token(signer, principal),
        refresh_token=signer.sign(
            {"sub": f"user:{user.id}", "jti": jti, "fam": family}, token_type=REFRESH, ttl=signer.refresh_ttl, now=now
        ),
        expires_in=int(signer.access_ttl.total_seconds()),
        principal=principal,
    )


def refresh_tokens(session: Session, signer: TokenSigner, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; each refresh token works once.

    Presenting an already-used refresh token means it was copied: the whole family is revoked.

    :raises TokenExpired:
    :raises TokenInvalid:
    :raises TokenRevoked:
    :raises RefreshTokenReused: the token was used before; its sign-in has ended.
    """
    claims = signer.verify(refresh_token, token_type=REFRESH)
    stored = session.scalar(select(RefreshToken).where(RefreshToken.jti == claims["jti"]))
    if stored is None or stored.revoked_at is not None:
        raise TokenRevoked()
    token_families.use_once(session, RefreshToken, stored, now=utc_now())
    user = session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise TokenRevoked()
    return _issue_pair(session, signer, user, family=stored.family)


def ensure_user_still_signed_in(session: Session, principal: Principal) -> None:
    """Refuse a user's access token once the user is disabled, or holds another role or place, since it was issued.

    Access tokens are not stored; without this a disabled coordinator would keep their rights
    for the rest of the token's 15 minutes. A terminal or a site device is checked by its own scheme.

    :raises TokenRevoked:
    """
    if principal.user_id is None:
        return
    now = session.execute(
        select(User.is_active, User.role, User.organisation_id, User.volunteer_id).where(User.id == principal.user_id)
    ).one_or_none()
    issued = (True, principal.role, principal.organisation_id, principal.volunteer_id)
    if now is None or tuple(now) != issued:
        raise TokenRevoked()


def sign_out(session: Session, signer: TokenSigner, refresh_token: str) -> None:
    """Revoke the sign-in a refresh token belongs to. Signing out twice is harmless.

    :raises TokenInvalid: not a refresh token of ours.
    """
    try:
        claims = signer.verify(refresh_token, token_type=REFRESH)
    except TokenExpired:
        return
    token_families.end_family(session, RefreshToken, claims.get("fam", ""))


def end_sign_ins(session: Session, user_id: int, *, actor: Actor) -> int:
    """Revoke every sign-in of a user (a lost phone): each refresh token stops working; return how many.

    Access tokens already handed out run out within minutes; nothing new is issued to the user's devices.

    :raises UserNotFound:
    """
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id=user_id)
    ended = update_rows(
        session, RefreshToken,
        RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None), RefreshToken.used_at.is_(None),
        revoked_at=utc_now(),
    )
    record_audit(session, actor, "user.end_sign_ins", target_type="user", target_id=user.id, after={"ended": ended})
    return ended
