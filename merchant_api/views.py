"""Partner-shop API: terminal sign-in, quote, redeem, holds, refunds, lists, till and settlement.

A terminal authenticates with `Authorization: Terminal <key_id>:<secret>` on each request, or
exchanges those for a short-lived bearer token at POST /merchant/auth/token. Either way, every
request checks that the terminal is not revoked and its shop not suspended.
"""

from __future__ import annotations

from functools import partial

from flask import after_this_request, current_app, g, request

from merchant_api.schemas import (
    MerchantCaptureSchema,
    MerchantCheckoutPreviewSchema,
    MerchantCheckoutRequestSchema,
    MerchantCheckoutSchema,
    MerchantDayArgsSchema,
    MerchantHoldSchema,
    MerchantListArgsSchema,
    MerchantQuoteSchema,
    MerchantReceiptPageSchema,
    MerchantReceiptSchema,
    MerchantRedeemSchema,
    MerchantRefundPageSchema,
    MerchantRefundRequestSchema,
    MerchantRefundSchema,
    MerchantScanSchema,
    MerchantSelfSchema,
    MerchantTokenRequestSchema,
    MerchantTokenSchema,
)
from mileage.clock import seoul_today
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import bearer_principal, current_principal, requires, token_signer
from mileage.http.cors import allow_cross_origin
from mileage.http.idempotency import idempotent, request_idempotency_key
from mileage.http.limits import limiter
from mileage.http.schemas import SettlementArgsSchema, SettlementLineSchema, SettlementSchema
from mileage.http.settlement import CSV_SCHEMA, settlement_answer
from mileage.people.tokens import Principal
from mileage.shops import checkout, counter, holds, offers, redemptions, settlement, terminal_sessions, terminals

blueprint = Blueprint(
    "merchant", __name__, url_prefix="/merchant", description="Partner shops: scan, redeem, refund, settle"
)

# A browser-based POS on another origin may call the shop API, if the operator lists its origin.
allow_cross_origin(blueprint)

# The OpenAPI document's security for this blueprint: a bearer token, or the terminal's own credentials.
blueprint.openapi_security = [{"bearerAuth": []}, {"terminalAuth": []}]

TERMINAL_SCHEME = "terminal"
# A cashier scans a few cards a minute; a script trying card numbers scans far more.
SCAN_LIMIT_PER_TERMINAL = "60 per minute"
# Wrong PINs typed at one terminal, whichever cards they were for.
PIN_FAILURE_LIMIT_PER_TERMINAL = "10 per 10 minutes"
CREDENTIAL_LIMIT_PER_IP = "20 per 10 minutes"
CREDENTIAL_LIMIT_PER_KEY = "5 per 10 minutes"
# A counter page refreshes about once per access token; far more is someone trying session tokens.
SESSION_REFRESH_LIMIT_PER_IP = "30 per 10 minutes"
# Only the sign-in routes read the counter's session cookie; the page's script never sees it.
SESSION_COOKIE = "mileage_counter_session"
SESSION_COOKIE_PATH = "/merchant/auth"
PIN_FAILURE_CODES = frozenset({"wrong_pin", "card_pin_locked"})


# --- who is calling -------------------------------------------------------------------------

@blueprint.before_request
def _choose_terminal_authentication():
    """Say how this request's terminal proves itself; the check runs when the caller is first needed.

    Every check refuses revoked terminals and suspended shops. A terminal's secret is hashed, so
    checking it is slow: an idempotent request claims its key first, under the scope its key id names.
    """
    g.authentication_schemes = ("Bearer", "Terminal")
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == TERMINAL_SCHEME:
        key_id, _, secret = credentials.strip().partition(":")
        g.claimed_scope = partial(terminals.claimed_terminal_scope, get_session(), key_id)
        g.authenticate_caller = partial(_terminal_by_secret, key_id, secret)
    else:
        g.claimed_scope = lambda: bearer_principal().scope
        g.authenticate_caller = _terminal_by_token


def _terminal_by_secret(key_id: str, secret: str) -> Principal:
    g.terminal = terminals.authenticate_terminal(get_session(), key_id, secret)
    return terminals.terminal_principal(g.terminal)


def _terminal_by_token() -> Principal:
    principal = bearer_principal()
    if principal.role == "merchant":
        # An access token outlives a suspension by minutes; this check does not. Holding the
        # terminal (and its shop) for the request keeps them in the session, so the services'
        # own check and the receipt find them there instead of reading them again.
        g.terminal = terminals.ensure_terminal_may_trade(get_session(), principal.merchant_id, principal.terminal_id)
    return principal


def _till() -> counter.Till:
    principal = current_principal()
    return counter.Till(merchant_id=principal.merchant_id, terminal_id=principal.terminal_id)


def _policy() -> counter.RedemptionPolicy:
    config = current_app.config
    return counter.RedemptionPolicy(
        refund_window_days=int(config["REFUND_WINDOW_DAYS"]), hold_minutes=int(config["HOLD_MINUTES"])
    )


def _terminal_key() -> str:
    return f"terminal:{current_principal().terminal_id}"


def _pin_failed(response) -> bool:
    body = response.get_json(silent=True) if response.is_json else None
    return isinstance(body, dict) and body.get("code") in PIN_FAILURE_CODES


def _credential_key_id() -> str:
    payload = request.get_json(silent=True) if request.is_json else None
    key_id = payload.get("key_id") if isinstance(payload, dict) else None
    return f"terminal-key:{str(key_id or '')[:32]}"


def _failed_credentials(response) -> bool:
    return response.status_code == 401


# --- sign-in --------------------------------------------------------------------------------

@blueprint.route("/auth/token", methods=["POST"])
@limiter.limit(CREDENTIAL_LIMIT_PER_IP, deduct_when=_failed_credentials)
@limiter.limit(CREDENTIAL_LIMIT_PER_KEY, key_func=_credential_key_id, deduct_when=_failed_credentials)
@blueprint.arguments(MerchantTokenRequestSchema)
@blueprint.response(200, MerchantTokenSchema)
@blueprint.doc(security=[])
def issue_token(body):
    """Exchange a terminal's key id and secret for a short-lived access token (role merchant).

    With `session`, the counter page also gets a session in an httpOnly cookie, so it never keeps the secret.
    """
    if body["session"] is None:
        return terminals.issue_terminal_token(get_session(), token_signer(), body["key_id"], body["secret"])
    grant = terminal_sessions.start_terminal_session(
        get_session(), token_signer(), body["key_id"], body["secret"], persistent=body["session"] == "remember"
    )
    _keep_session_cookie(grant)
    return grant.token


def _keep_session_cookie(grant: terminal_sessions.TerminalSessionGrant) -> None:
    @after_this_request
    def set_cookie(response):
        if response.status_code < 300:
            response.set_cookie(
                SESSION_COOKIE, grant.session_token, max_age=grant.max_age if grant.persistent else None,
                path=SESSION_COOKIE_PATH, httponly=True, secure=request.is_secure, samesite="Strict",
            )
        return response


def _clear_session_cookie() -> None:
    @after_this_request
    def clear_cookie(response):
        response.delete_cookie(SESSION_COOKIE, path=SESSION_COOKIE_PATH, httponly=True, samesite="Strict")
        return response


def _failed_refresh(response) -> bool:
    return response.status_code == 401


@blueprint.route("/auth/refresh", methods=["POST"])
@limiter.limit(SESSION_REFRESH_LIMIT_PER_IP, deduct_when=_failed_refresh)
@blueprint.response(200, MerchantTokenSchema)
@blueprint.doc(security=[])
def refresh_session():
    """Renew the counter page's session (its httpOnly cookie) for a new access token; the cookie rotates.

    :raises TokenRevoked: no session, or it was ended (sign-out, staff, a rotated or revoked terminal).
    """
    try:
        grant = terminal_sessions.refresh_terminal_session(
            get_session(), token_signer(), request.cookies.get(SESSION_COOKIE, "")
        )
    except Exception:
        _clear_session_cookie()
        raise
    _keep_session_cookie(grant)
    return grant.token


@blueprint.route("/auth/sign-out", methods=["POST"])
@blueprint.response(204)
@blueprint.doc(security=[])
def end_session():
    """End the counter page's session: its cookie stops working here and everywhere it was copied."""
    terminal_sessions.end_terminal_session(get_session(), request.cookies.get(SESSION_COOKIE, ""))
    _clear_session_cookie()


@blueprint.route("/me", methods=["GET"])
@requires("merchant")
@blueprint.response(200, MerchantSelfSchema)
def who_am_i():
    """Return this terminal, its shop and the offer in force."""
    principal = current_principal()
    session = get_session()
    return {
        "terminal": terminals.get_terminal(session, principal.terminal_id),
        "offer": offers.find_current_offer(session, principal.merchant_id),
    }


# --- quote and redeem -----------------------------------------------------------------------

# Shared by every route that reads a card, so quotes, sales and holds draw on one budget per terminal.
scan_limit = limiter.shared_limit(SCAN_LIMIT_PER_TERMINAL, scope="terminal-scans", key_func=_terminal_key)
pin_failure_limit = limiter.shared_limit(
    PIN_FAILURE_LIMIT_PER_TERMINAL, scope="terminal-pin-failures", key_func=_terminal_key, deduct_when=_pin_failed
)


@blueprint.route("/quote", methods=["POST"])
@requires("merchant")
@scan_limit
@blueprint.arguments(MerchantScanSchema)
@blueprint.response(200, MerchantQuoteSchema)
def quote(body):
    """Tell the discount a purchase would get with a scanned card; moves nothing, uses up no QR code."""
    return redemptions.quote(
        get_session(), token_signer(), _till(),
        scanned=body["scanned"], purchase_amount=body["purchase_amount"], requested_discount=body["discount"],
    )


@blueprint.route("/redemptions", methods=["POST"])
@idempotent()
@requires("merchant")
@scan_limit
@pin_failure_limit
@blueprint.arguments(MerchantRedeemSchema)
@blueprint.response(201, MerchantReceiptSchema)
def redeem(body):
    """Redeem a discount against the scanned card and return the receipt (Idempotency-Key required)."""
    return redemptions.redeem(
        get_session(), token_signer(), _till(),
        scanned=body["scanned"], purchase_amount=body["purchase_amount"], requested_discount=body["discount"],
        pin=body["pin"], idempotency_key=request_idempotency_key(),
    )


@blueprint.route("/checkout/preview", methods=["POST"])
@requires("merchant")
@scan_limit
@blueprint.arguments(MerchantScanSchema)
@blueprint.response(200, MerchantCheckoutPreviewSchema)
def preview_checkout(body):
    """Tell both discounts a scanned card gets: the tier benefit (no points) and the points discount."""
    return checkout.preview_checkout(
        get_session(), token_signer(), _till(),
        scanned=body["scanned"], purchase_amount=body["purchase_amount"], requested_discount=body["discount"],
    )


@blueprint.route("/checkout", methods=["POST"])
@idempotent()
@requires("merchant")
@scan_limit
@pin_failure_limit
@blueprint.arguments(MerchantCheckoutRequestSchema)
@blueprint.response(201, MerchantCheckoutSchema)
def do_checkout(body):
    """Grant the tier benefit and the points discount of one scan, together (Idempotency-Key required)."""
    return checkout.checkout(
        get_session(), token_signer(), _till(),
        scanned=body["scanned"], purchase_amount=body["purchase_amount"], requested_discount=body["discount"],
        pin=body["pin"], use_points=body["use_points"], idempotency_key=request_idempotency_key(),
    )


@blueprint.route("/redemptions", methods=["GET"])
@requires("merchant")
@blueprint.arguments(MerchantListArgsSchema, location="query")
@blueprint.response(200, MerchantReceiptPageSchema)
def list_redemptions(args):
    """List this shop's redemptions, newest first (keyset pages), optionally of one day."""
    return redemptions.list_redemptions(
        get_session(), current_principal().merchant_id, day=args["day"], limit=args["limit"], cursor=args["cursor"]
    )


@blueprint.route("/redemptions/<int:redemption_id>", methods=["GET"])
@requires("merchant")
@blueprint.response(200, MerchantReceiptSchema)
def get_redemption(redemption_id):
    """Return one of this shop's redemptions (its receipt)."""
    return redemptions.get_redemption(get_session(), _till(), redemption_id)


@blueprint.route("/redemptions/<int:redemption_id>/refunds", methods=["POST"])
@idempotent()
@requires("merchant")
@blueprint.arguments(MerchantRefundRequestSchema)
@blueprint.response(201, MerchantRefundSchema)
def refund(body, redemption_id):
    """Refund all that is left of one of this shop's redemptions, or part of it (Idempotency-Key required)."""
    return redemptions.refund_redemption(
        get_session(), _till(), redemption_id,
        amount=body["amount"], reason=body["reason"], idempotency_key=request_idempotency_key(), policy=_policy(),
    )


@blueprint.route("/refunds", methods=["GET"])
@requires("merchant")
@blueprint.arguments(MerchantListArgsSchema, location="query")
@blueprint.response(200, MerchantRefundPageSchema)
def list_refunds(args):
    """List this shop's refunds, newest first (keyset pages), optionally of one day."""
    return redemptions.list_refunds(
        get_session(), current_principal().merchant_id, day=args["day"], limit=args["limit"], cursor=args["cursor"]
    )


# --- two-phase holds ------------------------------------------------------------------------

@blueprint.route("/holds", methods=["POST"])
@idempotent()
@requires("merchant")
@scan_limit
@pin_failure_limit
@blueprint.arguments(MerchantRedeemSchema)
@blueprint.response(201, MerchantHoldSchema)
def authorize_hold(body):
    """Hold a discount's points for a sale whose final amount comes later (Idempotency-Key required)."""
    return holds.authorize_hold(
        get_session(), token_signer(), _till(),
        scanned=body["scanned"], purchase_amount=body["purchase_amount"], requested_discount=body["discount"],
        pin=body["pin"], idempotency_key=request_idempotency_key(), policy=_policy(),
    )


@blueprint.route("/holds/<int:hold_id>", methods=["GET"])
@requires("merchant")
@blueprint.response(200, MerchantHoldSchema)
def get_hold(hold_id):
    """Return one of this shop's holds."""
    return holds.get_hold(get_session(), _till(), hold_id)


@blueprint.route("/holds/<int:hold_id>/capture", methods=["POST"])
@idempotent()
@requires("merchant")
@blueprint.arguments(MerchantCaptureSchema)
@blueprint.response(201, MerchantReceiptSchema)
def capture_hold(body, hold_id):
    """Capture all of a live hold or part of it as the discount; the rest returns to the card."""
    return holds.capture_hold(
        get_session(), _till(), hold_id, amount=body["amount"], final_purchase_amount=body["purchase_amount"]
    )


@blueprint.route("/holds/<int:hold_id>/void", methods=["POST"])
@idempotent()
@requires("merchant")
@blueprint.response(200, MerchantHoldSchema)
def void_hold(hold_id):
    """Release a hold; its points return to the card."""
    return holds.void_hold(get_session(), _till(), hold_id)


# --- totals ---------------------------------------------------------------------------------

@blueprint.route("/till", methods=["GET"])
@requires("merchant")
@blueprint.arguments(MerchantDayArgsSchema, location="query")
@blueprint.response(200, SettlementLineSchema)
def till_total(args):
    """Return this shop's totals for one day (today by default), for the till."""
    return settlement.till_total(get_session(), current_principal().merchant_id, args["day"] or seoul_today())


@blueprint.route("/settlement", methods=["GET"])
@requires("merchant")
@blueprint.arguments(SettlementArgsSchema, location="query")
@blueprint.response(200, SettlementSchema)
@blueprint.alt_response(200, schema=CSV_SCHEMA, content_type="text/csv", success=True,
                        description="Settlement lines as JSON, or with format=csv as a CSV download.")
def settlement_report(args):
    """Return this shop's settlement per day or month: count, gross discount, refunds, net (JSON or CSV)."""
    return settlement_answer(args, merchant_id=current_principal().merchant_id)
