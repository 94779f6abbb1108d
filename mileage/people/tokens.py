"""Who is calling, as our signed tokens say: principals, the token signer, access tokens.

Tokens are HS256 JWTs signed with the centre's token key. Decoding names the one accepted algorithm,
so "alg: none" and algorithm-confusion tokens are refused by construction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from mileage.clock import utc_now
from mileage.errors import TokenExpired, TokenInvalid
from mileage.models import User

ALGORITHM = "HS256"


ACCESS = "access"


REFRESH = "refresh"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, or a shop terminal, with what their role lets them own."""

    role: str
    user_id: int | None = None
    organisation_id: int | None = None
    volunteer_id: int | None = None
    merchant_id: int | None = None
    terminal_id: int | None = None
    # A tablet at a volunteering site (role "site"), owned by its organisation.
    site_device_id: int | None = None

    @property
    def scope(self) -> str:
        """Return a stable name for the caller, used to scope idempotency keys and limits."""
        if self.terminal_id is not None:
            return f"terminal:{self.terminal_id}"
        if self.site_device_id is not None:
            return f"site-device:{self.site_device_id}"
        return f"user:{self.user_id}"

    def claims(self) -> dict:
        """Return the identity claims that go into an access token."""
        values = {
            "role": self.role,
            "org": self.organisation_id,
            "vol": self.volunteer_id,
            "mer": self.merchant_id,
            "ter": self.terminal_id,
            "dev": self.site_device_id,
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
            site_device_id=claims.get("dev"),
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


def issue_access_token(signer: TokenSigner, principal: Principal, *, subject: str | None = None) -> str:
    """Return a short-lived access token for a principal."""
    claims = {"sub": subject or principal.scope, **principal.claims()}
    return signer.sign(claims, token_type=ACCESS, ttl=signer.access_ttl)
