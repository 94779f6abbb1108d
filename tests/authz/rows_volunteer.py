"""Authorization rows for the volunteer's own card API: only volunteers, and only their own card."""

from tests.authz.roles import VOLUNTEER

ROWS = {
    ("GET", "/me/card"): VOLUNTEER,
    ("PUT", "/me/card/pin"): VOLUNTEER,
    ("GET", "/me/history"): VOLUNTEER,
    ("GET", "/me/claims"): VOLUNTEER,
    ("POST", "/me/claims"): VOLUNTEER,
    ("GET", "/me/statement.csv"): VOLUNTEER,
    ("GET", "/me/statement"): VOLUNTEER,
    ("GET", "/me/card/qr"): VOLUNTEER,
    ("GET", "/me/card/qr.png"): VOLUNTEER,
    ("GET", "/me/card/qr-status"): VOLUNTEER,
    ("GET", "/me/card/qr.svg"): VOLUNTEER,
    ("GET", "/me/card/printed-qr.png"): VOLUNTEER,
    ("GET", "/me/card/printed-qr.svg"): VOLUNTEER,
}
