"""Who may call a view: the caller's principal, role checks, the audit actor, idempotent POSTs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import wraps

from flask import Response, current_app, g, request
from sqlalchemy import delete, select, update

from mileage.audit import Actor
from mileage.auth import ACCESS, Principal, TokenSigner
from mileage.db import insert_unless_taken
from mileage.errors import (
    DomainError,
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    RoleNotAllowed,
    TokenInvalid,
    TokenMissing,
    TransactionConflict,
)
from mileage.models import IdempotentRequest
from mileage.web import get_session, request_id

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,200}")

# Every role, for views that any signed-in caller may use.
ANY_ROLE = ("volunteer", "merchant", "coordinator", "staff", "admin", "auditor")


def token_signer() -> TokenSigner:
    """Return the app's token signer."""
    return current_app.extensions["mileage.token_signer"]


def current_principal() -> Principal:
    """Return the caller, from g (set by another scheme) or the Bearer access token.

    :raises TokenMissing:
    :raises TokenExpired:
    :raises TokenInvalid:
    """
    principal = g.get("principal")
    if principal is not None:
        return principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenMissing()
    claims = token_signer().verify(token.strip(), token_type=ACCESS)
    try:
        g.principal = Principal.from_claims(claims)
    except (KeyError, TypeError, ValueError) as exc:
        # Signed by us but not shaped like our tokens: treat it as forged.
        raise TokenInvalid() from exc
    return g.principal


def requires(*roles: str) -> Callable:
    """Let only callers with one of these roles through; the view checks ownership itself."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if current_principal().role not in allowed:
                raise RoleNotAllowed(role=current_principal().role)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorator


def current_actor() -> Actor:
    """Return the caller as the audit log records them."""
    principal = current_principal()
    return Actor(
        user_id=principal.user_id,
        role=principal.role,
        ip_address=request.remote_addr,
        request_id=request_id(),
    )


def idempotent(*, required: bool = True) -> Callable:
    """Make a POST safe to retry: the first response to a key is stored and replayed.

    Put it between `@blp.route` and `@blp.arguments` so it wraps the serialised response. The
    stored response commits with the view's own changes, so a key maps to exactly one outcome.
    The same key with a different body is refused. Failed requests store nothing and may be retried.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(IDEMPOTENCY_HEADER)
            if key is None:
                if required:
                    raise IdempotencyKeyRequired()
                return view(*args, **kwargs)
            if not _IDEMPOTENCY_KEY.fullmatch(key):
                raise IdempotencyKeyInvalid()
            scoped_key = f"{current_principal().scope}:{request.method}:{request.path}:{key}"
            fingerprint = hashlib.sha256(request.get_data()).hexdigest()
            session = get_session()
            # Claim the key before doing the work: a concurrent duplicate waits on this row, then
            # finds the key taken and the stored response committed.
            claimed = insert_unless_taken(
                session,
                IdempotentRequest,
                {"scoped_key": scoped_key, "request_fingerprint": fingerprint, "status_code": 0, "response_body": ""},
                unique="scoped_key",
            )
            if not claimed:
                stored = session.scalar(select(IdempotentRequest).where(IdempotentRequest.scoped_key == scoped_key))
                if stored is None:
                    raise TransactionConflict()
                if stored.request_fingerprint != fingerprint:
                    raise IdempotencyKeyReused()
                return _replay(stored)
            this_request = IdempotentRequest.scoped_key == scoped_key
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except DomainError as error:
                if error.keeps_changes:
                    # The request failed but its other changes are kept (a counted wrong PIN):
                    # release the key so that a corrected retry can use it.
                    session.execute(
                        delete(IdempotentRequest).where(this_request).execution_options(synchronize_session=False)
                    )
                raise
            session.execute(
                update(IdempotentRequest)
                .where(this_request)
                .values(status_code=response.status_code, response_body=response.get_data(as_text=True))
                .execution_options(synchronize_session=False)
            )
            return response

        wrapper.idempotent = True
        return wrapper

    return decorator


def _replay(stored: IdempotentRequest) -> Response:
    response = Response(stored.response_body, status=stored.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response
