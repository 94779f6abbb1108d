"""GET /counter: the cashier's page (terminal sign-in, scan, amount, preview, PIN pad, receipt, refunds).

Static HTML, CSS and a little JavaScript calling the shop API; nothing is loaded from elsewhere, so
it works offline on a cheap tablet. USB and Bluetooth QR scanners type the payload into the focused
field and press Enter. Korean by default; ?lang=en or Accept-Language picks English.
"""

from __future__ import annotations

from flask import Blueprint

from mileage.http.pages import page_language, page_messages, render_page
from mileage.i18n import N_, NP_

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
    "remember": N_("Stay signed in on this device (30 days; the secret is not kept)"),
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
    "refund_amount": N_("Refund (won, at most {n})"),
    "refund_confirm": N_("Confirm refund"),
    "refund_done": N_("Sale #{id}: refunded {n}."),
    "refunded": N_("refunded {n}"),
    "won": N_("{n} won"),
    "points": N_("{n} points"),
    "network_error": N_("Cannot reach the server. Try again shortly."),
    "session_expired": N_("Your sign-in has expired. Sign in again."),
    "scan_first": N_("Scan a card first."),
    "amount_first": N_("Enter the purchase amount."),
    "pin_first": N_("Enter the PIN."),
    "pin_backspace": N_("Delete the last digit"),
    "refund_all": NP_("counter page", "All"),
    "refund_question": N_("Customer {holder} · sale #{id}: give {n} back to the card?"),
    "refund_amount_first": N_("Enter the amount to refund."),
    "refund_too_much": N_("This sale can be refunded at most {n}."),
    "purchase_of": N_("purchase {n}"),
    "cancel": N_("Cancel"),
    "min_purchase_hint": N_("The minimum purchase is {n}."),
    "reduced": N_("Asked for {requested}, discounting {discount}: {reason}"),
    "reduced_by_cap": N_("the shop's cap per purchase is {cap}."),
    "reduced_by_rate": N_("the rate is {rate}%% of the purchase."),
    "reduced_by_balance": N_("the card's balance is lower."),
    "retry_sale": N_("Your sign-in was renewed. Enter the PIN again and press Apply discount."),
}


@blueprint.get("/counter")
def counter_page():
    """Render the cashier's counter page."""
    language = page_language()
    return render_page("counter/counter.html", language=language, messages=page_messages(MESSAGES, language))
