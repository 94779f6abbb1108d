"""The request boundary: one database session and one transaction per request, request ids."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from mileage.db import MAX_TRANSACTION_ATTEMPTS, end_failed_unit, retry_cause
from mileage.errors import MalformedJson

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

log = logging.getLogger("mileage.request")
access_log = logging.getLogger("mileage.access")


class MileageFlask(Flask):
    """Flask whose every view runs as one unit of work.

    The view's changes are committed when it returns and rolled back when it raises. A
    serialisation failure or deadlock reruns the whole view, a bounded number of times.
    """

    def dispatch_request(self):
        for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
            try:
                response = super().dispatch_request()
                _finish_session(commit=True)
                return response
            except Exception as exc:
                failure = exc
                try:
                    _end_failed_session(exc)
                except Exception as finishing_error:
                    failure = finishing_error
                cause = retry_cause(failure)
                if attempt == MAX_TRANSACTION_ATTEMPTS or cause is None:
                    if failure is exc:
                        raise
                    raise failure from exc
                # The cause tells a deadlock (a lock-order bug to find) from the races that are expected.
                log.info("retrying request after a transaction conflict", extra={"attempt": attempt, "cause": cause})
        raise AssertionError("unreachable")


def get_session() -> Session:
    """Return this request's database session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["mileage.session_factory"]()
    return g.db_session


def get_report_session() -> Session:
    """Return a session to read a report or an export from: the read replica's, else this request's.

    Only for reads that may lag the primary by a moment (DATABASE_REPLICA_URL is a hot standby):
    reports and exports, never the money paths, whose checks must see the latest balance. The
    replica session is outside the unit of work; it is closed (rolled back) when the request ends.
    """
    factory = current_app.extensions.get("mileage.replica_session_factory")
    if factory is None:
        return get_session()
    if "report_session" not in g:
        g.report_session = factory()
    return g.report_session


def _close_report_session() -> None:
    session = g.pop("report_session", None)
    if session is not None:
        session.close()


def _end_failed_session(error: BaseException) -> None:
    """End this request's session after its view raised (see `db.end_failed_unit`)."""
    # A standby may cancel a report's query (a conflict with recovery, SQLSTATE 40001): the rerun
    # starts on a fresh replica session.
    _close_report_session()
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        end_failed_unit(session, error)
    finally:
        session.close()


def _finish_session(*, commit: bool) -> None:
    """Commit or roll back this request's session and close it."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def request_id() -> str:
    """Return the id of the current request, for headers, logs and the audit log."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per log line (python-json-logger): ISO-8601 UTC time, level, logger, message,
    request id, and every `extra` field the caller passed."""

    def __init__(self):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def configure_json_logging() -> None:
    """Send the app's log records to stderr as JSON lines, once per process."""
    mileage_logger = logging.getLogger("mileage")
    if any(getattr(handler, "mileage_json", False) for handler in mileage_logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    handler.addFilter(RequestIdFilter())
    handler.mileage_json = True
    mileage_logger.addHandler(handler)
    mileage_logger.setLevel(logging.INFO)


def _caller_for_log() -> str:
    principal = g.get("principal") or g.get("bearer_principal")
    if principal is None:
        return "-"
    return f"{principal.role}:{principal.scope.split(':', 1)[1]}"


# Points and ids stay far below this; bigger numbers are refused before they reach a column.
MAX_JSON_INTEGER = 2**53


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_JSON_INTEGER:
        raise ValueError("integer out of range")
    return value


def refuse_unsafe_json() -> None:
    """Refuse JSON bodies no view should see: too deeply nested, NaN/Infinity, or huge integers.

    Python's parser would turn them into a RecursionError, a float NaN or an integer that overflows
    a BIGINT column. Checked once here, before any view or schema parses the body.

    :raises MalformedJson:
    """
    if not request.is_json or not request.content_length:
        return
    try:
        json.loads(request.get_data(cache=True), parse_constant=_reject_constant, parse_int=_bounded_int)
    except RecursionError as exc:
        raise MalformedJson(reason="nested") from exc
    except UnicodeDecodeError as exc:
        raise MalformedJson(reason="encoding") from exc
    except ValueError as exc:
        raise MalformedJson(reason="syntax") from exc


# Ids are BIGINT columns: a larger number in a URL names nothing, and must never reach the driver.
MAX_URL_ID = 2**63 - 1


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in routes, matching only what an id column can hold; a larger number is a 404."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_URL_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_request_boundary(app: Flask, session_factory) -> None:
    """Attach the session factory, request ids and structured logging to an app."""
    app.extensions["mileage.session_factory"] = session_factory
    # Before any blueprint adds a route, so that every <int:...> is bounded.
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(refuse_unsafe_json)

    @app.teardown_appcontext
    def _close_leftover_session(_exc):
        # Sessions opened outside a view (error handlers, CLI in an app context) end here.
        _close_report_session()
        _finish_session(commit=False)

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def _add_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        # Every answer is what it says it is: no browser may sniff a JSON body or a CSV into a page.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.after_request
    def _log_request(response):
        # One line per request: what monitoring and an operator searching by request id need.
        started = g.get("request_started")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "caller": _caller_for_log(),
                "remote_addr": request.remote_addr,
            },
        )
        return response

    if not app.testing:
        configure_json_logging()
