"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
import secrets
import string
from pathlib import Path

from mileage.claims.exchange_1365 import ExchangeProfile

GENERATED_SECRETS_FILE = "dev-secrets.json"
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "TOKEN_SIGNING_KEY", "DATABASE_URL")
ENVIRONMENTS = ("development", "production")
SECRET_KEYS = ("SECRET_KEY", "TOKEN_SIGNING_KEY")
# A production secret must be long and random: 32 characters and an estimated 128 bits at least
# (`openssl rand -hex 16` gives 32 characters of 4 bits each, secrets.token_urlsafe(32) 43 of 6 bits).
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128
# The alphabets random keys are written in, smallest first, with the bits each character of such a key carries.
_KEY_ALPHABETS = (
    (frozenset(string.digits), math.log2(10)),
    (frozenset("0123456789abcdef"), 4.0),
    (frozenset("0123456789ABCDEF"), 4.0),
    (frozenset(string.ascii_uppercase + "234567="), 5.0),
    (frozenset(string.ascii_letters + string.digits), math.log2(62)),
    (frozenset(string.ascii_letters + string.digits + "+/-_="), 6.0),
)
_ANY_CHARACTER_BITS = math.log2(95)
# A repeat counts as a pattern only if fewer than one random key in 2**24 of the same length and
# alphabet would hold one as long by chance.
_CHANCE_REPEAT_BITS = 24
# The estimate reads this much of a key: far more than 128 bits, and its cost grows with the square of the length.
_ESTIMATED_LENGTH = 256
GENERATE_A_SECRET = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
SUPPORTED_DATABASES = ("sqlite", "postgresql")

# Environment variables that tuned the claim policy before rule sets lived in the database. Migration 0013
# reads them once as the first rule set's values; CLAIM_POLICY (a ClaimPolicy) pins one flat rule instead.
POLICY_ENVIRONMENT = {
    "MILEAGE_POINTS_PER_HOUR": "points_per_hour",
    "MILEAGE_MAX_MINUTES_PER_DAY": "max_minutes_per_day",
    "MILEAGE_CLAIM_WINDOW_DAYS": "claim_window_days",
}


def parse_origins(text: str | None) -> tuple[str, ...]:
    """Return the origins of a comma-separated setting, without blanks or trailing slashes."""
    return tuple(origin.strip().rstrip("/") for origin in (text or "").split(",") if origin.strip())


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration; the message says what is wrong and what to do."""


def environment_integer(environ, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Return a whole-number setting from the environment, or its default.

    :raises ConfigurationError: not a whole number, or out of range; the message names the variable.
    """
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw[:40]!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigurationError(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


def secret_strength_bits(secret: str) -> float:
    """Estimate a secret's entropy in bits: its characters that repeat no earlier stretch, at the bits each carries.

    A random key's characters each carry the bits of the alphabet it is written in (4 in hex, 6 in base64);
    a stretch that repeats an earlier one, longer than a random key of its length would repeat by chance,
    adds nothing: a repeated word, a run of one letter, or "abcdef…" (whose steps from one character to
    the next repeat).
    """
    secret = secret[:_ESTIMATED_LENGTH]
    if not secret:
        return 0.0
    bits = next((bits for alphabet, bits in _KEY_ALPHABETS if set(secret) <= alphabet), _ANY_CHARACTER_BITS)
    # The longer the key, the more pairs of places (in its characters and in its steps) may repeat by chance.
    places = max(1, len(secret) * (len(secret) - 1))
    shortest_pattern = math.ceil((_CHANCE_REPEAT_BITS + math.log2(places)) / bits)
    steps = [ord(after) - ord(before) for before, after in itertools.pairwise(secret)]
    novel = min(_novel_symbols(list(secret), shortest_pattern), 1 + _novel_symbols(steps, shortest_pattern))
    return novel * bits


def _novel_symbols(symbols: list, shortest_pattern: int) -> int:
    """Count the symbols left once each repeat of an earlier stretch (`shortest_pattern` or longer) is dropped."""
    novel = position = 0
    while position < len(symbols):
        repeat = max((_common_length(symbols, earlier, position) for earlier in range(position)), default=0)
        if repeat >= shortest_pattern:
            position += repeat
        else:
            novel += 1
            position += 1
    return novel


def _common_length(symbols: list, earlier: int, position: int) -> int:
    """How far the symbols from `position` repeat those from `earlier` (the two stretches may overlap)."""
    length = 0
    while position + length < len(symbols) and symbols[earlier + length] == symbols[position + length]:
        length += 1
    return length


def check_production_secret(name: str, secret: str) -> None:
    """Refuse a production secret that is short or guessable.

    :raises ConfigurationError:
    """
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"{name} is too short for production ({len(secret)} characters, at least {MIN_SECRET_LENGTH}); "
            f"generate one with: {GENERATE_A_SECRET}"
        )
    if secret_strength_bits(secret) < MIN_SECRET_BITS:
        raise ConfigurationError(
            f"{name} is not random enough for production; generate one with: {GENERATE_A_SECRET}"
        )


def check_database_url(url: str) -> None:
    """Refuse a database URL that SQLAlchemy cannot read or that names a database we do not support.

    :raises ConfigurationError:
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            "DATABASE_URL is not a database URL; use e.g. postgresql+psycopg://user:password@host:5432/mileage "
            "or sqlite:////var/lib/mileage/mileage.sqlite3"
        ) from None
    if parsed.get_backend_name() not in SUPPORTED_DATABASES:
        raise ConfigurationError(
            f"DATABASE_URL names {parsed.get_backend_name()!r}; only PostgreSQL (postgresql+psycopg://...) "
            "and SQLite (sqlite:///path) are supported"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() not in ("psycopg", "postgresql"):
        raise ConfigurationError(
            f"DATABASE_URL uses the driver {parsed.get_driver_name()!r}; use postgresql+psycopg://..."
        )
    if parsed.get_backend_name() == "postgresql" and not parsed.database:
        raise ConfigurationError("DATABASE_URL names no database; add it after the host, e.g. .../mileage")


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Return the app configuration: defaults, then the environment, then explicit overrides.

    :raises ConfigurationError: an unknown MILEAGE_ENV, a setting that is not a number, a malformed
        DATABASE_URL, or production without strong secrets.
    """
    environ = os.environ
    number = functools.partial(environment_integer, environ)
    config: dict = {
        "MILEAGE_ENV": environ.get("MILEAGE_ENV", "development").strip(),
        "DATABASE_URL": environ.get("DATABASE_URL"),
        # A transaction-mode connection pooler between the app and PostgreSQL ("pgbouncer"), if any;
        # `?pooler=pgbouncer` on DATABASE_URL says the same.
        "DATABASE_POOLER": environ.get("MILEAGE_DB_POOLER") or None,
        # A read replica (hot standby) that reports and exports may read from; never the money paths.
        "DATABASE_REPLICA_URL": environ.get("DATABASE_REPLICA_URL") or None,
        "SECRET_KEY": environ.get("SECRET_KEY"),
        "TOKEN_SIGNING_KEY": environ.get("TOKEN_SIGNING_KEY"),
        # Request bodies above this size get a 413 before any parsing.
        "MAX_CONTENT_LENGTH": number("MILEAGE_MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
        # None: every claim is checked and paid by the rule set in force on its day (mileage/programme).
        # The old policy variables are still checked here, so a wrong value stops the start clearly;
        # migration 0013 reads them once into the first rule set.
        "CLAIM_POLICY": _check_policy_environment(number),
        "JSON_AS_ASCII": False,
        # Origins of browser-based POS systems allowed to call /merchant/* (CORS); none by default.
        "CORS_ORIGINS": parse_origins(environ.get("MILEAGE_CORS_ORIGINS")),
        # PATCH without If-Match: allowed (v1 clients), or refused with 428 when set.
        "REQUIRE_IF_MATCH": environ.get("MILEAGE_REQUIRE_IF_MATCH") == "1",
        # The shape of 1365 exchange files: a JSON object or a path to one (see claims/exchange_1365.py).
        "EXCHANGE_1365_PROFILE": ExchangeProfile.from_setting(environ.get("MILEAGE_1365_PROFILE")),
        # The centre named on certificates of hours.
        "CENTRE_NAME": environ.get("MILEAGE_CENTRE_NAME", "노원구 자원봉사센터"),
        # Points expire this many years after they were credited.
        "EXPIRY_YEARS": number("MILEAGE_EXPIRY_YEARS", 5, minimum=1, maximum=100),
        # Partner shops: how long a sale can be refunded, and how long a two-phase hold lives.
        "REFUND_WINDOW_DAYS": number("MILEAGE_REFUND_WINDOW_DAYS", 7, minimum=0, maximum=3650),
        "HOLD_MINUTES": number("MILEAGE_HOLD_MINUTES", 10, minimum=1, maximum=24 * 60),
        # Staff console sign-ins: idle timeout, absolute lifetime, and a session cookie sent over HTTPS only
        # (the default in production; MILEAGE_SECURE_COOKIES=0 turns it off, =1 on).
        "CONSOLE_IDLE_MINUTES": number("MILEAGE_CONSOLE_IDLE_MINUTES", 30, minimum=1),
        "CONSOLE_MAX_HOURS": number("MILEAGE_CONSOLE_MAX_HOURS", 12, minimum=1),
        "SESSION_COOKIE_SECURE": environ.get(
            "MILEAGE_SECURE_COOKIES", "1" if environ.get("MILEAGE_ENV") == "production" else "0"
        ) == "1",
        # Reverse proxies in front of the app whose X-Forwarded-For we believe (0: none, the client is direct).
        "TRUSTED_PROXIES": number("MILEAGE_TRUSTED_PROXIES", 0, minimum=0, maximum=5),
        # How many app processes serve requests (gunicorn sets WEB_CONCURRENCY); attempt limits kept in
        # memory are per process, so production refuses them with more than one.
        "WEB_WORKERS": number("WEB_CONCURRENCY", 1, minimum=1),
    }
    config.update(overrides or {})
    if config["MILEAGE_ENV"] not in ENVIRONMENTS:
        raise ConfigurationError(
            f"MILEAGE_ENV={config['MILEAGE_ENV']!r} is unknown; use one of: {', '.join(ENVIRONMENTS)}"
        )
    if config["DATABASE_URL"]:
        check_database_url(config["DATABASE_URL"])
    if config["MILEAGE_ENV"] == "production":
        missing = [key for key in REQUIRED_IN_PRODUCTION if not config.get(key)]
        if missing:
            raise ConfigurationError(
                f"MILEAGE_ENV=production requires {', '.join(missing)}; set them in the service's environment file"
            )
        for key in SECRET_KEYS:
            check_production_secret(key, config[key])
        return config
    # The embedded default: a SQLite file and generated secrets, both in the instance folder.
    if not config["DATABASE_URL"]:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'mileage.sqlite3'}"
    if not (config.get("SECRET_KEY") and config.get("TOKEN_SIGNING_KEY")):
        for key, value in _development_secrets(instance_path).items():
            config[key] = config.get(key) or value
    return config


def _check_policy_environment(number) -> None:
    """Refuse a claim-policy variable that is not a positive whole number; the answer is always None."""
    for name in POLICY_ENVIRONMENT:
        number(name, 1, minimum=1)
    return None


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
