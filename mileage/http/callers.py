"""Who is calling: the caller's principal (authenticated on first use), role checks, the audit actor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, g, request

from mileage.audit import Actor
from mileage.errors import (
    DomainError,
    RoleNotAllowed,
    TokenInvalid,
    TokenMissing,
)
from mileage.http.boundary import get_session, request_id
from mileage.people.authentication import ensure_user_still_signed_in
from mileage.people.roles import EVERY_ROLE
from mileage.people.tokens import ACCESS, Principal, TokenSigner

# Every role, for views that any signed-in caller may use.
ANY_ROLE = tuple(EVERY_ROLE)


def token_signer() -> TokenSigner:
    """Return the app's token signer."""
    return current_app.extensions["mileage.token_signer"]


def current_principal() -> Principal:
    """Return the caller, authenticating them on first use.

    A blueprint whose scheme is not the Bearer access token sets `g.authenticate_caller` (a
    callable returning the principal); otherwise the Bearer token is checked. A failed check is
    remembered, so that it is not run twice in one request.

    :raises TokenMissing:
    :raises TokenExpired:
    :raises TokenInvalid:
    """
    principal = g.get("principal")
    if principal is not None:
        return principal
    if "principal_error" in g:
        raise g.principal_error
    authenticate = g.get("authenticate_caller", bearer_principal)
    try:
        g.principal = authenticate()
    except DomainError as error:
        g.principal_error = error
        raise
    return g.principal


def bearer_principal() -> Principal:
    """Return the caller named by the request's Bearer access token.

    :raises TokenMissing:
    :raises TokenExpired:
    :raises TokenInvalid:
    :raises TokenRevoked: the user was disabled, or given another role, since the token was issued.
    """
    if "bearer_principal" in g:
        return g.bearer_principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenMissing()
    claims = token_signer().verify(token.strip(), token_type=ACCESS)
    try:
        principal = Principal.from_claims(claims)
    except (KeyError, TypeError, ValueError) as exc:
        # Signed by us but not shaped like our tokens: treat it as forged.
        raise TokenInvalid() from exc
    ensure_user_still_signed_in(get_session(), principal)
    g.bearer_principal = principal
    return g.bearer_principal


def caller_scope() -> str:
    """Return the scope of the caller's idempotency keys, before the slow part of authentication.

    A blueprint whose check is slow or can refuse for good (a terminal's hashed secret, a suspended
    shop) sets `g.claimed_scope` to a callable naming the scope the credentials claim; the check
    itself runs later, in `current_principal`.
    """
    claimed = g.get("claimed_scope")
    scope = claimed() if claimed is not None else None
    return scope or current_principal().scope


def ensure_role(principal: Principal, allowed: frozenset[str]) -> None:
    """Refuse a caller whose role is not one of those allowed.

    :raises RoleNotAllowed:
    """
    if principal.role not in allowed:
        raise RoleNotAllowed(role=principal.role)


def requires(*roles: str) -> Callable:
    """Let only callers with one of these roles through; the view checks ownership itself."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            ensure_role(current_principal(), allowed)
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
