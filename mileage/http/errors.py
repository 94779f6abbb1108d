"""One JSON error shape for every failure: domain errors, validation, routing, database outages.

    {"code": "insufficient_balance", "status": 409, "message": "...", "errors": {}, "request_id": "..."}

`message` is in the language the one selector picks (mileage.http.locale; Korean by default).
Registered on the app, not on a blueprint,
so that routing 404s and 405s get the same shape.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask, g, has_request_context, jsonify
from marshmallow import Schema
from marshmallow import fields as schema_fields
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from mileage import errors, i18n
from mileage.db import is_database_unavailable, retry_cause
from mileage.http.boundary import request_id
from mileage.http.locale import select_language
from mileage.http.validation import translate_field_errors
from mileage.i18n import N_

log = logging.getLogger("mileage.errors")

AUTH_REALM = "mileage"

# The most specific family wins: a class is looked up along its MRO.
STATUS_BY_FAMILY: dict[type[errors.DomainError], int] = {
    errors.StaleVersion: 412,
    errors.VersionRequired: 428,
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
    400: N_("Bad request."),
    401: N_("Authentication is required. Sign in and try again."),
    403: N_("You are not allowed to do this."),
    404: N_("The requested URL was not found."),
    405: N_("This method is not allowed here."),
    409: N_("The current state does not allow this."),
    413: N_("The request body is too large."),
    415: N_("Unsupported media type. Send JSON."),
    422: N_("Please check the input."),
    412: N_("Someone else changed this first."),
    428: N_("This request needs an Idempotency-Key header."),
    429: N_("Too many requests. Try again later."),
    500: N_("Something went wrong. Try again shortly; if it keeps happening, report the request id."),
    503: N_("The service is temporarily unavailable. Try again shortly."),
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
    412: "precondition_failed",
    428: "idempotency_key_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class ErrorEnvelopeSchema(Schema):
    """The error envelope as the OpenAPI document describes it (never used to dump)."""

    code = schema_fields.String(metadata={"description": "Machine-readable error code, e.g. insufficient_balance"})
    status = schema_fields.Integer(metadata={"description": "The HTTP status"})
    message = schema_fields.String(metadata={"description": "A sentence in the caller's language (Accept-Language)"})
    errors = schema_fields.Dict(metadata={"description": "Messages per field, for validation failures"})
    request_id = schema_fields.String(metadata={"description": "The X-Request-ID of this request, for the logs"})


def status_for(error: errors.DomainError) -> int:
    """Return the HTTP status of a domain error, by its nearest family."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_FAMILY:
            return STATUS_BY_FAMILY[cls]
    return 400


def http_message(status: int, language: str | None = None) -> str:
    """Return the sentence for an HTTP status, in the caller's language unless one is given."""
    message = HTTP_MESSAGES.get(status, HTTP_MESSAGES[400 if status < 500 else 500])
    return i18n.translate(language or select_language(), message)


@dataclass(frozen=True)
class Failure:
    """What a failure means to the caller, whether the API answers it in JSON or the console as a page."""

    status: int
    code: str
    message: str
    field_errors: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


def www_authenticate(error: BaseException) -> str:
    """Return the challenge of a 401: the schemes this route accepts, and why the token was refused.

    A blueprint with a scheme of its own (the shops' `Terminal`) names it in `g.authentication_schemes`.
    """
    schemes = (g.get("authentication_schemes") if has_request_context() else None) or ("Bearer",)
    reason = ""
    if isinstance(error, errors.TokenExpired | errors.TokenInvalid | errors.TokenRevoked):
        reason = ', error="invalid_token"'
    return ", ".join(f'{scheme} realm="{AUTH_REALM}"' + (reason if scheme == "Bearer" else "") for scheme in schemes)


def describe_failure(error: BaseException, language: str | None = None) -> Failure:
    """Classify any failure once: its status, code, sentence, field errors and headers (Retry-After, Allow)."""
    failure = _describe_failure(error, language or select_language())
    if failure.status == 401:
        failure.headers.setdefault("WWW-Authenticate", www_authenticate(error))
    return failure


def _describe_failure(error: BaseException, language: str) -> Failure:
    cause = retry_cause(error) if isinstance(error, SQLAlchemyError) else None
    if cause is not None:
        # Every rerun of the unit met a deadlock or a serialisation failure too; each was rolled
        # back, so the caller may simply try again.
        log.warning("transaction conflict outlasted every attempt: %s", str(error.orig).splitlines()[0][:200],
                    extra={"cause": cause})
        error = errors.TransactionConflict()
    if isinstance(error, errors.DomainError):
        retry_after = error.params.get("retry_after")
        headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
        return Failure(status_for(error), error.code, error.message(language), headers=headers)
    if isinstance(error, HTTPException):
        return _describe_http_error(error, language)
    if isinstance(error, DataError | OverflowError):
        # Input validation should have caught it (a string too long for its column, a number out of
        # range; SQLite's driver refuses an integer beyond 64 bits itself); refusing it is still right,
        # and the log says which check is missing.
        log.warning("database refused a value: %s", str(getattr(error, "orig", error)).splitlines()[0][:200])
        return Failure(422, "validation_failed", http_message(422, language))
    if isinstance(error, SQLAlchemyError) and is_database_unavailable(error):
        log.warning("database unavailable: %s", error.__class__.__name__)
        return Failure(503, "database_unavailable", http_message(503, language), headers={"Retry-After": "5"})
    log.error("unhandled error", exc_info=error)
    return Failure(500, "internal_error", http_message(500, language))


def _describe_http_error(error: HTTPException, language: str) -> Failure:
    status = error.code or 500
    field_errors = translate_field_errors(_validation_errors(error), language) if status in (400, 422) else {}
    headers = {}
    if status == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    retry_after = getattr(error, "retry_after", None)
    if not retry_after and error.response is not None:
        retry_after = error.response.headers.get("Retry-After")
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    code = CODE_BY_STATUS.get(status, "http_error")
    if status == 400 and field_errors:
        status, code = 422, "validation_failed"
    return Failure(status, code, http_message(status, language), field_errors, headers)


def error_response(failure: Failure):
    """Build the one error envelope."""
    body = {
        "code": failure.code,
        "status": failure.status,
        "message": failure.message,
        "errors": failure.field_errors,
        "request_id": request_id(),
    }
    response = jsonify(body)
    response.status_code = failure.status
    response.headers.update(failure.headers)
    return response


def domain_error_response(error: errors.DomainError):
    """Render a domain error as the envelope; the same error always renders the same answer."""
    return error_response(describe_failure(error))


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
    for failure in (errors.DomainError, HTTPException, DataError, OverflowError, SQLAlchemyError, Exception):
        app.register_error_handler(failure, lambda error: error_response(describe_failure(error)))
