"""Authorization rows for the sign-in API. PUBLIC means no token is needed."""

from tests.authz.roles import EVERY_ROLE, PUBLIC

ROWS = {
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/auth/refresh"): PUBLIC,
    ("POST", "/auth/logout"): PUBLIC,
    ("POST", "/auth/password"): PUBLIC,
    ("POST", "/auth/session"): PUBLIC,
    ("POST", "/auth/session/refresh"): PUBLIC,
    ("POST", "/auth/session/end"): PUBLIC,
    ("GET", "/auth/me"): EVERY_ROLE,
}
