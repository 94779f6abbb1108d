"""Partner shops: registration, status, their offers (versioned) and terminals, recent redemptions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin.console import forms
from admin.console.i18n import N_, NP_, _, label, text
from admin.console.navigation import redirect_back
from mileage.claims import submission
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.models import MerchantStatus
from mileage.programme.book import current_rule_set
from mileage.shops import benefits as shop_benefits
from mileage.shops import merchants, redemptions, terminal_sessions, terminals
from mileage.shops import offers as shops_offers

blueprint = Blueprint("merchants", __name__, url_prefix="/merchants")

PAGE_SIZE = 50
RECENT_REDEMPTIONS = 20


@blueprint.get("/")
def index():
    """List partner shops, newest first, with the offer each has now."""
    session = get_session()
    status = forms.choice("status", list(MerchantStatus), label=N_("Status"), required=False, where="args")
    page = merchants.list_merchants(session, status=status, limit=PAGE_SIZE, cursor=request.args.get("cursor") or None)
    offers = {merchant.id: shops_offers.find_current_offer(session, merchant.id) for merchant in page.items}
    return render_template(
        "console/merchants/index.html", page=page, offers=offers, status=status, statuses=list(MerchantStatus)
    )


@blueprint.post("/")
def register():
    """Register a partner shop; it stays pending until activated."""
    merchant = merchants.register_merchant(
        get_session(),
        name=forms.text("name", label=NP_("merchants.name", "Name"), required=True, max_length=200),
        business_number=forms.text("business_number", label=N_("Business number"), required=True, max_length=20),
        address=forms.text("address", label=N_("Address"), max_length=300),
        category=forms.text("category", label=NP_("merchants.category", "Category"), max_length=50),
        contact=forms.text("contact", label=N_("Contact"), max_length=100),
        actor=current_actor(),
    )
    flash(_("%(name)s registered. Set its offer and activate it.", name=merchant.name), "success")
    return redirect(url_for("console.merchants.detail", merchant_id=merchant.id), code=303)


@blueprint.get("/<int:merchant_id>")
def detail(merchant_id: int):
    """Show a shop: its details, offer versions, terminals and latest redemptions."""
    session = get_session()
    merchant = merchants.get_merchant(session, merchant_id)
    return render_template(
        "console/merchants/detail.html",
        merchant=merchant,
        offers=shops_offers.list_offer_versions(session, merchant_id),
        terminals=terminals.list_terminals(session, merchant_id),
        recent=redemptions.list_redemptions(session, merchant_id, limit=RECENT_REDEMPTIONS).items,
        next_statuses=sorted(merchants.ALLOWED_STATUS_CHANGES[MerchantStatus(merchant.status)]),
        weekday_names=shops_offers.weekday_names,
        all_weekdays=shops_offers.WEEKDAY_NAMES,
        format_clock_time=submission.format_clock_time,
        tier_benefit=shop_benefits.current_tier_benefit(session, merchant_id),
        tier_names=[tier.name for tier in current_rule_set(session).tiers],
    )


@blueprint.post("/<int:merchant_id>/tier-benefit")
def set_tier_benefit(merchant_id: int):
    """Set the shop's discount for card holders of a minimum tier (0 % stops it); no points are deducted."""
    percent = forms.integer("benefit_percent", label=N_("Rate"), required=True, minimum=0)
    if percent > 100:
        raise forms.FormInvalid(field=_("Rate"))
    shop_benefits.set_tier_benefit(
        get_session(), merchant_id, rate_bp=percent * 100,
        min_tier=forms.text("min_tier", label=N_("Minimum tier"), required=True, max_length=30),
        actor=current_actor(),
    )
    flash(_("Tier discount saved."), "success")
    return redirect_back("console.merchants.detail", merchant_id=merchant_id)


@blueprint.post("/<int:merchant_id>/status")
def change_status(merchant_id: int):
    """Activate or suspend a shop."""
    target = MerchantStatus(forms.choice("status", list(MerchantStatus), label=N_("Status")))
    merchant = merchants.change_merchant_status(get_session(), merchant_id, target, actor=current_actor())
    status = label("merchant_status", merchant.status)
    flash(_("%(name)s is now %(status)s.", name=merchant.name, status=status), "success")
    return redirect_back("console.merchants.detail", merchant_id=merchant_id)


def _rate_basis_points() -> int:
    """Return the discount rate typed as a percentage ("5", "2.5") in basis points, without floats.

    :raises FormInvalid:
    """
    raw = forms.text("rate_percent", label=N_("Rate"), required=True, max_length=8)
    try:
        basis_points = Decimal(raw) * 100
    except InvalidOperation as exc:
        raise forms.FormInvalid(field=_("Rate")) from exc
    if basis_points != basis_points.to_integral_value():
        raise forms.FormInvalid(field=_("Rate"))
    return int(basis_points)


def _share_basis_points() -> int | None:
    """Return the share of the bill points may pay, typed as a whole percentage, in basis points."""
    share = forms.integer("max_share_percent", label=N_("Points may pay at most"), minimum=1)
    if share is not None and share > 100:
        raise forms.FormInvalid(field=_("Points may pay at most"))
    return share * 100 if share is not None else None


def _clock_time(name: str, label: str) -> int | None:
    raw = forms.text(name, label=label, max_length=5)
    if not raw:
        return None
    try:
        return submission.parse_clock_time(raw)
    except ValueError as exc:
        raise forms.FormInvalid(field=text(label)) from exc


@blueprint.post("/<int:merchant_id>/offers")
def set_offer(merchant_id: int):
    """Add a new version of the shop's offer; earlier sales keep the version they used."""
    days = [day for day in request.form.getlist("days") if re.fullmatch(r"[a-z]{3}", day)]
    offer = shops_offers.set_offer(
        get_session(),
        merchant_id,
        rate_bp=_rate_basis_points(),
        max_discount=forms.integer("max_discount", label=N_("Max discount"), required=True),
        min_purchase=forms.integer("min_purchase", label=N_("Min purchase")) or 0,
        days=days or None,
        start_minute=_clock_time("start", "merchants.hours_from"),
        end_minute=_clock_time("end", "merchants.hours_to"),
        max_share_bp=_share_basis_points(),
        no_partial_payment=request.form.get("no_partial_payment") == "1",
        actor=current_actor(),
    )
    flash(_("Offer version %(version)s saved.", version=offer.version), "success")
    return redirect_back("console.merchants.detail", merchant_id=merchant_id)


@blueprint.post("/<int:merchant_id>/terminals")
def create_terminal(merchant_id: int):
    """Give the shop a terminal; its secret is shown on this page only, once."""
    credentials = terminals.create_terminal(
        get_session(), merchant_id, label=forms.text("label", label=N_("Terminal name"), max_length=100),
        actor=current_actor(),
    )
    return render_template("console/merchants/terminal_secret.html", credentials=credentials)


@blueprint.post("/terminals/<int:terminal_id>/rotate")
def rotate_terminal(terminal_id: int):
    """Give a terminal a new secret, shown once; the old one stops working."""
    credentials = terminals.rotate_terminal_secret(get_session(), terminal_id, actor=current_actor())
    return render_template("console/merchants/terminal_secret.html", credentials=credentials)


@blueprint.post("/terminals/<int:terminal_id>/revoke")
def revoke_terminal(terminal_id: int):
    """Revoke a terminal: its secret and tokens stop working at once."""
    terminal = terminals.revoke_terminal(get_session(), terminal_id, actor=current_actor())
    flash(_("Terminal %(key_id)s revoked.", key_id=terminal.key_id), "success")
    return redirect_back("console.merchants.detail", merchant_id=terminal.merchant_id)


@blueprint.post("/terminals/<int:terminal_id>/sessions/end")
def end_terminal_sessions(terminal_id: int):
    """Sign out every counter page signed in as a terminal (a lost tablet); its secret still works."""
    ended = terminal_sessions.end_terminal_sessions(get_session(), terminal_id, actor=current_actor())
    terminal = terminals.get_terminal(get_session(), terminal_id)
    flash(_("Ended %(n)s counter sessions of terminal %(key_id)s.", key_id=terminal.key_id, n=ended), "success")
    return redirect_back("console.merchants.detail", merchant_id=terminal.merchant_id)
