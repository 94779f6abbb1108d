"""GET /m: the volunteer's mobile page (balance, QR, donations, expiring points, history, claims, statement, PIN).

The page is static HTML, CSS and a little JavaScript that calls the JSON API with the volunteer's
bearer token (kept in sessionStorage). It is Korean by default; ?lang=en or Accept-Language picks
English.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from mileage import i18n
from mileage.http.pages import page_language, page_messages, render_page
from mileage.i18n import N_, NP_
from mileage.labels import LABELS, label
from mileage.volunteer_api.intake_messages import INTAKE_MESSAGES

blueprint = Blueprint(
    "volunteer_page",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/m/static",
)


# The strings the page and its script use, by the key the script reads; their text is in the catalogue.
# Placeholders are {name}: the script fills them in.
MESSAGES = {
    "title": N_("Volunteer Mileage"),
    "login_heading": N_("Sign in"),
    "username": N_("Username"),
    "password": N_("Password"),
    "login_button": N_("Sign in"),
    "logout": N_("Sign out"),
    "not_volunteer": N_("Sign in with a volunteer account."),
    "session_expired": N_("Your sign-in has expired. Sign in again."),
    "network_error": N_("Cannot reach the server. Try again shortly."),
    "balance_label": N_("Available mileage"),
    "points": N_("{n} points"),
    "card_label": N_("Card"),
    "status_active": N_("Active"),
    "status_lost": N_("Reported lost"),
    "status_blocked": N_("Blocked"),
    "status_replaced": N_("Replaced"),
    "qr_heading": N_("QR for partner shops"),
    "qr_hint": N_("Show this code at a partner shop's counter. It works once and renews itself."),
    "qr_alt": N_("QR code for partner shops"),
    "qr_countdown": N_("New code in {s} s"),
    "qr_refresh": N_("Get a new code"),
    "history_heading": N_("History"),
    "claims_heading": N_("My hours claims"),
    "more": N_("Show more"),
    "empty": N_("Nothing here yet."),
    "balance_after": N_("Balance {n}"),
    "minutes": N_("{h} h {m} min"),
    "claim_submitted": N_("In review"),
    "claim_approved": N_("Approved"),
    "claim_rejected": N_("Rejected"),
    "claim_reversed": N_("Reversed"),
    "tier_label": N_("Tier {tier}"),
    "tier_next": N_("{h} hours to the next tier ({tier})"),
    "tier_top": N_("This is the top tier"),
    "tier_keep": N_("To keep it: at least {need} hours in the last year (now {have})"),
    "tier_keep_missed": N_("Fewer than {need} hours in the last year: one tier down applies (now {have})"),
    "withheld_lifetime_cap": N_("{n} points not credited: the lifetime cap is reached"),
    "withheld_yearly_cap": N_("{n} points not credited: this year's cap is reached"),
    "withheld_previous_year_hours": N_("{n} points not credited: last year's volunteer hours were too few"),
    "statement_heading": N_("Statement"),
    "statement_hint": N_("Leave the dates empty for the whole history."),
    "from": N_("From"),
    "to": N_("To"),
    "statement_download": N_("Download statement (CSV)"),
    "pin_heading": N_("Card PIN"),
    "pin_hint": N_("4 to 6 digits, asked for when you pay with the printed card."),
    "pin_is_set": N_("A PIN is set."),
    "pin_not_set": N_("No PIN yet."),
    "pin_locked": N_("The PIN is locked. Contact the volunteer centre."),
    "current_pin": N_("Current PIN"),
    "new_pin": N_("New PIN"),
    "pin_save": N_("Save PIN"),
    "pin_saved": N_("PIN saved."),
    "donate_heading": N_("Donate points"),
    "donate_hint": N_(
        "Give your mileage to a cause that helps neighbours. Every donation gets a receipt."
    ),
    "donate_button": N_("Donate"),
    "donate_cause": N_("Cause"),
    "donate_no_causes": N_("No cause is open to donations right now."),
    "cause_raised": N_("{n} raised"),
    "cause_target": N_("target {n}"),
    "donate_points": N_("Points to donate"),
    "donate_available": N_("Available balance: {n} points"),
    "donate_next": N_("Next"),
    "cancel": N_("Cancel"),
    "donate_pick_cause": N_("Choose a cause."),
    "donate_whole_number": N_("Enter a whole number of points, 1 or more."),
    "donate_over_balance": N_("You cannot donate more than your balance ({n} points)."),
    "confirm_heading": N_("Check your donation"),
    "confirm_cause": N_("Cause"),
    "confirm_points": N_("Points"),
    "confirm_balance_after": N_("Balance after"),
    "donate_confirm": N_("Confirm donation"),
    "donate_retry": N_("Try again"),
    "donate_sending": N_("Donating…"),
    "donate_back": N_("Change"),
    "receipt_heading": N_("Donation receipt"),
    "receipt_number": N_("Receipt number"),
    "receipt_date": N_("Donated at"),
    "receipt_balance": N_("Balance now"),
    "receipt_thanks": N_("Thank you for your donation."),
    "done": N_("Done"),
    "expiry_heading": N_("Points about to expire"),
    "expiry_none": N_("No points expire before {until}."),
    "expiry_total": N_("{n} will expire by {until}."),
    "expiry_rule": N_(
        "Points expire {years} years after they were credited, oldest first. "
        "Points you spend or donate before then do not expire."
    ),
    "expiry_to_cause": N_("Expiring points will be donated to {cause}."),
    "expiry_donation_label": N_("Donate expiring points"),
    "expiry_donation_off": N_("Do not donate (let them expire)"),
    "expiry_donation_hint": N_(
        "Choose a cause and points about to expire are donated to it instead, with a receipt."
    ),
    "expiry_donation_closed": N_(
        "The cause you chose ({cause}) is closed, so your points will simply expire. Choose another cause."
    ),
    "closed_suffix": N_(" (closed)"),
    "expiry_donation_save": N_("Save setting"),
    "saved": N_("Saved."),
    "tabs_label": N_("Sections"),
    "tab_card": N_("Card"),
    "tab_history": NP_("phone page", "History"),
    "tab_claims": NP_("phone tab", "Hours"),
    "tab_donate": NP_("phone page", "Donate"),
    "tab_settings": N_("Settings"),
    "paid_notice": N_("A shop has used your QR code. You have {n} left. A new QR code is ready."),
    "card_lost": N_(
        "This card was reported lost and cannot be used at shops. Your points are safe. "
        "Contact the volunteer centre for a new card."
    ),
    "card_blocked": N_("This card is blocked. Your points are safe. Contact the volunteer centre."),
    "card_replaced": N_("This card has been replaced. Your new card is ready at the volunteer centre."),
    "card_pin_locked": N_("The card is locked after too many wrong PINs. The volunteer centre can unlock it."),
    "card_reissued": N_(
        "Your new card (ending {new}) is ready. Your points moved to it; "
        "the old card (ending {old}) no longer works."
    ),
    "month_heading": N_("Statement by month"),
    "month_label": N_("{m}/{y}"),
    "month_prev": N_("Previous month"),
    "month_next": N_("Next month"),
    "month_opening": N_("Opening balance"),
    "month_closing": N_("Closing balance"),
    "month_earned": N_("Earned"),
    "month_used": N_("Used or donated"),
    "month_hours": NP_("phone page", "Hours"),
    "month_empty": N_("Nothing this month."),
    "statement_csv_heading": N_("Statement file (CSV)"),
    "statement_reversed": N_("The start date is after the end date. Swap the two dates."),
    "pin_retry": N_("Your sign-in was renewed. Enter the PIN again and save."),
    "settings_heading": N_("Settings"),
}


@blueprint.get("/m")
def volunteer_page():
    """Render the volunteer's mobile page."""
    language = page_language()
    messages = page_messages(MESSAGES, language)
    messages["kinds"] = {kind: label("entry_kind", kind, language) for kind in LABELS["entry_kind"]}
    return render_page(
        "volunteer_page/mobile.html", language=language, messages=messages,
        intake=page_messages(INTAKE_MESSAGES, language),
    )


@blueprint.get("/m/manifest.webmanifest")
def manifest():
    """Describe the page as a web app, so the volunteer can put her card on the home screen."""
    language = page_language()
    title = i18n.translate(language, MESSAGES["title"])
    icons = [
        {"src": url_for("volunteer_page.static", filename=f"icon-{size}.png"), "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ]
    response = jsonify({
        "name": title,
        "short_name": title,
        "lang": language,
        "start_url": url_for("volunteer_page.volunteer_page") + "#card",
        "scope": "/m",
        "display": "standalone",
        "background_color": "#f3f6f9",
        "theme_color": "#1f4e79",
        "icons": icons,
    })
    response.mimetype = "application/manifest+json"
    return response
