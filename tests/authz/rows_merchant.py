"""Authorization rows for the partner-shop API (merchant_api) and its staff side (admin/merchants)."""

from tests.authz.roles import MERCHANT, PUBLIC, STAFF, STAFF_READ

ROWS = {
    # The shop's terminals.
    ("POST", "/merchant/auth/token"): PUBLIC,
    ("POST", "/merchant/auth/refresh"): PUBLIC,
    ("POST", "/merchant/auth/sign-out"): PUBLIC,
    ("GET", "/merchant/me"): MERCHANT,
    ("POST", "/merchant/quote"): MERCHANT,
    ("POST", "/merchant/redemptions"): MERCHANT,
    ("GET", "/merchant/redemptions"): MERCHANT,
    ("GET", "/merchant/redemptions/{redemption_id}"): MERCHANT,
    ("POST", "/merchant/redemptions/{redemption_id}/refunds"): MERCHANT,
    ("GET", "/merchant/refunds"): MERCHANT,
    ("POST", "/merchant/holds"): MERCHANT,
    ("GET", "/merchant/holds/{hold_id}"): MERCHANT,
    ("POST", "/merchant/holds/{hold_id}/capture"): MERCHANT,
    ("POST", "/merchant/holds/{hold_id}/void"): MERCHANT,
    ("GET", "/merchant/till"): MERCHANT,
    ("GET", "/merchant/settlement"): MERCHANT,
    # Staff: shops, offers, terminals, settlement.
    ("GET", "/admin/merchants"): STAFF_READ,
    ("POST", "/admin/merchants"): STAFF,
    ("GET", "/admin/merchants/{merchant_id}"): STAFF_READ,
    ("PATCH", "/admin/merchants/{merchant_id}"): STAFF,
    ("POST", "/admin/merchants/{merchant_id}/status"): STAFF,
    ("GET", "/admin/merchants/{merchant_id}/offers"): STAFF_READ,
    ("POST", "/admin/merchants/{merchant_id}/offers"): STAFF,
    ("GET", "/admin/merchants/{merchant_id}/terminals"): STAFF_READ,
    ("POST", "/admin/merchants/{merchant_id}/terminals"): STAFF,
    ("POST", "/admin/terminals/{terminal_id}/rotate"): STAFF,
    ("POST", "/admin/terminals/{terminal_id}/revoke"): STAFF,
    ("POST", "/admin/terminals/{terminal_id}/sessions/end"): STAFF,
    ("GET", "/admin/settlement"): STAFF_READ,
    ("POST", "/admin/settlement/closures"): STAFF,
}
