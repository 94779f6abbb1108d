"""Sign-in: password checks, short-lived access tokens, rotating refresh tokens, logout.

Tokens are HS256 JWTs signed with the centre's token key. Decoding names the one accepted algorithm,
so "alg: none" and algorithm-confusion tokens are refused by construction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.errors import InvalidCredentials, RefreshTokenReused, TokenExpired, TokenInvalid, TokenRevoked
from mileage.hashing import hash_secret, verify_secret
from mileage.models import RefreshToken, User

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"

# Checked against when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_PASSWORD_HASH = hash_secret(secrets.token_hex(16))


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, or a shop terminal, with what their role lets them own."""

    role: str
    user_id: int | None = None
    organisation_id: int | None = None
    volunteer_id: int | None = None
    merchant_id: int | None = None
    terminal_id: int | None = None

    @property
    def scope(self) -> str:
        """Return a stable name for the caller, used to scope idempotency keys and limits."""
        if self.terminal_id is not None:
            return f"terminal:{self.terminal_id}"
        return f"user:{self.user_id}"

    def claims(self) -> dict:
        """Return the identity claims that go into an access token."""
        values = {
            "role": self.role,
            "org": self.organisation_id,
            "vol": self.volunteer_id,
            "mer": self.merchant_id,
            "ter": self.terminal_id,
        }
        return {name: value for name, value in values.items() if value is not None}

    @classmethod
    def from_claims(cls, claims: dict) -> Principal:
        subject = claims.get("sub", "")
        return cls(
            role=claims["role"],
            user_id=int(subject[5:]) if subject.startswith("user:") else None,
            organisation_id=claims.get("org"),
            volunteer_id=claims.get("vol"),
            merchant_id=claims.get("mer"),
            terminal_id=claims.get("ter"),
        )

    @classmethod
    def of_user(cls, user: User) -> Principal:
        return cls(
            role=user.role,
            user_id=user.id,
            organisation_id=user.organisation_id,
            volunteer_id=user.volunteer_id,
        )


@dataclass(frozen=True)
class TokenSigner:
    """The signing key and lifetimes the app was configured with."""

    key: str
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=14)

    def sign(self, claims: dict, *, token_type: str, ttl: timedelta, now: datetime | None = None) -> str:
        """Sign claims as a JWT of a type, valid for ttl from now, with a fresh unique id."""
        now = now or utc_now()
        payload = {
            **claims,
            "typ": token_type,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": claims.get("jti") or secrets.token_hex(16),
        }
        return jwt.encode(payload, self.key, algorithm=ALGORITHM)

    def verify(self, token: str, *, token_type: str) -> dict:
        """Return a token's claims after checking signature, expiry and type.

        :raises TokenExpired:
        :raises TokenInvalid: forged, malformed, wrong algorithm, or of another type.
        """
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "jti", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise TokenInvalid() from exc
        if claims.get("typ") != token_type:
            raise TokenInvalid(expected=token_type)
        return claims


@dataclass
class TokenPair:
    """What a successful sign-in or refresh returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    principal: Principal = field(repr=False)


def authenticate(session: Session, username: str, password: str) -> User:
    """Return the active user whose password matches.

    :raises InvalidCredentials: unknown user, wrong password or disabled account (indistinguishable).
    """
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        verify_secret(_DUMMY_PASSWORD_HASH, password or "")
        raise InvalidCredentials()
    if not verify_secret(user.password_hash, password or "") or not user.is_active:
        raise InvalidCredentials()
    return user


def issue_access_token(signer: TokenSigner, principal: Principal, *, subject: str | None = None) -> str:
    """Return a short-lived access token for a principal."""
    claims = {"sub": subject or principal.scope, **principal.claims()}
    return signer.sign(claims, token_type=ACCESS, ttl=signer.access_ttl)


def sign_in(session: Session, signer: TokenSigner, username: str, password: str) -> TokenPair:
    """Check a password and start a new token family.

    :raises InvalidCredentials:
    """
    user = authenticate(session, username, password)
    return _issue_pair(session, signer, user, family=secrets.token_hex(16))


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
    """
    claims = signer.verify(refresh_token, token_type=REFRESH)
    stored = session.scalar(select(RefreshToken).where(RefreshToken.jti == claims["jti"]))
    if stored is None or stored.revoked_at is not None:
        raise TokenRevoked()
    now = utc_now()
    # Conditional: of two concurrent refreshes with one token, only one rotates it.
    rotated = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if rotated != 1:
        revoke_family(session, stored.family)
        raise RefreshTokenReused()
    user = session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise TokenRevoked()
    return _issue_pair(session, signer, user, family=stored.family)


def revoke_family(session: Session, family: str) -> None:
    """Revoke every refresh token of one sign-in."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utc_now())
        .execution_options(synchronize_session=False)
    )


def sign_out(session: Session, signer: TokenSigner, refresh_token: str) -> None:
    """Revoke the sign-in a refresh token belongs to. Signing out twice is harmless.

    :raises TokenInvalid: not a refresh token of ours.
    """
    try:
        claims = signer.verify(refresh_token, token_type=REFRESH)
    except TokenExpired:
        return
    revoke_family(session, claims.get("fam", ""))
