"""Sign-in views: exchange a password for tokens, rotate them, revoke them."""

from contextlib import suppress

from flask import after_this_request, request

from mileage.auth_api.schemas import (
    BrowserTokenSchema,
    PasswordChangeSchema,
    PrincipalSchema,
    RefreshSchema,
    SignInSchema,
    TokenPairSchema,
)
from mileage.errors import NoBrowserSession, TokenInvalid
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session, request_id
from mileage.http.callers import ANY_ROLE, current_principal, requires, token_signer
from mileage.http.limits import LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_IP, failed_sign_in, limiter, login_username
from mileage.people import authentication

blueprint = Blueprint("auth", __name__, url_prefix="/auth", description="Sign in and tokens")


def _pair_body(pair: authentication.TokenPair) -> dict:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "role": pair.principal.role,
    }


@blueprint.route("/token", methods=["POST"])
@limiter.limit(LOGIN_LIMIT_PER_IP, deduct_when=failed_sign_in)
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, key_func=login_username, deduct_when=failed_sign_in)
@blueprint.arguments(SignInSchema)
@blueprint.response(200, TokenPairSchema)
@blueprint.doc(security=[])
def sign_in(credentials):
    """Sign in with a username and password; get an access token and a refresh token."""
    pair = authentication.sign_in(get_session(), token_signer(), credentials["username"], credentials["password"])
    return _pair_body(pair)


@blueprint.route("/password", methods=["POST"])
@limiter.limit(LOGIN_LIMIT_PER_IP, deduct_when=failed_sign_in)
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, key_func=login_username, deduct_when=failed_sign_in)
@blueprint.arguments(PasswordChangeSchema)
@blueprint.response(204)
@blueprint.doc(security=[])
def change_password(body):
    """Replace your password (required after an administrator's reset); then sign in with the new one."""
    authentication.change_own_password(
        get_session(), body["username"], body["current_password"], body["new_password"],
        ip_address=request.remote_addr, request_id=request_id(),
    )


@blueprint.route("/refresh", methods=["POST"])
@blueprint.arguments(RefreshSchema)
@blueprint.response(200, TokenPairSchema)
@blueprint.doc(security=[])
def refresh(body):
    """Exchange a refresh token (usable once) for a new pair."""
    return _pair_body(authentication.refresh_tokens(get_session(), token_signer(), body["refresh_token"]))


@blueprint.route("/logout", methods=["POST"])
@blueprint.arguments(RefreshSchema)
@blueprint.response(204)
@blueprint.doc(security=[])
def logout(body):
    """Sign out: revoke the refresh token and every token rotated from the same sign-in."""
    authentication.sign_out(get_session(), token_signer(), body["refresh_token"])


@blueprint.route("/me", methods=["GET"])
@requires(*ANY_ROLE)
@blueprint.response(200, PrincipalSchema)
def me():
    """Return who the access token belongs to."""
    return current_principal()


# --- a browser's sign-in: the refresh token in an httpOnly cookie ------------------------------
# The volunteer's phone page stays signed in for weeks without its script ever holding the refresh
# token: it lives in a cookie only these routes read, rotated on every use, revoked on sign-out or
# from the console. A copied cookie used after rotation revokes the whole sign-in.

BROWSER_COOKIE = "mileage_refresh"
BROWSER_COOKIE_PATH = "/auth/session"
BROWSER_REFRESH_LIMIT_PER_IP = "60 per 10 minutes"


def _browser_body(pair: authentication.TokenPair) -> dict:
    refresh_token = pair.refresh_token
    max_age = int(token_signer().refresh_ttl.total_seconds())

    @after_this_request
    def keep_cookie(response):
        if response.status_code < 300:
            response.set_cookie(
                BROWSER_COOKIE, refresh_token, max_age=max_age, path=BROWSER_COOKIE_PATH,
                httponly=True, secure=request.is_secure, samesite="Strict",
            )
        return response

    return {"access_token": pair.access_token, "expires_in": pair.expires_in, "role": pair.principal.role}


def _forget_cookie() -> None:
    @after_this_request
    def clear_cookie(response):
        response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH, httponly=True, samesite="Strict")
        return response


def _failed_refresh(response) -> bool:
    return response.status_code == 401


@blueprint.route("/session", methods=["POST"])
@limiter.limit(LOGIN_LIMIT_PER_IP, deduct_when=failed_sign_in)
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, key_func=login_username, deduct_when=failed_sign_in)
@blueprint.arguments(SignInSchema)
@blueprint.response(200, BrowserTokenSchema)
@blueprint.doc(security=[])
def start_browser_session(credentials):
    """Sign a browser in: an access token in the answer, the refresh token in an httpOnly cookie."""
    pair = authentication.sign_in(get_session(), token_signer(), credentials["username"], credentials["password"])
    return _browser_body(pair)


@blueprint.route("/session/refresh", methods=["POST"])
@limiter.limit(BROWSER_REFRESH_LIMIT_PER_IP, deduct_when=_failed_refresh)
@blueprint.response(200, BrowserTokenSchema)
@blueprint.doc(security=[])
def refresh_browser_session():
    """Exchange the browser's refresh cookie (usable once) for a new access token and a rotated cookie."""
    presented = request.cookies.get(BROWSER_COOKIE, "")
    if not presented:
        raise NoBrowserSession()
    try:
        pair = authentication.refresh_tokens(get_session(), token_signer(), presented)
    except Exception:
        _forget_cookie()
        raise
    return _browser_body(pair)


@blueprint.route("/session/end", methods=["POST"])
@blueprint.response(204)
@blueprint.doc(security=[])
def end_browser_session():
    """Sign the browser out: its refresh cookie, and every token rotated from it, stop working."""
    presented = request.cookies.get(BROWSER_COOKIE, "")
    if presented:
        with suppress(TokenInvalid):  # not ours: nothing to revoke, the cookie goes anyway
            authentication.sign_out(get_session(), token_signer(), presented)
    _forget_cookie()
