"""Donations: causes and their figures, donations, bulk campaigns (create, run, results), disbursements."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin.console import forms
from admin.console.i18n import N_, NP_, _, label, number
from admin.console.navigation import redirect_back
from mileage.donations import campaigns as donations_campaigns
from mileage.donations import causes as donations_causes
from mileage.donations import disbursements as donations_disbursements
from mileage.donations import donate
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.models import CampaignItemState, CampaignState, CauseStatus, ConsentMethod
from mileage.people import organisations

blueprint = Blueprint("donations", __name__, url_prefix="/donations")

PAGE_SIZE = 50
CAMPAIGN_AMOUNT_MODES = ("fixed", "whole")


def active_causes(session) -> list:
    """Return the causes open to donations (a district has far fewer than one page of them)."""
    open_causes = donations_causes.list_causes(session, status=CauseStatus.ACTIVE, limit=200)
    return [summary.cause for summary in open_causes.items]


# --- causes ---------------------------------------------------------------------------------

@blueprint.get("/")
def causes():
    """List causes with what each holds, has received and has handed over."""
    status = forms.choice("status", list(CauseStatus), label=N_("Status"), required=False, where="args")
    page = donations_causes.list_causes(
        get_session(), status=CauseStatus(status) if status else None, limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    return render_template("console/donations/causes.html", page=page, status=status, statuses=list(CauseStatus))


@blueprint.post("/causes")
def create_cause():
    """Open a donation cause."""
    cause = donations_causes.create_cause(
        get_session(),
        name=forms.text("name", label=NP_("causes.name", "Name"), required=True, max_length=200),
        receiving_organisation=forms.text(
            "receiving_organisation", label=N_("Receiving organisation"), required=True, max_length=200
        ),
        description=forms.text("description", label=N_("Description")),
        target_points=forms.integer("target_points", label=NP_("causes.target", "Target"), minimum=1),
        actor=current_actor(),
    )
    flash(_("Cause '%(name)s' opened.", name=cause.name), "success")
    return redirect(url_for("console.donations.cause", cause_id=cause.id), code=303)


@blueprint.get("/causes/<int:cause_id>")
def cause(cause_id: int):
    """Show a cause: its figures, latest donations and disbursements."""
    session = get_session()
    summary = donations_causes.summarise_cause(session, donations_causes.get_cause(session, cause_id))
    return render_template(
        "console/donations/cause.html",
        summary=summary,
        cause=summary.cause,
        donations_page=donate.list_donations(
            session, cause_id=cause_id, limit=PAGE_SIZE, cursor=request.args.get("cursor") or None
        ),
        disbursements=donations_disbursements.list_disbursements(session, cause_id=cause_id, limit=PAGE_SIZE).items,
    )


@blueprint.post("/causes/<int:cause_id>/status")
def change_cause_status(cause_id: int):
    """Close a cause to new donations, or open it again."""
    status = CauseStatus(forms.choice("status", list(CauseStatus), label=N_("Status")))
    cause = donations_causes.set_cause_status(get_session(), cause_id, status, actor=current_actor())
    flash(_("%(name)s is now %(status)s.", name=cause.name, status=label("cause_status", cause.status)), "success")
    return redirect_back("console.donations.cause", cause_id=cause_id)


# --- donations and disbursements ------------------------------------------------------------

@blueprint.get("/list")
def donation_list():
    """List every donation, newest first, with its receipt number."""
    page = donate.list_donations(get_session(), limit=PAGE_SIZE, cursor=request.args.get("cursor") or None)
    return render_template("console/donations/donations.html", page=page)


@blueprint.get("/disbursements")
def disbursements():
    """List disbursements, newest first, and the form to record one."""
    session = get_session()
    cursor = request.args.get("cursor") or None
    page = donations_disbursements.list_disbursements(session, limit=PAGE_SIZE, cursor=cursor)
    return render_template(
        "console/donations/disbursements.html",
        page=page,
        causes=donations_causes.list_causes(session, limit=200).items,
        selected_cause=request.args.get("cause_id", ""),
    )


@blueprint.post("/disbursements")
def record_disbursement():
    """Record the centre handing a cause's collected points over (never more than it holds)."""
    key = forms.form_key()
    disbursement = donations_disbursements.record_disbursement(
        get_session(),
        cause_id=forms.integer("cause_id", label=N_("Cause"), required=True, minimum=1),
        points=forms.integer("points", label=NP_("donations.points", "Points"), required=True, minimum=1),
        memo=forms.text("memo", label=N_("Memo"), required=True),
        attachment_ref=forms.text("attachment_ref", label=N_("Evidence"), max_length=300),
        actor=current_actor(),
        idempotency_key=f"console:{current_actor().user_id}:disbursement:{key}" if key else None,
    )
    flash(
        _("%(points)s points handed over from %(cause)s.", points=number(disbursement.points),
          cause=disbursement.cause.name),
        "success",
    )
    return redirect_back("console.donations.disbursements")


# --- campaigns ------------------------------------------------------------------------------

@blueprint.get("/campaigns")
def campaigns():
    """List campaigns with their progress, and the form to create one."""
    session = get_session()
    page = donations_campaigns.list_campaigns(session, limit=PAGE_SIZE, cursor=request.args.get("cursor") or None)
    return render_template(
        "console/donations/campaigns.html",
        page=page,
        causes=active_causes(session),
        organisations=organisations.list_organisations(session, limit=200).items,
        consent_methods=[str(method) for method in ConsentMethod],
        amount_modes=CAMPAIGN_AMOUNT_MODES,
    )


@blueprint.post("/campaigns")
def create_campaign():
    """Create a campaign: its volunteers are picked now; nothing is donated until it runs."""
    whole_balance = forms.choice("amount_mode", CAMPAIGN_AMOUNT_MODES, label=N_("Amount")) == "whole"
    points = None if whole_balance else forms.integer(
        "points_per_volunteer", label=N_("Points per volunteer"), required=True, minimum=1
    )
    selection = donations_campaigns.CampaignSelection(
        volunteer_ids=tuple(forms.ids("volunteer_ids", label=N_("Volunteer numbers (comma-separated)"))),
        min_balance=forms.integer("min_balance", label=N_("Minimum balance"), minimum=0),
        organisation_id=forms.integer("organisation_id", label=N_("Volunteered at"), minimum=1),
    )
    campaign = donations_campaigns.create_campaign(
        get_session(),
        name=forms.text("name", label=NP_("campaigns.name", "Name"), required=True, max_length=200),
        cause_id=forms.integer("cause_id", label=N_("Cause"), required=True, minimum=1),
        selection=selection,
        points_per_volunteer=points,
        consent_method=ConsentMethod(
            forms.choice("consent_method", list(ConsentMethod), label=N_("Consent given"))
        ),
        consent_note=forms.text("consent_note", label=N_("Consent record (form number, ...)")),
        actor=current_actor(),
    )
    flash(_("Campaign '%(name)s' created. Check who it picked, then run it.", name=campaign.name), "success")
    return redirect(url_for("console.donations.campaign", campaign_id=campaign.id), code=303)


@blueprint.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    """Show a campaign's progress and its per-volunteer results."""
    session = get_session()
    state = forms.choice("state", list(CampaignItemState), label=N_("Result"), required=False, where="args")
    return render_template(
        "console/donations/campaign.html",
        progress=donations_campaigns.campaign_progress(session, campaign_id),
        items=donations_campaigns.list_campaign_items(
            session, campaign_id, state=CampaignItemState(state) if state else None, limit=PAGE_SIZE,
            cursor=request.args.get("cursor") or None,
        ),
        state=state,
        item_states=list(CampaignItemState),
        completed=str(CampaignState.COMPLETED),
    )


@blueprint.post("/campaigns/<int:campaign_id>/run")
def run_campaign(campaign_id: int):
    """Ask for a campaign to be run (or resumed) by the background worker; its page shows the progress."""
    donations_campaigns.request_campaign_run(get_session(), campaign_id, actor=current_actor())
    flash(_("The run is requested. Its progress shows on this page shortly."), "success")
    return redirect(url_for("console.donations.campaign", campaign_id=campaign_id), code=303)
