"""The terminals that sign in to redeem: created, rotated and revoked by staff; checked on every request.

Terminal secrets are shown once, when created or rotated, and stored only as argon2 hashes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import (
    InvalidTerminalCredentials,
    TerminalAlreadyRevoked,
    TerminalNotFound,
    TerminalRevoked,
)
from mileage.hashing import hash_secret, verify_secret
from mileage.models import Merchant, Role, Terminal, TerminalSession
from mileage.people.tokens import Principal, TokenSigner, issue_access_token
from mileage.shops.merchants import ensure_merchant_may_trade, get_merchant

TERMINAL_KEY_PREFIX = "trm_"


@cache
def _dummy_secret_hash() -> str:
    """A hash checked when a key id is unknown, so an unknown terminal costs as long as a wrong secret.

    Made on first use, not at import, so that commands that never check a terminal do not pay for it.
    """
    return hash_secret(secrets.token_hex(16))


@dataclass(frozen=True)
class TerminalCredentials:
    """A terminal and its secret, which is shown this once and never stored in clear."""

    terminal: Terminal
    secret: str


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


def add_terminal_with_secret(
    session: Session, merchant: Merchant, label: str, key_id: str, secret: str
) -> Terminal:
    """Add a terminal with a chosen key id and secret: for demo data; staff use `create_terminal`."""
    terminal = Terminal(merchant_id=merchant.id, label=label.strip(), key_id=key_id, secret_hash=hash_secret(secret))
    session.add(terminal)
    session.flush()
    return terminal


def create_terminal(session: Session, merchant_id: int, *, label: str = "", actor: Actor) -> TerminalCredentials:
    """Give a shop a new terminal with its own key id and secret.

    :raises MerchantNotFound:
    """
    merchant = get_merchant(session, merchant_id)
    secret = _new_secret()
    terminal = add_terminal_with_secret(session, merchant, label, TERMINAL_KEY_PREFIX + secrets.token_hex(8), secret)
    record_audit(
        session, actor, "terminal.create", target_type="terminal", target_id=terminal.id,
        after={"merchant_id": merchant.id, "key_id": terminal.key_id, "label": terminal.label},
    )
    return TerminalCredentials(terminal, secret)


def get_terminal(session: Session, terminal_id: int) -> Terminal:
    """Return a terminal.

    :raises TerminalNotFound:
    """
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        raise TerminalNotFound(terminal_id=terminal_id)
    return terminal


def list_terminals(session: Session, merchant_id: int) -> list[Terminal]:
    """Return a shop's terminals, oldest first, revoked ones included."""
    get_merchant(session, merchant_id)
    return list(session.scalars(select(Terminal).where(Terminal.merchant_id == merchant_id).order_by(Terminal.id)))


def rotate_terminal_secret(session: Session, terminal_id: int, *, actor: Actor) -> TerminalCredentials:
    """Replace a terminal's secret; the old one stops working for new sign-ins at once.

    :raises TerminalNotFound:
    :raises TerminalAlreadyRevoked:
    """
    terminal = get_terminal(session, terminal_id)
    if terminal.revoked_at is not None:
        raise TerminalAlreadyRevoked(terminal_id=terminal_id)
    secret = _new_secret()
    terminal.secret_hash = hash_secret(secret)
    terminal.rotated_at = utc_now()
    # A secret is rotated because it may have leaked: the counter pages signed in with it sign in again.
    _end_sessions(session, terminal.id)
    session.flush()
    record_audit(
        session, actor, "terminal.rotate", target_type="terminal", target_id=terminal.id,
        after={"merchant_id": terminal.merchant_id, "key_id": terminal.key_id},
    )
    return TerminalCredentials(terminal, secret)


def revoke_terminal(session: Session, terminal_id: int, *, actor: Actor) -> Terminal:
    """Revoke a terminal: its secret and every token it was given stop working at once.

    :raises TerminalNotFound:
    :raises TerminalAlreadyRevoked:
    """
    terminal = get_terminal(session, terminal_id)
    if terminal.revoked_at is not None:
        raise TerminalAlreadyRevoked(terminal_id=terminal_id)
    terminal.revoked_at = utc_now()
    _end_sessions(session, terminal.id)
    session.flush()
    record_audit(
        session, actor, "terminal.revoke", target_type="terminal", target_id=terminal.id,
        after={"merchant_id": terminal.merchant_id, "key_id": terminal.key_id},
    )
    return terminal


def _end_sessions(session: Session, terminal_id: int) -> None:
    update_rows(
        session, TerminalSession, TerminalSession.terminal_id == terminal_id, TerminalSession.revoked_at.is_(None),
        revoked_at=utc_now(),
    )


def terminal_principal(terminal: Terminal) -> Principal:
    """Return the principal a terminal acts as: the merchant role, scoped to its shop and itself."""
    return Principal(role=str(Role.MERCHANT), merchant_id=terminal.merchant_id, terminal_id=terminal.id)


def claimed_terminal_scope(session: Session, key_id: str) -> str | None:
    """Return the caller scope a terminal key id names, before its secret is checked; None if unknown."""
    terminal_id = session.scalar(select(Terminal.id).where(Terminal.key_id == (key_id or "").strip()))
    return None if terminal_id is None else Principal(role=str(Role.MERCHANT), terminal_id=terminal_id).scope


def authenticate_terminal(session: Session, key_id: str, secret: str) -> Terminal:
    """Return the terminal whose key id and secret match, if it and its shop may trade.

    :raises InvalidTerminalCredentials: unknown key id or wrong secret (indistinguishable).
    :raises TerminalRevoked:
    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    terminal = session.scalar(select(Terminal).where(Terminal.key_id == (key_id or "").strip()))
    if terminal is None:
        verify_secret(_dummy_secret_hash(), secret or "")
        raise InvalidTerminalCredentials()
    if not verify_secret(terminal.secret_hash, secret or ""):
        raise InvalidTerminalCredentials()
    ensure_terminal_may_trade(session, terminal.merchant_id, terminal.id)
    return terminal


@dataclass(frozen=True)
class TerminalToken:
    """A short-lived access token for a terminal, and whom it speaks for."""

    access_token: str
    expires_in: int
    terminal: Terminal


def issue_terminal_token(session: Session, signer: TokenSigner, key_id: str, secret: str) -> TerminalToken:
    """Exchange a terminal's key id and secret for a short-lived access token.

    :raises InvalidTerminalCredentials:
    :raises TerminalRevoked:
    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    terminal = authenticate_terminal(session, key_id, secret)
    token = issue_access_token(signer, terminal_principal(terminal))
    return TerminalToken(token, int(signer.access_ttl.total_seconds()), terminal)


# Built once: every merchant request sends it.
_TERMINAL_WITH_SHOP = (
    select(Terminal).options(joinedload(Terminal.merchant)).where(Terminal.id == bindparam("terminal_id"))
)


def ensure_terminal_may_trade(session: Session, merchant_id: int | None, terminal_id: int | None) -> Terminal:
    """Check on every request that a terminal is live and its shop active, whatever token it holds.

    :raises TerminalRevoked: the terminal is revoked, unknown, or not the shop's.
    :raises MerchantSuspended:
    :raises MerchantNotActive:
    """
    terminal = None
    if terminal_id is not None:
        # Once per request from the database, with its shop; a service's own check then finds it in the session.
        terminal = session.identity_map.get(session.identity_key(Terminal, terminal_id)) or session.scalar(
            _TERMINAL_WITH_SHOP, {"terminal_id": terminal_id}
        )
    if terminal is None or terminal.merchant_id != merchant_id or terminal.revoked_at is not None:
        raise TerminalRevoked(terminal_id=terminal_id)
    ensure_merchant_may_trade(terminal.merchant)
    return terminal
