"""Idempotent POSTs: a key's first final answer, success or refusal, is its only answer (docs/idempotency.md)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import partial, wraps

from flask import Response, current_app, g, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from mileage.db import insert_unless_taken, keep_through_rollback
from mileage.errors import (
    DomainError,
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    TransactionConflict,
)
from mileage.http.boundary import get_session
from mileage.http.callers import caller_scope, current_principal, ensure_role
from mileage.http.errors import domain_error_response
from mileage.models import IdempotentRequest

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Every idempotent answer says how long its key is kept (docs/idempotency.md): 30 days, in seconds.
IDEMPOTENCY_RETENTION_HEADER = "Idempotency-Key-Retention"
IDEMPOTENCY_RETENTION_DAYS = 30
IDEMPOTENCY_RETENTION_SECONDS = IDEMPOTENCY_RETENTION_DAYS * 24 * 3600

IDEMPOTENCY_KEY_PATTERN = r"[A-Za-z0-9._:-]{1,200}"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def request_idempotency_key() -> str | None:
    """Return the request's Idempotency-Key, unquoted, or None when it has none.

    :raises IdempotencyKeyInvalid:
    """
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    key = raw.strip()
    # The IETF draft sends the key as a quoted string ("8e03..."); a bare token is accepted too.
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


def add_retention_header(response: Response) -> Response:
    """Tell the caller of a request that used a key how long its answer is kept (an `after_request` hook)."""
    if g.get("idempotency_key_used"):
        response.headers[IDEMPOTENCY_RETENTION_HEADER] = str(IDEMPOTENCY_RETENTION_SECONDS)
    return response


def idempotent(*, required: bool = True) -> Callable:
    """Make a POST safe to retry: a key's first final answer, success or refusal, is its only answer.

    Put it right under `@blueprint.route`, above `@requires`. The key is claimed before anything
    slow, so a retry sent while the first attempt runs waits for it and then replays its answer.
    A success is stored with the view's changes. A final refusal (`DomainError.invites_retry` is
    false: insufficient balance, a spent QR code, a wrong PIN...) is stored too, in a transaction
    of its own after the view's changes are rolled back. Answers that say nothing happened are not
    stored, and the key stays free: a conflict, a rate limit, a credential to renew, a body that
    could not be parsed, the database down. The same key with another body is refused.
    """

    def decorator(view):
        allowed_roles = getattr(view, "allowed_roles", None)
        if allowed_roles is None:
            raise TypeError(f"{view.__name__}: put @idempotent above @requires, so the key is claimed first")

        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request_idempotency_key()
            if key is None:
                if required:
                    raise IdempotencyKeyRequired()
                return view(*args, **kwargs)
            g.idempotency_key_used = True
            scoped_key = f"{caller_scope()}:{request.method}:{request.path}:{key}"
            fingerprint = hashlib.sha256(request.get_data()).hexdigest()
            session = get_session()
            # A concurrent attempt with the same key waits on this row until the first one ends.
            claimed = insert_unless_taken(
                session,
                IdempotentRequest,
                {"scoped_key": scoped_key, "request_fingerprint": fingerprint, "status_code": 0, "response_body": ""},
                unique="scoped_key",
            )
            if not claimed:
                _ensure_caller_may_replay(allowed_roles)
                return _replay(session, scoped_key, fingerprint)
            try:
                # The slow part of authentication runs while the key is held, and so do its refusals
                # (a suspended shop): they are this key's answer too.
                ensure_role(current_principal(), allowed_roles)
                response = current_app.make_response(view(*args, **kwargs))
            except DomainError as error:
                if error.invites_retry:
                    raise
                answer = domain_error_response(error)
                if error.keeps_changes:
                    _store_answer(session, scoped_key, answer)  # the unit commits, the counted PIN with it
                else:
                    keep_through_rollback(
                        session, partial(_store_refusal, scoped_key=scoped_key, fingerprint=fingerprint, answer=answer)
                    )
                raise
            _store_answer(session, scoped_key, response)
            return response

        # Read by the OpenAPI document (mileage/http/openapi.py): the header is declared where it is enforced.
        wrapper.idempotent = True
        wrapper.idempotency_required = required
        return wrapper

    return decorator


def _ensure_caller_may_replay(allowed_roles: frozenset[str]) -> None:
    """Refuse a replay to a caller who cannot prove who they are; a final refusal still replays.

    :raises NotAuthenticated: (and `RoleNotAllowed`) the caller must never see a stored answer.
    """
    try:
        ensure_role(current_principal(), allowed_roles)
    except DomainError as error:
        if error.invites_retry:
            raise


# Built once, on the table: every idempotent request sends it.
_STORE_ANSWER = (
    update(IdempotentRequest.__table__)
    .where(IdempotentRequest.__table__.c.scoped_key == bindparam("key"))
    .values(status_code=bindparam("status_code"), response_body=bindparam("response_body"))
)


def _store_answer(session: Session, scoped_key: str, response: Response) -> None:
    """Store the answer to a key this unit claimed."""
    session.execute(
        _STORE_ANSWER,
        {"key": scoped_key, "status_code": response.status_code, "response_body": response.get_data(as_text=True)},
    )


def _store_refusal(session: Session, *, scoped_key: str, fingerprint: str, answer: Response) -> None:
    """Store a final refusal after its unit was rolled back (a kept write, see `db.keep_through_rollback`).

    :raises TransactionConflict: another attempt with the key answered meanwhile; rerun to replay it.
    """
    row = {
        "scoped_key": scoped_key,
        "request_fingerprint": fingerprint,
        "status_code": answer.status_code,
        "response_body": answer.get_data(as_text=True),
    }
    if insert_unless_taken(session, IdempotentRequest, row, unique="scoped_key"):
        return
    stored = session.execute(
        select(IdempotentRequest.request_fingerprint, IdempotentRequest.status_code, IdempotentRequest.response_body)
        .where(IdempotentRequest.scoped_key == scoped_key)
    ).one_or_none()
    if stored != (row["request_fingerprint"], row["status_code"], row["response_body"]):
        raise TransactionConflict()


def _replay(session: Session, scoped_key: str, fingerprint: str) -> Response:
    """Answer a retry with what its key's first attempt answered.

    :raises TransactionConflict: the stored answer is gone (pruned a moment ago); run the request again.
    :raises IdempotencyKeyReused:
    """
    stored = session.scalar(select(IdempotentRequest).where(IdempotentRequest.scoped_key == scoped_key))
    if stored is None:
        raise TransactionConflict()
    if stored.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    response = Response(stored.response_body, status=stored.status_code, mimetype="application/json")
    response.headers[REPLAYED_HEADER] = "true"
    return response
