"""Authorization rows for the programme's rule sets and card tiers."""

from tests.authz.roles import ADMIN, MERCHANT, STAFF, STAFF_READ, VOLUNTEER

ROWS = {
    ("GET", "/admin/rule-sets"): STAFF_READ,
    ("POST", "/admin/rule-sets"): ADMIN,
    ("GET", "/admin/rule-sets/current"): STAFF_READ,
    ("GET", "/admin/rule-sets/{version}"): STAFF_READ,
    ("GET", "/admin/rule-sets/presets"): STAFF_READ,
    ("POST", "/admin/rule-sets/presets/load"): ADMIN,
    ("POST", "/admin/rule-sets/what-if"): STAFF_READ,
    ("GET", "/admin/volunteers/{volunteer_id}/tier"): STAFF_READ,
    ("POST", "/admin/tiers/review"): ADMIN,
    ("GET", "/me/tier"): VOLUNTEER,
    ("GET", "/admin/merchants/{merchant_id}/tier-benefit"): STAFF_READ,
    ("PUT", "/admin/merchants/{merchant_id}/tier-benefit"): STAFF,
    ("POST", "/merchant/checkout/preview"): MERCHANT,
    ("POST", "/merchant/checkout"): MERCHANT,
    ("GET", "/admin/reports/withheld"): STAFF_READ,
    ("GET", "/admin/reports/tiers"): STAFF_READ,
    ("GET", "/admin/reports/tier-movements"): STAFF_READ,
    ("GET", "/admin/reports/benefit-uses"): STAFF_READ,
}
