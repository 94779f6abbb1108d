"""The application factory."""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask

from mileage.config import load_config
from mileage.db import make_engine, make_session_factory
from mileage.http.boundary import MileageFlask, init_request_boundary
from mileage.http.docs import blueprint as docs_blueprint
from mileage.http.errors import ErrorEnvelopeSchema, register_error_handlers
from mileage.http.health import blueprint as health_blueprint
from mileage.http.limits import limiter
from mileage.people.tokens import TokenSigner

API_SETTINGS = {
    "API_TITLE": "Volunteer Mileage API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Set on every app: Flask-Limiter carries the last app's value over to the next one otherwise.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
}


def _environment_settings() -> dict:
    """Read settings that only matter to operators and load tests."""
    settings = {}
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]
    # Several deployments (or test runs) may share one Redis; each counts under its own prefix.
    if os.environ.get("RATELIMIT_KEY_PREFIX"):
        settings["RATELIMIT_KEY_PREFIX"] = os.environ["RATELIMIT_KEY_PREFIX"]
    # Load and fault tests drive one account from many clients on purpose; never set in production.
    if os.environ.get("MILEAGE_DISABLE_RATE_LIMITS") == "1":
        settings["RATELIMIT_ENABLED"] = False
    return settings


def create_app(config: dict | None = None) -> Flask:
    """Create the app: configuration, database, error envelope, API blueprints."""
    app = MileageFlask("mileage", instance_relative_config=True)
    app.config.from_mapping(API_SETTINGS)
    app.config.from_mapping(_environment_settings())
    app.config.from_mapping(load_config(app.instance_path, config))
    app.json.ensure_ascii = False

    engine = app.config.get("ENGINE") or make_engine(
        app.config["DATABASE_URL"], pooler=app.config.get("DATABASE_POOLER")
    )
    app.extensions["mileage.engine"] = engine
    if app.config.get("DATABASE_REPLICA_URL"):
        # A hot standby for reports and exports (`http.boundary.get_report_session`), never the money paths.
        replica = make_engine(app.config["DATABASE_REPLICA_URL"], pooler=app.config.get("DATABASE_POOLER"))
        app.extensions["mileage.replica_engine"] = replica
        app.extensions["mileage.replica_session_factory"] = make_session_factory(replica)
    init_request_boundary(app, app.config.get("SESSION_FACTORY") or make_session_factory(engine))
    app.extensions["mileage.token_signer"] = TokenSigner(
        key=app.config["TOKEN_SIGNING_KEY"],
        access_ttl=timedelta(seconds=int(app.config.get("ACCESS_TOKEN_SECONDS", 900))),
        refresh_ttl=timedelta(seconds=int(app.config.get("REFRESH_TOKEN_SECONDS", 14 * 24 * 3600))),
    )
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
    from mileage.volunteer_api import register_volunteer_api

    class MileageApi(Api):
        # Document the envelope errors really have, not flask-smorest's default shape.
        ERROR_SCHEMA = ErrorEnvelopeSchema

    limiter.init_app(app)
    api = MileageApi(
        app,
        spec_kwargs={
            "security": [{"bearerAuth": []}],
            "info": {"description": "Volunteer hours become mileage points, spent at partner shops or donated."},
        },
    )
    app.extensions["mileage.api"] = api
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    app.register_blueprint(health_blueprint)
    app.register_blueprint(docs_blueprint)
    api.register_blueprint(auth_blueprint)
    register_volunteer_api(app, api)
    register_merchant_api(app, api)
    register_admin(app, api)
