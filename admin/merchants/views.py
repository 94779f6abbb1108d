"""Staff partner-shop API: register and edit shops, activate or suspend them, version their offers,
issue, rotate and revoke terminal credentials, read settlement for every shop, and close periods.

Staff and admins change things (each change is audited); auditors read everything here.
"""

from admin.merchants.schemas import (
    StaffMerchantArgsSchema,
    StaffMerchantCreateSchema,
    StaffMerchantDetailSchema,
    StaffMerchantFieldsSchema,
    StaffMerchantPageSchema,
    StaffMerchantStatusSchema,
    StaffOfferCreateSchema,
    StaffOfferSchema,
    StaffSettlementArgsSchema,
    StaffSettlementCloseSchema,
    StaffTerminalCreateSchema,
    StaffTerminalCredentialsSchema,
    StaffTerminalListSchema,
    StaffTerminalSchema,
    StaffTerminalSessionsEndedSchema,
    StaffTierBenefitSchema,
)
from mileage.errors import NotFound
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, requires
from mileage.http.preconditions import versioned
from mileage.http.schemas import SettlementSchema
from mileage.http.settlement import CSV_SCHEMA, settlement_answer
from mileage.models import Merchant, MerchantStatus, PeriodKind
from mileage.people.roles import STAFF, STAFF_READERS
from mileage.shops import benefits, merchants, offers, settlement, terminal_sessions, terminals

blueprint = Blueprint(
    "admin_merchants", __name__, url_prefix="/admin",
    description="Staff: partner shops, offers, terminals, settlement",
)



def _detail(merchant) -> dict:
    return {"merchant": merchant, "offer": offers.find_current_offer(get_session(), merchant.id)}


# --- merchants ------------------------------------------------------------------------------

@blueprint.route("/merchants", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(StaffMerchantArgsSchema, location="query")
@blueprint.response(200, StaffMerchantPageSchema)
def list_merchants(args):
    """List partner shops, newest first (keyset pages), optionally of one status."""
    return merchants.list_merchants(get_session(), **args)


@blueprint.route("/merchants", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffMerchantCreateSchema)
@blueprint.response(201, StaffMerchantDetailSchema)
def register_merchant(body):
    """Register a partner shop; it stays pending until activated."""
    return _detail(merchants.register_merchant(get_session(), actor=current_actor(), **body))


@blueprint.route("/merchants/<int:merchant_id>", methods=["GET"])
@requires(*STAFF_READERS)
@versioned(Merchant, "merchant_id")
@blueprint.response(200, StaffMerchantDetailSchema)
def get_merchant(merchant_id):
    """Return a partner shop with its offer in force."""
    return _detail(merchants.get_merchant(get_session(), merchant_id))


@blueprint.route("/merchants/<int:merchant_id>", methods=["PATCH"])
@requires(*STAFF)
@versioned(Merchant, "merchant_id")
@blueprint.arguments(StaffMerchantFieldsSchema)
@blueprint.response(200, StaffMerchantDetailSchema)
def edit_merchant(changes, merchant_id):
    """Change a shop's name, address, category or contact (only the fields sent)."""
    return _detail(merchants.update_merchant(get_session(), merchant_id, changes, actor=current_actor()))


@blueprint.route("/merchants/<int:merchant_id>/status", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffMerchantStatusSchema)
@blueprint.response(200, StaffMerchantDetailSchema)
def change_merchant_status(body, merchant_id):
    """Activate or suspend a shop; a suspended shop's terminals are refused at once."""
    merchant = merchants.change_merchant_status(
        get_session(), merchant_id, MerchantStatus(body["status"]), actor=current_actor()
    )
    return _detail(merchant)


# --- offers ---------------------------------------------------------------------------------

@blueprint.route("/merchants/<int:merchant_id>/offers", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, StaffOfferSchema(many=True))
def list_offer_versions(merchant_id):
    """List every version of a shop's offer, newest first."""
    return offers.list_offer_versions(get_session(), merchant_id)


@blueprint.route("/merchants/<int:merchant_id>/offers", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffOfferCreateSchema)
@blueprint.response(201, StaffOfferSchema)
def set_offer(body, merchant_id):
    """Set a shop's offer: a new version; earlier redemptions keep the version they used."""
    return offers.set_offer(get_session(), merchant_id, actor=current_actor(), **body)


@blueprint.route("/merchants/<int:merchant_id>/tier-benefit", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, StaffTierBenefitSchema)
def get_tier_benefit(merchant_id):
    """Return a shop's discount for card tiers (no points deducted); 404 when it gives none."""
    session = get_session()
    merchants.get_merchant(session, merchant_id)
    benefit = benefits.current_tier_benefit(session, merchant_id)
    if benefit is None:
        raise NotFound(merchant_id=merchant_id)
    return benefit


@blueprint.route("/merchants/<int:merchant_id>/tier-benefit", methods=["PUT"])
@requires(*STAFF)
@blueprint.arguments(StaffTierBenefitSchema)
@blueprint.response(200, StaffTierBenefitSchema)
def set_tier_benefit(body, merchant_id):
    """Set a shop's discount for card holders of a minimum tier (rate 0 stops it)."""
    return benefits.set_tier_benefit(get_session(), merchant_id, actor=current_actor(), **body)


# --- terminals ------------------------------------------------------------------------------

@blueprint.route("/merchants/<int:merchant_id>/terminals", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, StaffTerminalListSchema)
def list_terminals(merchant_id):
    """List a shop's terminals, revoked ones included (never their secrets)."""
    return {"items": terminals.list_terminals(get_session(), merchant_id)}


@blueprint.route("/merchants/<int:merchant_id>/terminals", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffTerminalCreateSchema)
@blueprint.response(201, StaffTerminalCredentialsSchema)
def create_terminal(body, merchant_id):
    """Create a terminal; its secret is in this answer only."""
    return terminals.create_terminal(get_session(), merchant_id, label=body["label"], actor=current_actor())


@blueprint.route("/terminals/<int:terminal_id>/rotate", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, StaffTerminalCredentialsSchema)
def rotate_terminal(terminal_id):
    """Give a terminal a new secret (in this answer only); the old one stops working."""
    return terminals.rotate_terminal_secret(get_session(), terminal_id, actor=current_actor())


@blueprint.route("/terminals/<int:terminal_id>/revoke", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, StaffTerminalSchema)
def revoke_terminal(terminal_id):
    """Revoke a terminal: its secret and its tokens are refused at once."""
    return terminals.revoke_terminal(get_session(), terminal_id, actor=current_actor())


@blueprint.route("/terminals/<int:terminal_id>/sessions/end", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, StaffTerminalSessionsEndedSchema)
def end_terminal_sessions(terminal_id):
    """Sign out every counter page signed in as this terminal; its secret keeps working for a new sign-in."""
    return {"ended": terminal_sessions.end_terminal_sessions(get_session(), terminal_id, actor=current_actor())}


# --- settlement -----------------------------------------------------------------------------

@blueprint.route("/settlement", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(StaffSettlementArgsSchema, location="query")
@blueprint.response(200, SettlementSchema)
@blueprint.alt_response(200, schema=CSV_SCHEMA, content_type="text/csv", success=True,
                        description="Settlement lines as JSON, or with format=csv as a CSV download.")
def settlement_report(args):
    """Return settlement per shop per day or month: count, gross discount, refunds, net (JSON or CSV)."""
    return settlement_answer(args, merchant_id=args["merchant_id"])


@blueprint.route("/settlement/closures", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffSettlementCloseSchema)
@blueprint.response(201, SettlementSchema)
def close_settlement_period(body):
    """Close a finished day or month for one shop or every shop; its figures never change afterwards."""
    lines = settlement.close_period(
        get_session(),
        period=PeriodKind(body["period"]),
        day=body["day"],
        merchant_id=body["merchant_id"],
        actor=current_actor(),
    )
    return {"items": lines}
