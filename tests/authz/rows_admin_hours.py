"""Authorization rows for the staff hours API, the audit log and the invariant check."""

from tests.authz.roles import COORDINATOR, STAFF, STAFF_READ

CLAIM_SUBMITTERS = STAFF | COORDINATOR
CLAIM_READERS = STAFF_READ | COORDINATOR
INVARIANT_READERS = frozenset({"admin", "auditor"})

ROWS = {
    # volunteers
    ("POST", "/admin/volunteers"): STAFF,
    ("GET", "/admin/volunteers"): STAFF_READ,
    ("GET", "/admin/volunteers/{volunteer_id}"): STAFF_READ,
    ("PATCH", "/admin/volunteers/{volunteer_id}"): STAFF,
    # cards
    ("POST", "/admin/volunteers/{volunteer_id}/cards"): STAFF,
    ("POST", "/admin/cards/{card_id}/lost"): STAFF,
    ("POST", "/admin/cards/{card_id}/block"): STAFF,
    ("POST", "/admin/cards/{card_id}/unblock"): STAFF,
    ("POST", "/admin/cards/{card_id}/reissue"): STAFF,
    ("PUT", "/admin/cards/{card_id}/pin"): STAFF,
    ("POST", "/admin/cards/{card_id}/unlock"): STAFF,
    ("GET", "/admin/cards/{card_id}/history"): STAFF_READ,
    # organisations and coordinators
    ("POST", "/admin/organisations"): STAFF,
    ("GET", "/admin/organisations"): STAFF_READ,
    ("POST", "/admin/organisations/{organisation_id}/coordinators"): STAFF,
    ("GET", "/admin/organisations/{organisation_id}/coordinators"): STAFF_READ,
    # claims
    ("POST", "/admin/claims"): CLAIM_SUBMITTERS,
    ("POST", "/admin/claims/import"): CLAIM_SUBMITTERS,
    ("GET", "/admin/claims/uploads/template.xlsx"): CLAIM_READERS,
    ("POST", "/admin/claims/uploads"): CLAIM_SUBMITTERS,
    ("POST", "/admin/claims/uploads/{upload_id}/confirm"): CLAIM_SUBMITTERS,
    ("GET", "/admin/claims/exchange-1365/export"): STAFF_READ,
    ("POST", "/admin/claims/exchange-1365/import"): STAFF,
    ("GET", "/admin/claims"): CLAIM_READERS,
    ("GET", "/admin/claims/{claim_id}"): CLAIM_READERS,
    ("POST", "/admin/claims/{claim_id}/approve"): STAFF,
    ("POST", "/admin/claims/{claim_id}/reject"): STAFF,
    ("POST", "/admin/claims/bulk-approve"): STAFF,
    ("POST", "/admin/claims/{claim_id}/reverse"): STAFF,
    # oversight
    ("GET", "/admin/audit-events"): STAFF_READ,
    ("GET", "/admin/invariants"): INVARIANT_READERS,
}
