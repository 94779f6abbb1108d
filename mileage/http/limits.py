"""Attempt limits (Flask-Limiter). Limits live in RATELIMIT_STORAGE_URI: memory by default, Redis
(for example redis://127.0.0.1:6379) when several app servers must share them."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)

LOGIN_LIMIT_PER_IP = "20 per 10 minutes"
LOGIN_LIMIT_PER_ACCOUNT = "5 per 10 minutes"


def login_username() -> str:
    """Return the username a sign-in attempt names, to limit attempts per account."""
    payload = request.get_json(silent=True) if request.is_json else None
    username = payload.get("username") if isinstance(payload, dict) else None
    return f"login:{str(username or '').strip().lower()[:64]}"


def failed_sign_in(response) -> bool:
    """Count only failed attempts toward the limits."""
    return response.status_code == 401
