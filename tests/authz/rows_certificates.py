"""Authorization rows for certificates of hours: the volunteer's own, and the public verification."""

from tests.authz.roles import PUBLIC, VOLUNTEER

ROWS = {
    ("POST", "/me/certificates"): VOLUNTEER,
    ("GET", "/me/certificates"): VOLUNTEER,
    ("GET", "/certificates/{serial}/verification"): PUBLIC,
}
