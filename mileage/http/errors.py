"""One JSON error shape for every failure: domain errors, validation, routing, database outages.

    {"code": "insufficient_balance", "status": 409, "message": "...", "errors": {}, "request_id": "..."}

`message` follows Accept-Language (Korean by default). Registered on the app, not on a blueprint,
so that routing 404s and 405s get the same shape.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import Schema, fields
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from mileage import errors
from mileage.db import is_database_unavailable
from mileage.http.boundary import request_id, request_language

log = logging.getLogger("mileage.errors")

# The most specific family wins: a class is looked up along its MRO.
STATUS_BY_FAMILY: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.RuleViolation: 422,
    errors.NotAllowed: 403,
    errors.NotAuthenticated: 401,
    errors.TooManyAttempts: 429,
    errors.TransactionConflict: 409,
    errors.DomainError: 400,
}

# Sentences for failures that do not come from the domain, by HTTP status.
HTTP_MESSAGES = {
    400: ("잘못된 요청입니다.", "Bad request."),
    401: ("로그인이 필요합니다.", "Authentication is required."),
    403: ("이 작업을 할 권한이 없습니다.", "You are not allowed to do this."),
    404: ("요청한 주소를 찾을 수 없습니다.", "The requested URL was not found."),
    405: ("허용되지 않는 메서드입니다.", "This method is not allowed here."),
    409: ("현재 상태에서는 처리할 수 없습니다.", "The current state does not allow this."),
    413: ("요청 본문이 너무 큽니다.", "The request body is too large."),
    415: ("지원하지 않는 형식입니다.", "Unsupported media type."),
    422: ("입력값을 확인하세요.", "Please check the input."),
    428: ("이 요청에는 Idempotency-Key 헤더가 필요합니다.", "This request needs an Idempotency-Key header."),
    429: ("요청이 너무 많습니다. 잠시 후 다시 시도하세요.", "Too many requests. Try again later."),
    500: ("서버 내부 오류가 발생했습니다.", "Internal server error."),
    503: (
        "일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도하세요.",
        "The service is temporarily unavailable. Try again shortly.",
    ),
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "idempotency_key_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class ErrorEnvelopeSchema(Schema):
    """The error envelope as the OpenAPI document describes it (never used to dump)."""

    code = fields.String(metadata={"description": "Machine-readable error code, e.g. insufficient_balance"})
    status = fields.Integer(metadata={"description": "The HTTP status"})
    message = fields.String(metadata={"description": "A sentence in the caller's language (Accept-Language)"})
    errors = fields.Dict(metadata={"description": "Messages per field, for validation failures"})
    request_id = fields.String(metadata={"description": "The X-Request-ID of this request, for the logs"})


def status_for(error: errors.DomainError) -> int:
    """Return the HTTP status of a domain error, by its nearest family."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_FAMILY:
            return STATUS_BY_FAMILY[cls]
    return 400


def http_message(status: int) -> str:
    """Return the sentence for an HTTP status in the caller's language."""
    korean, english = HTTP_MESSAGES.get(status, HTTP_MESSAGES[400 if status < 500 else 500])
    return english if request_language() == "en" else korean


def error_response(status: int, code: str, message: str, field_errors: dict | None = None, headers=None):
    """Build the one error envelope."""
    body = {
        "code": code,
        "status": status,
        "message": message,
        "errors": field_errors or {},
        "request_id": request_id(),
    }
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def domain_error_response(error: errors.DomainError):
    """Render a domain error as the envelope; the same error always renders the same answer."""
    headers = {}
    retry_after = error.params.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    return error_response(status_for(error), error.code, error.message(request_language()), headers=headers)


def _validation_errors(exc: HTTPException) -> dict:
    """Flatten webargs' {location: {field: [...]}} into {field: [...]}."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    flattened: dict = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flattened.update(location_errors)
        else:
            flattened.setdefault("_schema", []).extend(location_errors)
    return flattened


def register_error_handlers(app: Flask) -> None:
    """Map every failure to the one JSON envelope."""

    app.register_error_handler(errors.DomainError, domain_error_response)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        field_errors = _validation_errors(exc) if status in (400, 422) else {}
        headers = {}
        if status == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        retry_after = getattr(exc, "retry_after", None)
        if not retry_after and exc.response is not None:
            retry_after = exc.response.headers.get("Retry-After")
        if retry_after:
            headers["Retry-After"] = str(retry_after)
        code = CODE_BY_STATUS.get(status, "http_error")
        if status == 400 and field_errors:
            status, code = 422, "validation_failed"
        return error_response(status, code, http_message(status), field_errors, headers)

    @app.errorhandler(DataError)
    def _value_rejected_by_database(exc: DataError):
        # Input validation should have caught it (a string too long for its column, a number out of
        # range); refusing it is still right, and the log says which check is missing.
        log.warning("database refused a value: %s", str(exc.orig).splitlines()[0][:200])
        return error_response(422, "validation_failed", http_message(422))

    @app.errorhandler(OverflowError)
    def _number_too_large_for_database(exc: OverflowError):
        # SQLite's driver refuses an integer beyond 64 bits itself, where PostgreSQL raises a DataError.
        log.warning("number too large for the database: %s", exc)
        return error_response(422, "validation_failed", http_message(422))

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc: SQLAlchemyError):
        if is_database_unavailable(exc):
            log.warning("database unavailable: %s", exc.__class__.__name__)
            return error_response(503, "database_unavailable", http_message(503), headers={"Retry-After": "5"})
        log.exception("database error")
        return error_response(500, "internal_error", http_message(500))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", http_message(500))

