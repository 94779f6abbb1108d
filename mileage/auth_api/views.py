"""Sign-in views: exchange a password for tokens, rotate them, revoke them."""

from flask import request

from mileage.auth_api.schemas import (
    PasswordChangeSchema,
    PrincipalSchema,
    RefreshSchema,
    SignInSchema,
    TokenPairSchema,
)
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
