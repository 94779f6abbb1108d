"""GET /healthz: is the app up, can it reach its database, and is the schema the one this code needs?"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from mileage.http.boundary import get_session
from mileage.migrations_runner import head_revision, schema_status

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """Report the app, the database and the schema revision; 503 unless all are fine."""
    schema = {"revision": None, "head": head_revision(), "state": "unknown"}
    try:
        session = get_session()
        session.execute(text("SELECT 1"))
        status = schema_status(session.connection())
        schema.update(revision=status.revision, state=status.state)
        database = "ok"
    except SQLAlchemyError:
        database = "unavailable"
    healthy = database == "ok" and schema["state"] == "current"
    body = {
        "status": "ok" if healthy else "degraded",
        "app": "ok",
        "database": database,
        "dialect": current_app.extensions["mileage.engine"].dialect.name,
        "schema": schema,
    }
    return jsonify(body), 200 if healthy else 503


@blueprint.get("/healthz/jobs")
def jobs():
    """Report the background worker and its jobs' last runs; 503 when an operator must look."""
    from mileage.worker import jobs_health

    try:
        health = jobs_health(get_session())
    except SQLAlchemyError:
        return jsonify({"healthy": False, "problems": ["database unavailable"]}), 503
    return jsonify(health.as_dict()), 200 if health.healthy else 503
