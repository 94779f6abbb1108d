"""Staff donations API: causes, donations on a volunteer's behalf, campaigns, disbursements.

Staff and admins change things; auditors read everything here and change nothing.
"""

from flask import url_for

from admin.donations.schemas import (
    CampaignCreateSchema,
    CampaignItemArgsSchema,
    CampaignItemPageSchema,
    CampaignPageSchema,
    CampaignSchema,
    CauseCreateSchema,
    CauseEditSchema,
    CauseListArgsSchema,
    CausePageSchema,
    CauseSchema,
    DisbursementCreateSchema,
    DisbursementListArgsSchema,
    DisbursementPageSchema,
    DisbursementSchema,
    DonationListArgsSchema,
    DonationPageArgsSchema,
    DonationPageSchema,
    DonationSchema,
    OnBehalfDonationSchema,
)
from mileage.donations import campaigns, causes, disbursements, donate
from mileage.donations.campaigns import CampaignSelection
from mileage.donations.donate import Consent
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, current_principal, requires
from mileage.http.idempotency import idempotent, request_idempotency_key
from mileage.http.preconditions import versioned
from mileage.models import Cause, CauseStatus, ConsentMethod, VolunteerStatus
from mileage.people.roles import STAFF, STAFF_READERS

blueprint = Blueprint(
    "admin_donations", __name__, url_prefix="/admin",
    description="Staff: donation causes, donations on a volunteer's behalf, campaigns, disbursements",
)



def _ledger_key(purpose: str) -> str:
    """Return the ledger key derived from this request's Idempotency-Key, scoped to its purpose and caller."""
    return donate.donation_ledger_key(
        current_principal().scope, request_idempotency_key(), purpose=purpose
    )


# --- causes ---------------------------------------------------------------------------------

@blueprint.route("/causes", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(CauseListArgsSchema, location="query")
@blueprint.response(200, CausePageSchema)
def list_causes(args):
    """List donation causes, open and closed, with what each collected and handed over."""
    status = args.pop("status", None)
    return causes.list_causes(get_session(), status=CauseStatus(status) if status else None, **args)


@blueprint.route("/causes", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(CauseCreateSchema)
@blueprint.response(201, CauseSchema)
def create_cause(body):
    """Open a donation cause (its own ledger account is opened with it)."""
    session = get_session()
    return causes.summarise_cause(session, causes.create_cause(session, actor=current_actor(), **body))


@blueprint.route("/causes/<int:cause_id>", methods=["GET"])
@requires(*STAFF_READERS)
@versioned(Cause, "cause_id")
@blueprint.response(200, CauseSchema)
def get_cause(cause_id):
    """Return a cause with its balance, donated and disbursed totals."""
    session = get_session()
    return causes.summarise_cause(session, causes.get_cause(session, cause_id))


@blueprint.route("/causes/<int:cause_id>", methods=["PATCH"])
@requires(*STAFF)
@versioned(Cause, "cause_id")
@blueprint.arguments(CauseEditSchema)
@blueprint.response(200, CauseSchema)
def edit_cause(body, cause_id):
    """Change a cause's name, receiving organisation, description or target."""
    session = get_session()
    return causes.summarise_cause(session, causes.edit_cause(session, cause_id, actor=current_actor(), **body))


@blueprint.route("/causes/<int:cause_id>/close", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, CauseSchema)
def close_cause(cause_id):
    """Close a cause to new donations; what it holds can still be disbursed."""
    session = get_session()
    cause = causes.set_cause_status(session, cause_id, CauseStatus.CLOSED, actor=current_actor())
    return causes.summarise_cause(session, cause)


@blueprint.route("/causes/<int:cause_id>/reopen", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, CauseSchema)
def reopen_cause(cause_id):
    """Open a closed cause to donations again."""
    session = get_session()
    cause = causes.set_cause_status(session, cause_id, CauseStatus.ACTIVE, actor=current_actor())
    return causes.summarise_cause(session, cause)


# --- donations ------------------------------------------------------------------------------

@blueprint.route("/donations", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(DonationListArgsSchema, location="query")
@blueprint.response(200, DonationPageSchema)
def list_donations(args):
    """List donations newest first, by volunteer, cause or campaign."""
    return donate.list_donations(get_session(), **args)


@blueprint.route("/donations", methods=["POST"])
@idempotent()
@requires(*STAFF)
@blueprint.arguments(OnBehalfDonationSchema)
@blueprint.response(201, DonationSchema)
def donate_on_behalf(body):
    """Convert a volunteer's points into a donation on their behalf, recording how they consented."""
    consent = body.pop("consent")
    return donate.donate_on_behalf(
        get_session(),
        consent=Consent(
            method=ConsentMethod(consent["method"]),
            witness_name=consent.get("witness_name"),
            witness_user_id=consent.get("witness_user_id"),
            note=consent["note"],
        ),
        actor=current_actor(),
        idempotency_key=_ledger_key("donation"),
        **body,
    )


@blueprint.route("/donations/<int:donation_id>", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, DonationSchema)
def get_donation(donation_id):
    """Return one donation and its receipt number."""
    return donate.get_donation(get_session(), donation_id)


# --- disbursements --------------------------------------------------------------------------

@blueprint.route("/disbursements", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(DisbursementListArgsSchema, location="query")
@blueprint.response(200, DisbursementPageSchema)
def list_disbursements(args):
    """List disbursements newest first, optionally of one cause."""
    return disbursements.list_disbursements(get_session(), **args)


@blueprint.route("/disbursements", methods=["POST"])
@idempotent()
@requires(*STAFF)
@blueprint.arguments(DisbursementCreateSchema)
@blueprint.response(201, DisbursementSchema)
def record_disbursement(body):
    """Record handing over what a cause collected; never more than the cause holds."""
    return disbursements.record_disbursement(
        get_session(), actor=current_actor(), idempotency_key=_ledger_key("disbursement"), **body
    )


# --- campaigns ------------------------------------------------------------------------------

@blueprint.route("/campaigns", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(DonationPageArgsSchema, location="query")
@blueprint.response(200, CampaignPageSchema)
def list_campaigns(args):
    """List campaigns newest first, with their progress."""
    return campaigns.list_campaigns(get_session(), **args)


@blueprint.route("/campaigns", methods=["POST"])
@idempotent()
@requires(*STAFF)
@blueprint.arguments(CampaignCreateSchema)
@blueprint.response(201, CampaignSchema)
def create_campaign(body):
    """Create a campaign: the volunteers the filter picks now, each pending until the campaign runs.

    An Idempotency-Key is required: a double-clicked create would otherwise make two campaigns
    that each donate the same volunteers' points.
    """
    selection = body["selection"]
    session = get_session()
    campaign = campaigns.create_campaign(
        session,
        name=body["name"],
        cause_id=body["cause_id"],
        selection=CampaignSelection(
            volunteer_ids=tuple(selection["volunteer_ids"]),
            min_balance=selection.get("min_balance"),
            volunteer_status=VolunteerStatus(selection["volunteer_status"]) if selection["volunteer_status"] else None,
            organisation_id=selection.get("organisation_id"),
        ),
        points_per_volunteer=body.get("points_per_volunteer"),
        consent_method=ConsentMethod(body["consent_method"]),
        consent_note=body["consent_note"],
        actor=current_actor(),
    )
    return campaigns.campaign_progress(session, campaign.id)


@blueprint.route("/campaigns/<int:campaign_id>", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, CampaignSchema)
def get_campaign(campaign_id):
    """Return a campaign and how far it got."""
    return campaigns.campaign_progress(get_session(), campaign_id)


@blueprint.route("/campaigns/<int:campaign_id>/run", methods=["POST"])
@requires(*STAFF)
@blueprint.response(202, CampaignSchema)
def run_campaign(campaign_id):
    """Ask for a campaign to be run (or resumed); the background worker does it, one volunteer at a time.

    The answer is 202 with the campaign's progress so far; follow its `Location` to see it grow.
    Safe to repeat: done volunteers are never posted again.
    """
    progress = campaigns.request_campaign_run(get_session(), campaign_id, actor=current_actor())
    return progress, {"Location": url_for("admin_donations.get_campaign", campaign_id=campaign_id)}


@blueprint.route("/campaigns/<int:campaign_id>/items", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(CampaignItemArgsSchema, location="query")
@blueprint.response(200, CampaignItemPageSchema)
def list_campaign_items(args, campaign_id):
    """List a campaign's per-volunteer results: pending, done (with the donation), skipped or failed."""
    return campaigns.list_campaign_items(get_session(), campaign_id, **args)
