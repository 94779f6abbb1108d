"""The application factory."""

from __future__ import annotations

from flask import Flask

from mileage.config import load_config
from mileage.db import make_engine, make_session_factory
from mileage.http_errors import register_error_handlers
from mileage.web import MileageFlask, init_request_boundary


def create_app(config: dict | None = None) -> Flask:
    """Create the app: configuration, database, error envelope, API blueprints."""
    app = MileageFlask("mileage", instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path, config))
    app.json.ensure_ascii = False

    engine = app.config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])
    app.extensions["mileage.engine"] = engine
    init_request_boundary(app, app.config.get("SESSION_FACTORY") or make_session_factory(engine))
    register_error_handlers(app)

    # Blueprints are imported here so that importing the domain never pulls them in.
    from mileage.health import blueprint as health_blueprint

    app.register_blueprint(health_blueprint)
    return app
