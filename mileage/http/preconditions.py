"""ETag and If-Match on the records PATCH changes, so two staff editing one record cannot overwrite each other.

The ETag is a digest of the record's own row (not of its balance or other rows, which move without
anyone editing the record). A PATCH with `If-Match` locks the row, compares, and is refused with 412
when someone changed the record since it was read; nothing changes then. A PATCH without `If-Match`
is accepted (API version 1 clients send none), unless the operator sets `MILEAGE_REQUIRE_IF_MATCH=1`:
then it is refused with 428.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps

from flask import current_app, request
from sqlalchemy import inspect as inspect_model

from mileage.errors import StaleVersion, VersionRequired
from mileage.http.boundary import get_session


def etag_of(record) -> str:
    """Return the strong ETag of a record: a digest of its columns' values."""
    values = {column.key: getattr(record, column.key) for column in inspect_model(type(record)).column_attrs}
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _matches(header: str, current: str) -> bool:
    """Apply If-Match: `*`, or one of a comma-separated list of strong tags (weak tags never match)."""
    if header.strip() == "*":
        return True
    return any(tag.strip() == current for tag in header.split(","))


def versioned(model: type, id_argument: str) -> Callable:
    """Give a view of one record its ETag; on PATCH, honour If-Match before the change.

    Put it under `@requires`, above the schema decorators. The record is the `model` row whose id
    is the view's `id_argument`; a missing one is left to the view (its own 404).

    :raises StaleVersion: If-Match names another version (412).
    :raises VersionRequired: the operator requires If-Match and the PATCH has none (428).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            session = get_session()
            record_id = kwargs[id_argument]
            if request.method == "PATCH":
                expected = request.headers.get("If-Match")
                if expected is None and current_app.config.get("REQUIRE_IF_MATCH"):
                    raise VersionRequired()
                if expected is not None:
                    # Locked until the unit ends, so a concurrent PATCH compares against this one's result.
                    record = session.get(model, record_id, with_for_update=True)
                    if record is not None and not _matches(expected, etag_of(record)):
                        raise StaleVersion()
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code < 300:
                session.flush()
                record = session.get(model, record_id)
                if record is not None:
                    response.headers["ETag"] = etag_of(record)
            return response

        # Read by the OpenAPI document: ETag on the answer, If-Match on PATCH, 412 and 428.
        wrapper.etag_resource = True
        return wrapper

    return decorator
