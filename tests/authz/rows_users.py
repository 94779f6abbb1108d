"""Authorization rows for user administration: admins change users, auditors read them."""

from tests.authz.roles import ADMIN

ADMIN_AND_AUDITOR = frozenset({"admin", "auditor"})

ROWS = {
    ("GET", "/admin/users"): ADMIN_AND_AUDITOR,
    ("GET", "/admin/users/{user_id}"): ADMIN_AND_AUDITOR,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{user_id}/disable"): ADMIN,
    ("POST", "/admin/users/{user_id}/enable"): ADMIN,
    ("POST", "/admin/users/{user_id}/password-reset"): ADMIN,
    ("PUT", "/admin/users/{user_id}/role"): ADMIN,
}
