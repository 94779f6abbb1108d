"""GET /healthz: is the app up, and can it reach its database?"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from mileage.http.boundary import get_session

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """Report the app and the database; 503 when the database cannot be reached."""
    try:
        get_session().execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "unavailable"
    healthy = database == "ok"
    body = {
        "status": "ok" if healthy else "degraded",
        "app": "ok",
        "database": database,
        "dialect": current_app.extensions["mileage.engine"].dialect.name,
    }
    return jsonify(body), 200 if healthy else 503
