"""Volunteers and their cards: search, enrolment, the profile with its history, card and PIN actions,
and donations made on a volunteer's behalf."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin.console import forms
from admin.console.donation_pages import active_causes
from admin.console.i18n import N_, NP_, _, console_language, label, number, pgettext
from admin.console.navigation import redirect_back
from mileage.cards import lifecycle, pins, statements
from mileage.claims import certificates, queue, submission
from mileage.donations import donate as donations_donate
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.models import ConsentMethod, VolunteerStatus
from mileage.people import authentication, volunteers
from mileage.tiers.history import tier_history
from mileage.tiers.standing import tier_standing

blueprint = Blueprint("volunteers", __name__, url_prefix="/volunteers")

SEARCH_PAGE_SIZE = 30
HISTORY_PAGE_SIZE = 20
RECENT_CLAIMS = 10
# Staff record consent given on paper or out loud; in-app consent is the volunteer's own donation.
DESK_CONSENT_METHODS = (ConsentMethod.WRITTEN, ConsentMethod.VERBAL)


@blueprint.get("/")
def search():
    """Find volunteers by part of a name, phone digits, a card number or a 1365 id."""
    query = forms.text("q", label=NP_("volunteers.search", "Search"), where="args", max_length=100)
    status = forms.choice("status", list(VolunteerStatus), label=N_("Status"), required=False, where="args")
    page = volunteers.search_volunteers(
        get_session(), query, status=status, limit=SEARCH_PAGE_SIZE, cursor=request.args.get("cursor") or None
    )
    return render_template(
        "console/volunteers/search.html", page=page, query=query, status=status, statuses=list(VolunteerStatus)
    )


@blueprint.get("/new")
def new():
    """Show the enrolment form."""
    return render_template("console/volunteers/new.html")


@blueprint.post("/")
def enrol():
    """Register a volunteer, with a sign-in when a username is given, and issue the first card if asked."""
    session = get_session()
    profile = volunteers.enrol_volunteer(
        session,
        actor=current_actor(),
        name=forms.text("name", label=NP_("volunteers.name", "Name"), required=True, max_length=100),
        phone=forms.text("phone", label=N_("Phone"), required=True, max_length=20),
        birth_date=forms.day("birth_date", label=N_("Date of birth")),
        portal_1365_id=forms.text("portal_1365_id", label=N_("1365 id"), max_length=32) or None,
        username=forms.text("username", label=N_("Username"), max_length=64) or None,
        password=request.form.get("password") or None,
    )
    if request.form.get("issue_card"):
        lifecycle.issue_card(session, profile.volunteer.id, actor=current_actor())
    flash(pgettext("volunteers.enrolled", "%(name)s registered.", name=profile.volunteer.name), "success")
    return redirect(url_for("console.volunteers.detail", volunteer_id=profile.volunteer.id), code=303)


@blueprint.get("/<int:volunteer_id>")
def detail(volunteer_id: int):
    """Show a volunteer: cards and balances, card actions, recent claims, history across all cards."""
    session = get_session()
    profile = volunteers.get_volunteer_profile(session, volunteer_id)
    history = statements.my_history(
        session, volunteer_id, limit=HISTORY_PAGE_SIZE, cursor=request.args.get("cursor") or None,
        language=console_language(),
    )
    claims = queue.list_claims(session, queue.ClaimFilter(volunteer_id=volunteer_id), limit=RECENT_CLAIMS)
    return render_template(
        "console/volunteers/detail.html",
        profile=profile,
        history=history,
        claims=claims.items,
        more_claims=claims.next_cursor is not None,
        causes=active_causes(session),
        consent_methods=[str(method) for method in DESK_CONSENT_METHODS],
        format_clock_time=submission.format_clock_time,
        certificates=certificates.list_certificates(session, volunteer_id),
        tier=tier_standing(session, volunteer_id),
        tier_history=tier_history(session, volunteer_id, limit=10),
    )


@blueprint.post("/<int:volunteer_id>/sign-ins/end")
def end_sign_ins(volunteer_id: int):
    """Sign the volunteer out of every phone (a lost phone): her refresh tokens stop working at once."""
    session = get_session()
    profile = volunteers.get_volunteer_profile(session, volunteer_id)
    if profile.login is None:
        raise forms.FormInvalid(field=_("Sign-in"))
    ended = authentication.end_sign_ins(session, profile.login.id, actor=current_actor())
    flash(_("Ended %(n)s phone sign-ins.", n=ended), "success")
    return redirect_back("console.volunteers.detail", volunteer_id=volunteer_id)


@blueprint.post("/<int:volunteer_id>/status")
def change_status(volunteer_id: int):
    """Mark a volunteer active or inactive."""
    status = forms.choice("status", list(VolunteerStatus), label=N_("Status"))
    volunteers.edit_volunteer(get_session(), volunteer_id, actor=current_actor(), status=status)
    flash(_("Status changed to %(status)s.", status=label("volunteer_status", status)), "success")
    return redirect_back("console.volunteers.detail", volunteer_id=volunteer_id)


@blueprint.post("/<int:volunteer_id>/cards")
def issue_card(volunteer_id: int):
    """Issue a volunteer's first card."""
    held = lifecycle.issue_card(get_session(), volunteer_id, actor=current_actor())
    flash(_("Card %(number)s issued.", number=held.card.number), "success")
    return redirect_back("console.volunteers.detail", volunteer_id=volunteer_id)


def _card_action(card_id: int, action, message: str):
    held = action(get_session(), card_id, actor=current_actor())
    flash(_(message, number=held.card.number), "success")
    return redirect_back("console.volunteers.detail", volunteer_id=held.card.volunteer_id)


@blueprint.post("/cards/<int:card_id>/lost")
def report_lost(card_id: int):
    """Report a card lost: refused everywhere at once; its points wait for the reissue."""
    return _card_action(
        card_id, lifecycle.report_lost, N_("Card %(number)s reported lost. Reissue it to move the balance.")
    )


@blueprint.post("/cards/<int:card_id>/block")
def block(card_id: int):
    """Block a card."""
    return _card_action(card_id, lifecycle.block_card, N_("Card %(number)s blocked."))


@blueprint.post("/cards/<int:card_id>/unblock")
def unblock(card_id: int):
    """Make a blocked card active again."""
    return _card_action(card_id, lifecycle.unblock_card, N_("Card %(number)s unblocked."))


@blueprint.post("/cards/<int:card_id>/reissue")
def reissue(card_id: int):
    """Replace a card with a new number; its whole balance moves to the new card."""
    return _card_action(card_id, lifecycle.reissue_card, N_("Reissued as card %(number)s."))


@blueprint.post("/cards/<int:card_id>/unlock")
def unlock_pin(card_id: int):
    """Lift a PIN lock after checking the volunteer's identity."""
    return _card_action(card_id, pins.unlock_pin, N_("PIN of card %(number)s unlocked."))


@blueprint.post("/cards/<int:card_id>/pin")
def reset_pin(card_id: int):
    """Set the new PIN the volunteer typed at the desk (this also lifts a PIN lock)."""
    held = pins.reset_pin(get_session(), card_id, request.form.get("pin", ""), actor=current_actor())
    flash(_("PIN of card %(number)s changed.", number=held.card.number), "success")
    return redirect_back("console.volunteers.detail", volunteer_id=held.card.volunteer_id)


@blueprint.post("/<int:volunteer_id>/donate")
def donate(volunteer_id: int):
    """Convert some of a volunteer's points into a donation for them, with their recorded consent."""
    consent = donations_donate.Consent(
        method=ConsentMethod(forms.choice("consent_method", DESK_CONSENT_METHODS, label=N_("Consent given"))),
        witness_name=forms.text("witness_name", label=N_("Witness"), max_length=100) or None,
        note=forms.text("consent_note", label=N_("Consent record (form number, ...)"), max_length=500),
    )
    donation = donations_donate.donate_on_behalf(
        get_session(),
        volunteer_id=volunteer_id,
        cause_id=forms.integer("cause_id", label=N_("Cause"), required=True, minimum=1),
        points=forms.integer("points", label=NP_("donations.points", "Points"), required=True, minimum=1),
        consent=consent,
        actor=current_actor(),
        idempotency_key=donation_key(),
    )
    flash(
        _("%(points)s points donated. Receipt %(receipt)s", points=number(donation.points),
          receipt=donation.receipt_number),
        "success",
    )
    return redirect_back("console.volunteers.detail", volunteer_id=volunteer_id)



def donation_key() -> str | None:
    """Return the ledger key of a donation form, scoped to the signed-in user, so sending it twice posts once."""
    key = forms.form_key()
    return donations_donate.donation_ledger_key(f"console:{current_actor().user_id}", key) if key else None
