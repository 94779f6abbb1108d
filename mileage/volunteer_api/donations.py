"""The volunteer's donations: open causes, donating, receipts, expiring points and the opt-in to donate them.

Like the rest of /me, these URLs carry no ids at all: the volunteer is the caller, so no request can
name another volunteer's receipts.
"""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from mileage import expiry
from mileage.clock import seoul_today
from mileage.donations import causes
from mileage.donations import donate as donations_donate
from mileage.errors import VolunteerNotLinked
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import ANY_ROLE, current_principal, requires
from mileage.http.idempotency import idempotent, request_idempotency_key
from mileage.http.schemas import page_schema
from mileage.models import CauseStatus
from mileage.pagination import MAX_PAGE_SIZE

blueprint = Blueprint(
    "volunteer_donations", __name__,
    description="Donations: open causes, donating points, receipts, expiring points",
)


# --- schemas --------------------------------------------------------------------------------

class OpenCauseArgsSchema(Schema):
    cursor = fields.String(validate=validate.Length(min=1, max=100))
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class OpenCauseSchema(Schema):
    id = fields.Integer(attribute="cause.id", dump_only=True)
    name = fields.String(attribute="cause.name", dump_only=True)
    receiving_organisation = fields.String(attribute="cause.receiving_organisation", dump_only=True)
    description = fields.String(attribute="cause.description", dump_only=True)
    target_points = fields.Integer(attribute="cause.target_points", dump_only=True, allow_none=True)
    donated = fields.Integer(dump_only=True, metadata={"description": "points donated so far"})


OpenCausePageSchema = page_schema(OpenCauseSchema)


class OwnDonationInputSchema(Schema):
    cause_id = fields.Integer(strict=True, required=True)
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**12))


class ReceiptSchema(Schema):
    id = fields.Integer(dump_only=True)
    receipt_number = fields.String(dump_only=True, metadata={"example": "D-2026-000123"})
    donor_name = fields.String(attribute="volunteer.name", dump_only=True)
    cause_id = fields.Integer(dump_only=True)
    cause_name = fields.String(attribute="cause.name", dump_only=True)
    receiving_organisation = fields.String(attribute="cause.receiving_organisation", dump_only=True)
    points = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True, metadata={"description": "volunteer, staff, campaign or expiry"})
    donated_at = fields.DateTime(attribute="created_at", dump_only=True)


ReceiptPageSchema = page_schema(ReceiptSchema)


class ExpiringPointsSchema(Schema):
    date = fields.Date(attribute="day", dump_only=True)
    points = fields.Integer(dump_only=True)


class ChosenCauseSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)


class ExpiryForecastSchema(Schema):
    today = fields.Date(dump_only=True)
    until = fields.Date(dump_only=True)
    years = fields.Integer(dump_only=True, metadata={"description": "points expire this many years after credit"})
    balance = fields.Integer(dump_only=True)
    total = fields.Integer(dump_only=True, metadata={"description": "points expiring from today until `until`"})
    expiring = fields.List(fields.Nested(ExpiringPointsSchema), dump_only=True)
    donate_to = fields.Nested(ChosenCauseSchema, dump_only=True, allow_none=True,
                              metadata={"description": "the cause expiring points go to, if opted in"})


class ExpiryDonationInputSchema(Schema):
    cause_id = fields.Integer(strict=True, required=True)


class ExpiryDonationSchema(Schema):
    opted_in = fields.Boolean(dump_only=True)
    cause = fields.Nested(ChosenCauseSchema, allow_none=True, dump_only=True)
    chosen_at = fields.DateTime(dump_only=True, allow_none=True)


# --- views ----------------------------------------------------------------------------------

def _my_volunteer_id() -> int:
    """Return the caller's volunteer id.

    :raises VolunteerNotLinked:
    """
    volunteer_id = current_principal().volunteer_id
    if volunteer_id is None:
        raise VolunteerNotLinked()
    return volunteer_id


def _expiry_years() -> int:
    return int(current_app.config.get("EXPIRY_YEARS", expiry.DEFAULT_EXPIRY_YEARS))


@blueprint.route("/causes", methods=["GET"])
@requires(*ANY_ROLE)
@blueprint.arguments(OpenCauseArgsSchema, location="query")
@blueprint.response(200, OpenCausePageSchema)
def list_open_causes(args):
    """List the causes open to donations."""
    return causes.list_causes(get_session(), status=CauseStatus.ACTIVE, **args)


@blueprint.route("/me/donations", methods=["POST"])
@idempotent()
@requires("volunteer")
@blueprint.arguments(OwnDonationInputSchema)
@blueprint.response(201, ReceiptSchema)
def donate(body):
    """Donate some of my points to an open cause and get the receipt (Idempotency-Key required)."""
    principal = current_principal()
    return donations_donate.donate_points(
        get_session(),
        volunteer_id=_my_volunteer_id(),
        idempotency_key=donations_donate.donation_ledger_key(principal.scope, request_idempotency_key()),
        **body,
    )


@blueprint.route("/me/donations", methods=["GET"])
@requires("volunteer")
@blueprint.arguments(OpenCauseArgsSchema, location="query")
@blueprint.response(200, ReceiptPageSchema)
def list_my_donations(args):
    """List my donations and their receipts, newest first."""
    return donations_donate.list_donations(get_session(), volunteer_id=_my_volunteer_id(), **args)


@blueprint.route("/me/expiry", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, ExpiryForecastSchema)
def my_expiring_points():
    """Return how many of my points expire, and when, in the next 90 days."""
    return expiry.forecast_expiry(get_session(), _my_volunteer_id(), today=seoul_today(), years=_expiry_years())


@blueprint.route("/me/expiry-donation", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, ExpiryDonationSchema)
def get_my_expiry_donation():
    """Return whether my expiring points go to a cause instead, and which."""
    return _choice_body(expiry.get_expiry_donation_choice(get_session(), _my_volunteer_id()))


@blueprint.route("/me/expiry-donation", methods=["PUT"])
@requires("volunteer")
@blueprint.arguments(ExpiryDonationInputSchema)
@blueprint.response(200, ExpiryDonationSchema)
def choose_my_expiry_donation(body):
    """Opt in: points about to expire are donated to this open cause instead."""
    return _choice_body(expiry.choose_expiry_donation(get_session(), _my_volunteer_id(), body["cause_id"]))


@blueprint.route("/me/expiry-donation", methods=["DELETE"])
@requires("volunteer")
@blueprint.response(204)
def clear_my_expiry_donation():
    """Opt out: points that expire simply expire."""
    expiry.clear_expiry_donation(get_session(), _my_volunteer_id())


def _choice_body(choice) -> dict:
    if choice is None:
        return {"opted_in": False, "cause": None, "chosen_at": None}
    return {"opted_in": True, "cause": choice.cause, "chosen_at": choice.chosen_at}
