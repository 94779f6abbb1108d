"""Cross-origin calls from a browser-based POS: CORS on one blueprint, off unless the operator lists origins.

`MILEAGE_CORS_ORIGINS` (config `CORS_ORIGINS`) is a comma-separated list of origins such as
`https://pos.example.com`; `*` allows any origin. Tokens travel in `Authorization`, never in cookies,
so credentials are not allowed and no cookie of ours is ever sent cross-origin.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from mileage.config import parse_origins

# The headers a POS sends, and the ones it must be able to read back.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "Accept-Language", "X-Request-ID", "If-Match")
EXPOSED_HEADERS = (
    "X-Request-ID", "Idempotent-Replayed", "Retry-After", "Idempotency-Key-Retention", "WWW-Authenticate", "ETag",
)
PREFLIGHT_MAX_AGE_SECONDS = 600


def _allowed_origin() -> str | None:
    origin = request.headers.get("Origin")
    allowed = current_app.config.get("CORS_ORIGINS") or current_app.config.get("MILEAGE_CORS_ORIGINS") or ()
    if isinstance(allowed, str):
        allowed = parse_origins(allowed)  # set as one comma-separated string: compare whole origins, not substrings
    if origin and (origin in allowed or "*" in allowed):
        return origin
    return None


def _answer_preflight():
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    response = Response(status=204)
    origin = _allowed_origin()
    if origin is not None:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        # Every method of every route at this path (a path may have one route per method).
        methods = sorted(adapter.allowed_methods())
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return response


def _add_cors_headers(response: Response) -> Response:
    response.vary.add("Origin")
    origin = _allowed_origin()
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    return response


def allow_cross_origin(blueprint: Blueprint) -> None:
    """Answer CORS preflights and add CORS headers on every answer of this blueprint (errors included)."""
    blueprint.before_request_funcs.setdefault(None, []).insert(0, _answer_preflight)
    blueprint.after_request(_add_cors_headers)
