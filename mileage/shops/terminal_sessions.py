"""Counter-page sessions: a terminal signs in once with its secret; the page then keeps a session, never the secret.

The session token (`<id>.<secret>`) lives in an httpOnly cookie the page's script cannot read. It is
stored as an argon2 hash, rotated on every refresh, and ends on sign-out, when staff end it, when the
terminal's secret is rotated, or when the terminal is revoked. A rotated token presented again was
copied: the whole family ends, like the volunteers' refresh tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import NoTerminalSession, TokenExpired, TokenRevoked
from mileage.hashing import hash_secret, verify_secret
from mileage.models import Terminal, TerminalSession
from mileage.people import token_families
from mileage.people.tokens import TokenSigner, issue_access_token
from mileage.shops.terminals import (
    TerminalToken,
    authenticate_terminal,
    ensure_terminal_may_trade,
    get_terminal,
    terminal_principal,
)

# A kept ("기억하기") session lasts a month of shop days; a browser session a long shift.
PERSISTENT_SESSION_TTL = timedelta(days=30)
BROWSER_SESSION_TTL = timedelta(hours=14)


@dataclass(frozen=True)
class TerminalSessionGrant:
    """An access token plus the session token the browser keeps in its cookie."""

    token: TerminalToken
    session_token: str
    persistent: bool
    max_age: int


def _start(session: Session, signer: TokenSigner, terminal: Terminal, *, family: str, persistent: bool):
    secret = secrets.token_urlsafe(32)
    ttl = PERSISTENT_SESSION_TTL if persistent else BROWSER_SESSION_TTL
    now = utc_now()
    row = TerminalSession(
        terminal_id=terminal.id, family=family, secret_hash=hash_secret(secret), persistent=persistent,
        issued_at=now, expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    access = issue_access_token(signer, terminal_principal(terminal))
    return TerminalSessionGrant(
        token=TerminalToken(access, int(signer.access_ttl.total_seconds()), terminal),
        session_token=f"{row.id}.{secret}", persistent=persistent, max_age=int(ttl.total_seconds()),
    )


def start_terminal_session(
    session: Session, signer: TokenSigner, key_id: str, secret: str, *, persistent: bool
) -> TerminalSessionGrant:
    """Check a terminal's key id and secret and start a counter-page session.

    :raises InvalidTerminalCredentials:
    :raises TerminalRevoked:
    :raises MerchantSuspended:
    """
    terminal = authenticate_terminal(session, key_id, secret)
    return _start(session, signer, terminal, family=secrets.token_hex(16), persistent=persistent)


def _find(session: Session, presented: str) -> TerminalSession:
    row_id, _, secret = (presented or "").partition(".")
    row = session.get(TerminalSession, int(row_id)) if row_id.isdigit() and len(row_id) < 19 else None
    if row is None or not verify_secret(row.secret_hash, secret):
        raise TokenRevoked()
    return row


def refresh_terminal_session(session: Session, signer: TokenSigner, presented: str) -> TerminalSessionGrant:
    """Exchange a session token for a fresh access token and the session's successor (each works once).

    :raises NoTerminalSession: nothing presented.
    :raises TokenRevoked: unknown, ended, or the terminal may no longer trade.
    :raises TokenExpired:
    :raises RefreshTokenReused: a rotated token came back; the whole session family is ended.
    """
    if not presented:
        raise NoTerminalSession()
    row = _find(session, presented)
    if row.revoked_at is not None:
        raise TokenRevoked()
    now = utc_now()
    if row.expires_at <= now:
        raise TokenExpired()
    token_families.use_once(session, TerminalSession, row, now=now)
    terminal = get_terminal(session, row.terminal_id)
    ensure_terminal_may_trade(session, terminal.merchant_id, terminal.id)
    successor = _start(session, signer, terminal, family=row.family, persistent=row.persistent)
    # The successor keeps the family's first deadline: refreshing never extends a session for ever.
    update_rows(
        session, TerminalSession, TerminalSession.id == int(successor.session_token.partition(".")[0]),
        expires_at=row.expires_at,
    )
    left = int((row.expires_at - now).total_seconds())
    return TerminalSessionGrant(successor.token, successor.session_token, row.persistent, max(left, 0))


def end_terminal_session(session: Session, presented: str) -> None:
    """End the counter-page session a token belongs to (sign-out). Unknown or ended tokens are harmless."""
    try:
        row = _find(session, presented)
    except TokenRevoked:
        return
    token_families.end_family(session, TerminalSession, row.family)


def end_terminal_sessions(session: Session, terminal_id: int, *, actor: Actor, reason: str = "staff") -> int:
    """End every counter-page session of a terminal (staff, or a secret rotation); return how many ended.

    :raises TerminalNotFound:
    """
    terminal = get_terminal(session, terminal_id)
    ended = update_rows(
        session, TerminalSession, TerminalSession.terminal_id == terminal.id, TerminalSession.revoked_at.is_(None),
        revoked_at=utc_now(),
    )
    record_audit(
        session, actor, "terminal.end_sessions", target_type="terminal", target_id=terminal.id,
        after={"merchant_id": terminal.merchant_id, "key_id": terminal.key_id, "ended": ended, "reason": reason},
    )
    return ended
