"""Authorization rows for donations, campaigns, disbursements, expiry and reports."""

from tests.authz.roles import EVERY_ROLE, STAFF, STAFF_READ, VOLUNTEER

ROWS = {
    # Everyone signed in may see the open causes; only a volunteer donates their own points.
    ("GET", "/causes"): EVERY_ROLE,
    ("GET", "/me/donations"): VOLUNTEER,
    ("POST", "/me/donations"): VOLUNTEER,
    ("GET", "/me/expiry"): VOLUNTEER,
    ("GET", "/me/expiry-donation"): VOLUNTEER,
    ("PUT", "/me/expiry-donation"): VOLUNTEER,
    ("DELETE", "/me/expiry-donation"): VOLUNTEER,
    # Staff and admins change; auditors read.
    ("GET", "/admin/causes"): STAFF_READ,
    ("POST", "/admin/causes"): STAFF,
    ("GET", "/admin/causes/{cause_id}"): STAFF_READ,
    ("PATCH", "/admin/causes/{cause_id}"): STAFF,
    ("POST", "/admin/causes/{cause_id}/close"): STAFF,
    ("POST", "/admin/causes/{cause_id}/reopen"): STAFF,
    ("GET", "/admin/donations"): STAFF_READ,
    ("POST", "/admin/donations"): STAFF,
    ("GET", "/admin/donations/{donation_id}"): STAFF_READ,
    ("GET", "/admin/disbursements"): STAFF_READ,
    ("POST", "/admin/disbursements"): STAFF,
    ("GET", "/admin/campaigns"): STAFF_READ,
    ("POST", "/admin/campaigns"): STAFF,
    ("GET", "/admin/campaigns/{campaign_id}"): STAFF_READ,
    ("POST", "/admin/campaigns/{campaign_id}/run"): STAFF,
    ("GET", "/admin/campaigns/{campaign_id}/items"): STAFF_READ,
    ("GET", "/admin/reports/hours"): STAFF_READ,
    ("GET", "/admin/reports/movements"): STAFF_READ,
    ("GET", "/admin/reports/liability"): STAFF_READ,
    ("GET", "/admin/reports/volunteers"): STAFF_READ,
    ("GET", "/admin/reports/top-volunteers"): STAFF_READ,
    ("GET", "/admin/reports/shop-accounts"): STAFF_READ,
    ("GET", "/admin/reports/donations"): STAFF_READ,
}
