"""The application factory."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from mileage.config import ConfigurationError, load_config
from mileage.db import make_engine, make_session_factory
from mileage.http.boundary import MileageFlask, init_request_boundary
from mileage.http.docs import DOCS_SETTINGS, init_docs_headers
from mileage.http.docs import blueprint as docs_blueprint
from mileage.http.errors import ErrorEnvelopeSchema, register_error_handlers
from mileage.http.health import blueprint as health_blueprint
from mileage.http.limits import limiter
from mileage.http.locale import init_locale
from mileage.http.openapi import API_VERSION
from mileage.people.tokens import TokenSigner

API_SETTINGS = {
    "API_TITLE": "Volunteer Mileage API",
    "API_VERSION": API_VERSION,
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Set on every app: Flask-Limiter carries the last app's value over to the next one otherwise.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    # If the shared store (Redis) goes away, keep limiting in this process rather than answer 500.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "mileage",
}
PER_PROCESS_LIMIT_STORES = ("memory://",)

log = logging.getLogger("mileage.app")


def _environment_settings() -> dict:
    """Read settings that only matter to operators and load tests."""
    settings = {}
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"].strip()
    if os.environ.get("RATELIMIT_KEY_PREFIX"):
        settings["RATELIMIT_KEY_PREFIX"] = os.environ["RATELIMIT_KEY_PREFIX"].strip()
    # Load and fault tests drive one account from many clients on purpose; never set in production.
    if os.environ.get("MILEAGE_DISABLE_RATE_LIMITS") == "1":
        settings["RATELIMIT_ENABLED"] = False
    return settings


def check_limit_storage(config) -> None:
    """Refuse per-process attempt limits in production when several processes serve requests.

    With memory:// each gunicorn worker counts on its own, so "5 wrong passwords" becomes 5 per worker.

    :raises ConfigurationError:
    """
    storage = str(config.get("RATELIMIT_STORAGE_URI", "memory://"))
    if config.get("MILEAGE_ENV") == "production" and storage in PER_PROCESS_LIMIT_STORES:
        workers = int(config.get("WEB_WORKERS", 1))
        if workers > 1:
            raise ConfigurationError(
                f"attempt limits are kept per process (RATELIMIT_STORAGE_URI={storage}) but {workers} workers "
                "serve requests; set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (or run one worker)"
            )
    if storage.startswith(("redis://", "rediss://", "redis+")):
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ConfigurationError(
                "RATELIMIT_STORAGE_URI names Redis but the redis client is not installed; "
                "pip install 'Flask-Limiter[redis]'"
            ) from None


def check_database_schema(engine, *, require_database: bool = False) -> None:
    """Refuse to serve from a database that is not migrated to the schema this code needs.

    A server may start before its database is reachable (only logged: /healthz reports it and
    requests answer 503); a command (`require_database`) may not.

    :raises ConfigurationError:
    """
    from mileage.migrations_runner import schema_status

    try:
        with engine.connect() as connection:
            status = schema_status(connection)
    except SQLAlchemyError as error:
        if require_database:
            from mileage.db import describe_database_failure

            raise ConfigurationError(describe_database_failure(error)) from None
        log.warning("database unreachable at start: %s", type(error).__name__)
        return
    if status.state == "current":
        return
    if status.state == "unmigrated":
        raise ConfigurationError(
            f"the database is not migrated (this code needs schema {status.head}); run: mileage db upgrade"
        )
    if status.state == "behind":
        raise ConfigurationError(
            f"the database schema is at {status.revision} but this code needs {status.head}; run: mileage db upgrade"
        )
    raise ConfigurationError(
        f"the database schema {status.revision} is unknown to this code (newest {status.head}): "
        "it was migrated by a newer release; install that release or restore a matching backup"
    )


def create_app(config: dict | None = None, *, web: bool = True) -> Flask:
    """Create the app: configuration, database, and (unless `web` is false) the error envelope and blueprints.

    A command of the CLI needs no web edge, and building the API document is most of an app's start.

    :raises ConfigurationError: the configuration or the database's schema does not allow starting.
    """
    app = MileageFlask("mileage", instance_relative_config=True)
    app.config.from_mapping(API_SETTINGS)
    app.config.from_mapping(DOCS_SETTINGS)
    app.config.from_mapping(_environment_settings())
    app.config.from_mapping(load_config(app.instance_path, config))
    app.json.ensure_ascii = False
    check_limit_storage(app.config)
    trusted = int(app.config.get("TRUSTED_PROXIES", 0))
    if trusted:
        # The limits, the audit log and the logs see the client's address, taken from the last
        # `trusted` hops of X-Forwarded-For; a client cannot forge hops in front of the proxy.
        # X-Forwarded-Host is not believed: nginx passes a client's one through, and Host is set by the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)

    engine = app.config.get("ENGINE") or make_engine(
        app.config["DATABASE_URL"], pooler=app.config.get("DATABASE_POOLER")
    )
    app.extensions["mileage.engine"] = engine
    if app.config.get("CHECK_SCHEMA", True):
        check_database_schema(engine, require_database=app.config.get("CHECK_SCHEMA") == "strict")
    if app.config.get("DATABASE_REPLICA_URL"):
        # A hot standby for reports and exports (`http.boundary.get_report_session`), never the money paths.
        replica = make_engine(app.config["DATABASE_REPLICA_URL"], pooler=app.config.get("DATABASE_POOLER"))
        app.extensions["mileage.replica_engine"] = replica
        app.extensions["mileage.replica_session_factory"] = make_session_factory(replica)
    init_request_boundary(app, app.config.get("SESSION_FACTORY") or make_session_factory(engine))
    init_locale(app)
    app.extensions["mileage.token_signer"] = TokenSigner(
        key=app.config["TOKEN_SIGNING_KEY"],
        access_ttl=timedelta(seconds=int(app.config.get("ACCESS_TOKEN_SECONDS", 900))),
        refresh_ttl=timedelta(seconds=int(app.config.get("REFRESH_TOKEN_SECONDS", 14 * 24 * 3600))),
    )
    if web:
        _register_api(app)
        # After the API: its own HTTP error handler is replaced by the one envelope.
        register_error_handlers(app)
    return app


def _register_api(app: Flask) -> None:
    """Register every blueprint; imported here so that importing the domain never pulls them in."""
    from flask_smorest import Api

    from admin import register_admin
    from merchant_api import register_merchant_api
    from mileage.auth_api.views import blueprint as auth_blueprint
    from mileage.http.idempotency import add_retention_header
    from mileage.http.openapi import OperationsPlugin, register_components, spec_settings
    from mileage.volunteer_api import register_volunteer_api

    class MileageApi(Api):
        # Document the envelope errors really have, not flask-smorest's default shape.
        ERROR_SCHEMA = ErrorEnvelopeSchema

    limiter.init_app(app)
    operations = OperationsPlugin()
    operations.app = app
    api = MileageApi(app, spec_kwargs=spec_settings(extra_plugins=[operations]))
    app.extensions["mileage.api"] = api
    register_components(api.spec)
    app.after_request(add_retention_header)
    app.register_blueprint(health_blueprint)
    app.register_blueprint(docs_blueprint)
    init_docs_headers(app)
    api.register_blueprint(auth_blueprint)
    register_volunteer_api(app, api)
    register_merchant_api(app, api)
    register_admin(app, api)
