"""The volunteer's own card API under /me: every route acts on the caller's own volunteer only.

There are no ids in these URLs: the volunteer comes from the access token, so no request can name
another volunteer's card, history, claims or statement.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app

from mileage.cards import own_card, pins, statements
from mileage.cards.lookup import current_card
from mileage.cards.qr_images import render_qr_png, render_qr_svg
from mileage.claims import queue, submission
from mileage.claims.submission import ClaimRequest
from mileage.clock import seoul_today, utc_now
from mileage.errors import VolunteerNotLinked
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, current_principal, requires, token_signer
from mileage.http.locale import select_language
from mileage.tiers.standing import tier_standing
from mileage.volunteer_api.schemas import (
    CardSchema,
    MonthStatementArgsSchema,
    MonthStatementSchema,
    MovementPageSchema,
    OwnClaimInputSchema,
    OwnClaimPageSchema,
    OwnClaimSchema,
    OwnTierSchema,
    PageArgsSchema,
    PinChangeSchema,
    PinStateSchema,
    QrStatusArgsSchema,
    QrStatusSchema,
    QrTokenSchema,
    StatementArgsSchema,
)
from mileage.volunteer_api.statement_csv import render_statement_csv

blueprint = Blueprint(
    "volunteer",
    __name__,
    url_prefix="/me",
    description="The volunteer's own card: balance, history, claims, PIN, statement and QR card",
)

# The page fetches a new dynamic QR this long before the old one expires, so the code on screen
# never dies while a cashier is scanning it.
QR_REFRESH_MARGIN = timedelta(seconds=20)
PNG = "image/png"
SVG = "image/svg+xml"
# How the document describes a file answer.
BINARY = {"type": "string", "format": "binary"}
CSV_TEXT = {"type": "string", "description": "UTF-8 CSV with a byte-order mark, for Excel"}


@blueprint.after_request
def _never_cache(response: Response) -> Response:
    # Balances, history and single-use QR tokens must not linger in a shared or browser cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def my_volunteer_id() -> int:
    """Return the caller's volunteer id from the access token.

    :raises VolunteerNotLinked: a volunteer account that is not linked to any volunteer.
    """
    volunteer_id = current_principal().volunteer_id
    if volunteer_id is None:
        raise VolunteerNotLinked()
    return volunteer_id


def _image(body: bytes, mimetype: str, **headers: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers.update(headers)
    return response


# --- the card -------------------------------------------------------------------------------

@blueprint.route("/card", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, CardSchema)
def get_my_card():
    """Return my current card: masked number, status, balance, PIN state."""
    return own_card.my_card(get_session(), my_volunteer_id())


@blueprint.route("/tier", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, OwnTierSchema)
def get_my_tier():
    """Return my card tier, what keeps it, and how many hours to the next one."""
    return tier_standing(get_session(), my_volunteer_id())


@blueprint.route("/card/pin", methods=["PUT"])
@requires("volunteer")
@blueprint.arguments(PinChangeSchema)
@blueprint.response(200, PinStateSchema)
def put_my_pin(body):
    """Set my card's PIN, or change it by giving the current one (wrong ones count toward the lock)."""
    return pins.change_my_pin(
        get_session(), my_volunteer_id(), new_pin=body["new_pin"], current_pin=body["current_pin"],
        actor=current_actor(),
    )


@blueprint.route("/history", methods=["GET"])
@requires("volunteer")
@blueprint.arguments(PageArgsSchema, location="query")
@blueprint.response(200, MovementPageSchema)
def get_my_history(args):
    """List the movements of points on all my cards, newest first."""
    return statements.my_history(
        get_session(), my_volunteer_id(), limit=args["limit"], cursor=args["cursor"], language=select_language()
    )


# --- claims ---------------------------------------------------------------------------------

@blueprint.route("/claims", methods=["GET"])
@requires("volunteer")
@blueprint.arguments(PageArgsSchema, location="query")
@blueprint.response(200, OwnClaimPageSchema)
def get_my_claims(args):
    """List my hours claims, newest first."""
    return queue.my_claims(get_session(), my_volunteer_id(), limit=args["limit"], cursor=args["cursor"])


@blueprint.route("/claims", methods=["POST"])
@requires("volunteer")
@blueprint.arguments(OwnClaimInputSchema)
@blueprint.response(201, OwnClaimSchema)
def post_my_claim(body):
    """Claim hours I worked, when the centre lets volunteers submit their own."""
    request = ClaimRequest(
        volunteer_id=my_volunteer_id(),
        organisation_id=body["organisation_id"],
        work_date=body["work_date"],
        start_minute=body["start_time"],
        end_minute=body["end_time"],
        category=body["category"],
        note=body["note"],
    )
    return submission.submit_my_claim(
        get_session(),
        request,
        actor=current_actor(),
        policy=current_app.config["CLAIM_POLICY"],
    )


# --- statement ------------------------------------------------------------------------------

@blueprint.route("/statement.csv", methods=["GET"])
@requires("volunteer")
@blueprint.arguments(StatementArgsSchema, location="query")
@blueprint.response(200, CSV_TEXT, content_type="text/csv", description="UTF-8 CSV with a BOM, for Excel.")
def get_my_statement(args):
    """Download my statement as CSV: date, organisation, hours, points and running balance."""
    statement = statements.my_statement(
        get_session(), my_volunteer_id(), first_day=args["first_day"], last_day=args["last_day"],
        language=select_language(),
    )
    filename = f"mileage-statement-{(args['last_day'] or seoul_today()).strftime('%Y%m%d')}.csv"
    return Response(
        render_statement_csv(statement, select_language()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blueprint.route("/statement", methods=["GET"])
@requires("volunteer")
@blueprint.arguments(MonthStatementArgsSchema, location="query")
@blueprint.response(200, MonthStatementSchema)
def get_my_month_statement(args):
    """Return my statement for one month (this month by default), to read on the phone."""
    today = seoul_today()
    year, month = (int(part) for part in args["month"].split("-")) if args["month"] else (today.year, today.month)
    return statements.my_month_statement(get_session(), my_volunteer_id(), year, month, language=select_language())


# --- QR card --------------------------------------------------------------------------------

def _issue_my_qr():
    issued = own_card.issue_my_qr_token(get_session(), token_signer(), my_volunteer_id())
    refresh_after = max(0, int((issued.expires_at - QR_REFRESH_MARGIN - utc_now()).total_seconds()))
    return issued, refresh_after


def _qr_headers(issued, refresh_after: int) -> dict[str, str]:
    # The page reads these to know when to fetch the next image.
    return {
        "X-QR-Expires-At": issued.expires_at.isoformat(),
        "X-QR-Refresh-After": str(refresh_after),
        "X-QR-Token-Id": issued.token_id,
    }


@blueprint.route("/card/qr", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, QrTokenSchema)
def get_my_dynamic_qr():
    """Return a fresh single-use QR token for my card (about two minutes), for a shop to scan."""
    issued, refresh_after = _issue_my_qr()
    return {"token": issued.token, "expires_at": issued.expires_at, "refresh_after_seconds": refresh_after}


@blueprint.route("/card/qr.png", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, BINARY, content_type=PNG, description="A fresh dynamic QR code.")
def get_my_dynamic_qr_png():
    """Return a fresh dynamic QR code of my card as PNG."""
    issued, refresh_after = _issue_my_qr()
    return _image(render_qr_png(issued.token), PNG, **_qr_headers(issued, refresh_after))


@blueprint.route("/card/qr.svg", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, {"type": "string"}, content_type=SVG, description="A fresh dynamic QR code.")
def get_my_dynamic_qr_svg():
    """Return a fresh dynamic QR code of my card as SVG."""
    issued, refresh_after = _issue_my_qr()
    return _image(render_qr_svg(issued.token), SVG, **_qr_headers(issued, refresh_after))


@blueprint.route("/card/qr-status", methods=["GET"])
@requires("volunteer")
@blueprint.arguments(QrStatusArgsSchema, location="query")
@blueprint.response(200, QrStatusSchema)
def get_my_qr_status(args):
    """Tell whether a shop has used my QR code (by its X-QR-Token-Id), with my balance now; cheap to poll."""
    return own_card.my_qr_status(get_session(), my_volunteer_id(), args["token_id"])


@blueprint.route("/card/printed-qr.png", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, BINARY, content_type=PNG, description="The card number as printed on the card.")
def get_my_printed_qr_png():
    """Return the QR code printed on my card (its number; shops ask for the PIN) as PNG."""
    return _image(render_qr_png(current_card(get_session(), my_volunteer_id()).number), PNG)


@blueprint.route("/card/printed-qr.svg", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, {"type": "string"}, content_type=SVG, description="The card number as printed on the card.")
def get_my_printed_qr_svg():
    """Return the QR code printed on my card (its number; shops ask for the PIN) as SVG."""
    return _image(render_qr_svg(current_card(get_session(), my_volunteer_id()).number), SVG)
