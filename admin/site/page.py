"""GET /site: the kiosk page on a coordinator's tablet at the volunteering site.

Static HTML, CSS and a little JavaScript calling the /site API (and, for a coordinator, the upload
API). Nothing is loaded from elsewhere. A USB or Bluetooth scanner types the QR payload or the
printed card number into the focused field and presses Enter. Korean by default; ?lang=en or
Accept-Language picks English.
"""

from __future__ import annotations

from flask import Blueprint

from mileage import i18n
from mileage.claims.categories import CATEGORIES
from mileage.http.pages import page_language, page_messages, render_page
from mileage.i18n import N_

blueprint = Blueprint(
    "site_page", __name__, template_folder="templates", static_folder="static", static_url_path="/site/static"
)

# key → msgid; `{name}` placeholders are filled in by site.js.
MESSAGES = {
    "title": N_("Site check-in"),
    "login_heading": N_("Sign in"),
    "as_coordinator": N_("Coordinator"),
    "as_device": N_("Site device"),
    "username": N_("Username"),
    "password": N_("Password"),
    "key_id": N_("Device id"),
    "secret": N_("Secret"),
    "login_button": N_("Sign in"),
    "logout": N_("Sign out"),
    "category_label": N_("Kind of volunteering (at check-in)"),
    "scan_label": N_("Scan the volunteer's QR code or card"),
    "scan_placeholder": N_("Scan, or type the card number and press Enter"),
    "scan_hint": N_("The first scan checks in; scanning the same card again checks out."),
    "visits_heading": N_("Today's visits"),
    "visits_empty": N_("Nobody has checked in yet today."),
    "state_open": N_("Volunteering"),
    "state_closed": N_("Checked out, waiting for review"),
    "state_flagged": N_("Needs checking"),
    "in": N_("In"),
    "out": N_("Out"),
    "claim": N_("Claim"),
    "correct": N_("Correct times"),
    "save": N_("Save"),
    "saved": N_("Times corrected."),
    "upload_heading": N_("Upload a file of hours"),
    "upload_help": N_(
        "Upload a CSV or Excel (.xlsx) file to preview every row; nothing is recorded until you confirm."
    ),
    "template": N_("Download the Excel template"),
    "preview": N_("Preview"),
    "confirm": N_("Record {n} claims"),
    "preview_summary": N_("{rows} rows: {ok} ok, {warnings} warnings, {errors} errors"),
    "confirmed_summary": N_("{created} recorded, {skipped} already on record, {errors} errors"),
    "status_ok": N_("OK"),
    "status_warning": N_("Warning"),
    "status_error": N_("Error"),
    "devices_heading": N_("Site devices"),
    "devices_help": N_("Register a tablet that checks volunteers in without you; its secret is shown once."),
    "device_name": N_("Device name (e.g. ground-floor door)"),
    "device_create": N_("Register device"),
    "device_secret": N_("Device id {key_id} · secret {secret} (shown only now)"),
    "device_revoke": N_("Revoke"),
    "device_revoked": N_("revoked"),
    "network_error": N_("Cannot reach the server. Try again shortly."),
    "session_expired": N_("Your sign-in has expired. Sign in again."),
}


@blueprint.get("/site")
def site_page():
    """Render the site kiosk page."""
    language = page_language()
    messages = page_messages(MESSAGES, language)
    messages["categories"] = [i18n.translate_in_context(language, *category) for category in CATEGORIES]
    return render_page("site/kiosk.html", language=language, messages=messages)
