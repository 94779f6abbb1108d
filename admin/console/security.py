"""Console sign-in sessions, CSRF tokens and the read-only rule for auditors.

The sign-in lives in Flask's signed session cookie (HttpOnly, SameSite=Lax, Secure when configured).
It ends after an idle period and, however busy the user, after an absolute lifetime. Every request
also re-reads the user, so a deactivated account or a changed role takes effect at once.

CSRF: each browser session gets one random secret; every form carries it in a hidden field, and
every POST must present it (compared in constant time) before anything else happens.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request, session
from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.models import User
from mileage.people.console_sessions import console_sign_in_is_live
from mileage.people.roles import STAFF, STAFF_READERS
from mileage.people.tokens import Principal

# Who may sign in to the console, and who of them may change anything.
CONSOLE_ROLES = STAFF_READERS
WRITER_ROLES = STAFF

CSRF_FIELD = "csrf_token"
from mileage.http.locale import CONSOLE_SESSION_KEY  # noqa: E402

# Keys of the console's entries in the session cookie.
_USER_ID = "console_user_id"
_STARTED_AT = "console_started_at"
_SEEN_AT = "console_seen_at"
_CSRF = "console_csrf"
# The server-side sign-in this cookie belongs to (mileage.people.console_sessions).
_SIGN_IN = "console_sign_in"
LANGUAGE = CONSOLE_SESSION_KEY


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in staff member, as the console shows and checks them."""

    id: int
    username: str
    display_name: str
    role: str
    must_change_password: bool = False

    @property
    def can_write(self) -> bool:
        """Tell whether this user may change anything (auditors may not)."""
        return self.role in WRITER_ROLES

    @property
    def principal(self) -> Principal:
        return Principal(role=self.role, user_id=self.id)


def idle_timeout() -> timedelta:
    """Return how long a sign-in survives without a request."""
    return timedelta(minutes=int(current_app.config["CONSOLE_IDLE_MINUTES"]))


def absolute_lifetime() -> timedelta:
    """Return how long a sign-in survives at most, however active."""
    return timedelta(hours=int(current_app.config["CONSOLE_MAX_HOURS"]))


# --- CSRF -----------------------------------------------------------------------------------

def csrf_token() -> str:
    """Return this browser session's CSRF secret, creating it on first use."""
    token = session.get(_CSRF)
    if not token:
        token = session[_CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_token_valid() -> bool:
    """Tell whether this request's form carries the session's CSRF secret."""
    expected = session.get(_CSRF)
    submitted = request.form.get(CSRF_FIELD) or ""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), expected.encode())


# --- sign-in sessions -----------------------------------------------------------------------

def start_console_session(user: User, sign_in_token: str) -> None:
    """Sign a user in: a fresh session (new CSRF secret, against fixation) that keeps only the language."""
    language = session.get(LANGUAGE)
    session.clear()
    if language:
        session[LANGUAGE] = language
    now = utc_now().timestamp()
    session[_USER_ID] = user.id
    session[_STARTED_AT] = now
    session[_SEEN_AT] = now
    session[_CSRF] = secrets.token_urlsafe(32)
    session[_SIGN_IN] = sign_in_token


def console_sign_in_token() -> str | None:
    """Return the token of the server-side sign-in this browser session carries."""
    return session.get(_SIGN_IN)


def end_console_session() -> None:
    """Sign out: forget everything but the language."""
    language = session.get(LANGUAGE)
    session.clear()
    if language:
        session[LANGUAGE] = language


def signed_in_user_id() -> tuple[int | None, bool]:
    """Return the signed-in user id and whether a sign-in just expired; refreshes the idle clock.

    An expired sign-in is ended here, so the caller only has to send the user to the login page.
    """
    user_id = session.get(_USER_ID)
    if user_id is None:
        return None, False
    now = utc_now().timestamp()
    started = float(session.get(_STARTED_AT, 0))
    seen = float(session.get(_SEEN_AT, 0))
    if now - seen > idle_timeout().total_seconds() or now - started > absolute_lifetime().total_seconds():
        end_console_session()
        return None, True
    session[_SEEN_AT] = now
    return int(user_id), False


def load_console_user(session_factory, user_id: int, sign_in_token: str | None = None) -> ConsoleUser | None:
    """Return the user behind a sign-in if they may still use the console and the sign-in is live, else None.

    Read in a short session of its own, not the request's: a view such as a campaign run must be
    free to commit in transactions of its own (SQLite lets only one connection write).
    """
    db: Session = session_factory()
    try:
        user = db.get(User, user_id)
        if user is None or not user.is_active or user.role not in CONSOLE_ROLES:
            return None
        # Signed out (or ended by an admin) on the server: a copied cookie stops working too.
        if not console_sign_in_is_live(db, user.id, sign_in_token):
            return None
        return ConsoleUser(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                           must_change_password=user.must_change_password)
    finally:
        db.rollback()
        db.close()


def login_attempt_key() -> str:
    """Return the username a console sign-in attempt names, to limit attempts per account."""
    return f"console-login:{request.form.get('username', '').strip().lower()[:64]}"

