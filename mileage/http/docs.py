"""GET /docs: Swagger UI over the OpenAPI document, served from our own assets, never from a CDN.

flask-smorest serves the page (OPENAPI_SWAGGER_UI_PATH); this blueprint serves Swagger UI's files
from the swagger-ui-bundle wheel and the page's own script, and gives the page the headers of every
page of ours: a strict Content-Security-Policy (no inline script, nothing from elsewhere) and no framing.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, Flask, request, send_from_directory

from mileage.http.pages import add_page_headers

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets/"
SWAGGER_UI_FILES = Path(swagger_ui_bundle.swagger_ui_path)
# The only files the page loads; anything else under /docs/assets is a 404.
SWAGGER_UI_ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"})

DOCS_SETTINGS = {
    "OPENAPI_SWAGGER_UI_PATH": DOCS_PATH.lstrip("/"),
    "OPENAPI_SWAGGER_UI_URL": ASSETS_PATH,
    "OPENAPI_SWAGGER_UI_CONFIG": {
        "deepLinking": True,
        "displayOperationId": True,
        "docExpansion": "list",
        "filter": True,
        "tryItOutEnabled": False,
        # Swagger UI would otherwise send the document to an outside validator.
        "validatorUrl": None,
        "persistAuthorization": False,
    },
}

blueprint = Blueprint("api_docs", __name__, static_folder="static", static_url_path="/docs/static")


@blueprint.get(ASSETS_PATH + "<path:filename>")
def swagger_ui_asset(filename: str):
    """Serve one of Swagger UI's own files from the swagger-ui-bundle wheel."""
    if filename not in SWAGGER_UI_ASSETS:
        return send_from_directory(SWAGGER_UI_FILES, "missing-on-purpose")  # a 404 in the one error shape
    return send_from_directory(SWAGGER_UI_FILES, filename, max_age=3600)


def init_docs_headers(app: Flask) -> None:
    """Give /docs and its assets the headers of our pages (CSP, no framing, nosniff)."""

    @app.after_request
    def _docs_headers(response):
        if request.path == DOCS_PATH or request.path.startswith(DOCS_PATH + "/"):
            add_page_headers(response)
            if request.path != DOCS_PATH:
                response.headers["Cache-Control"] = "public, max-age=3600"
        return response
