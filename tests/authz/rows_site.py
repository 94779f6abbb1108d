"""Authorization rows for the site kiosk API (/site). The device role "site" is tested in tests/api/test_site_api.py."""

from tests.authz.roles import COORDINATOR, PUBLIC, STAFF

SITE_MANAGERS = STAFF | COORDINATOR

ROWS = {
    ("POST", "/site/auth/token"): PUBLIC,
    ("POST", "/site/scans"): SITE_MANAGERS,
    ("GET", "/site/visits"): SITE_MANAGERS,
    ("POST", "/site/visits/{visit_id}/correction"): SITE_MANAGERS,
    ("POST", "/site/devices"): SITE_MANAGERS,
    ("GET", "/site/devices"): SITE_MANAGERS,
    ("POST", "/site/devices/{device_id}/revoke"): SITE_MANAGERS,
}
