"""GET /counter: the cashier's page (terminal sign-in, scan, amount, preview, PIN pad, receipt, refunds).

Static HTML, CSS and a little JavaScript calling the shop API; nothing is loaded from elsewhere, so
it works offline on a cheap tablet. USB and Bluetooth QR scanners type the payload into the focused
field and press Enter. Korean by default; ?lang=en or Accept-Language picks English.
"""

from __future__ import annotations

from flask import Blueprint

from mileage.http.pages import page_language, page_messages, render_page
from mileage.i18n import N_

blueprint = Blueprint(
    "counter_page",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/counter/static",
)


# The strings the page and its script use, by the key the script reads; their text is in the catalogue.
# Placeholders are {name}: the script fills them in.
MESSAGES = {
    "title": N_("Mileage counter"),
    "login_heading": N_("Terminal sign-in"),
    "key_id": N_("Terminal ID"),
    "secret": N_("Secret"),
    "remember": N_("Remember on this device"),
    "login_button": N_("Sign in"),
    "logout": N_("Sign out"),
    "scan_label": N_("Scan the QR code or the card number"),
    "scan_placeholder": N_("Scan, or type and press Enter"),
    "amount_label": N_("Purchase (won)"),
    "discount_label": N_("Points to use (optional)"),
    "discount_placeholder": N_("Empty: the most allowed"),
    "preview_heading": N_("Discount preview"),
    "holder": N_("Customer"),
    "card": N_("Card"),
    "card_dynamic": N_("Mobile QR"),
    "card_printed": N_("Printed card"),
    "discount": N_("Discount"),
    "tier": N_("Card tier"),
    "tier_benefit": N_("Tier discount (no points)"),
    "benefit_rate": N_("{p}%%"),
    "benefit_only": N_("Tier discount"),
    "to_pay": N_("To pay"),
    "pin_heading": N_("Enter the card PIN"),
    "pin_clear": N_("Clear"),
    "pin_back": N_("←"),
    "confirm": N_("Apply discount"),
    "working": N_("Working…"),
    "new_sale": N_("New sale"),
    "receipt_heading": N_("Discount applied"),
    "receipt_no": N_("Sale no."),
    "receipt_time": N_("Time"),
    "purchase": N_("Purchase"),
    "today_heading": N_("Today's sales"),
    "till_total": N_("Today: {count} sales · discount {gross} · refunds {refunds} · net {net}"),
    "empty": N_("No sales yet today."),
    "refund": N_("Refund"),
    "refund_amount": N_("Points to refund"),
    "refund_confirm": N_("Confirm refund"),
    "refund_done": N_("Refunded {n}."),
    "refunded": N_("refunded {n}"),
    "won": N_("{n} won"),
    "points": N_("{n} points"),
    "network_error": N_("Cannot reach the server. Try again shortly."),
    "session_expired": N_("Your sign-in has expired. Sign in again."),
    "scan_first": N_("Scan a card first."),
    "amount_first": N_("Enter the purchase amount."),
    "pin_first": N_("Enter the PIN."),
    "pin_backspace": N_("Delete the last digit"),
}


@blueprint.get("/counter")
def counter_page():
    """Render the cashier's counter page."""
    language = page_language()
    return render_page("counter/counter.html", language=language, messages=page_messages(MESSAGES, language))
