"""Authorization rows for certificates of hours (the volunteer's own, the public check) and the claim form."""

from tests.authz.roles import PUBLIC, VOLUNTEER

ROWS = {
    ("POST", "/me/certificates"): VOLUNTEER,
    ("GET", "/me/certificates"): VOLUNTEER,
    ("GET", "/certificates/{serial}/verification"): PUBLIC,
    ("GET", "/me/claim-options"): VOLUNTEER,
}
