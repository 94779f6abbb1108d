"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

GENERATED_SECRETS_FILE = "dev-secrets.json"
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "TOKEN_SIGNING_KEY", "DATABASE_URL")

# Environment variables that tuned the claim policy before rule sets lived in the database. Migration 0013
# reads them once as the first rule set's values; CLAIM_POLICY (a ClaimPolicy) pins one flat rule instead.
POLICY_ENVIRONMENT = {
    "MILEAGE_POINTS_PER_HOUR": "points_per_hour",
    "MILEAGE_MAX_MINUTES_PER_DAY": "max_minutes_per_day",
    "MILEAGE_CLAIM_WINDOW_DAYS": "claim_window_days",
}


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration."""


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Return the app configuration: defaults, then the environment, then explicit overrides.

    :raises ConfigurationError: production is missing a required secret.
    """
    environ = os.environ
    config: dict = {
        "MILEAGE_ENV": environ.get("MILEAGE_ENV", "development"),
        "DATABASE_URL": environ.get("DATABASE_URL"),
        "SECRET_KEY": environ.get("SECRET_KEY"),
        "TOKEN_SIGNING_KEY": environ.get("TOKEN_SIGNING_KEY"),
        # Request bodies above this size get a 413 before any parsing.
        "MAX_CONTENT_LENGTH": int(environ.get("MILEAGE_MAX_BODY_BYTES", 1024 * 1024)),
        # None: every claim is checked and paid by the rule set in force on its day (mileage/programme).
        "CLAIM_POLICY": None,
        "JSON_AS_ASCII": False,
        # Points expire this many years after they were credited.
        "EXPIRY_YEARS": int(environ.get("MILEAGE_EXPIRY_YEARS", 5)),
        # Partner shops: how long a sale can be refunded, and how long a two-phase hold lives.
        "REFUND_WINDOW_DAYS": int(environ.get("MILEAGE_REFUND_WINDOW_DAYS", 7)),
        "HOLD_MINUTES": int(environ.get("MILEAGE_HOLD_MINUTES", 10)),
        # Staff console sign-ins: idle timeout, absolute lifetime, and a session cookie sent over HTTPS only
        # (the default in production; MILEAGE_SECURE_COOKIES=0 turns it off, =1 on).
        "CONSOLE_IDLE_MINUTES": int(environ.get("MILEAGE_CONSOLE_IDLE_MINUTES", 30)),
        "CONSOLE_MAX_HOURS": int(environ.get("MILEAGE_CONSOLE_MAX_HOURS", 12)),
        "SESSION_COOKIE_SECURE": environ.get(
            "MILEAGE_SECURE_COOKIES", "1" if environ.get("MILEAGE_ENV") == "production" else "0"
        ) == "1",
    }
    config.update(overrides or {})
    if config["MILEAGE_ENV"] == "production":
        missing = [key for key in REQUIRED_IN_PRODUCTION if not config.get(key)]
        if missing:
            raise ConfigurationError(f"MILEAGE_ENV=production requires {', '.join(missing)}")
        return config
    # The embedded default: a SQLite file and generated secrets, both in the instance folder.
    if not config["DATABASE_URL"]:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'mileage.sqlite3'}"
    if not (config.get("SECRET_KEY") and config.get("TOKEN_SIGNING_KEY")):
        for key, value in _development_secrets(instance_path).items():
            config[key] = config.get(key) or value
    return config


def _development_secrets(instance_path: str) -> dict:
    """Generate development secrets once and keep them in the instance folder.

    Kept on disk so that every worker process and every restart signs with the same key.
    """
    path = Path(instance_path) / GENERATED_SECRETS_FILE
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {"SECRET_KEY": secrets.token_hex(32), "TOKEN_SIGNING_KEY": secrets.token_hex(32)}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(values))
    temporary.chmod(0o600)
    temporary.replace(path)
    return json.loads(path.read_text())
