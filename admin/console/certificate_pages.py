"""Certificates of hours from the console: issue one for a volunteer and period, print it, revoke it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for

from admin.console import forms
from admin.console.i18n import N_, _
from admin.console.navigation import redirect_back
from mileage.claims import certificates
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, token_signer

blueprint = Blueprint("certificates", __name__, url_prefix="/certificates")


@blueprint.post("/")
def issue():
    """Issue a volunteer's certificate for a period and open its printable page."""
    volunteer_id = forms.integer("volunteer_id", label=N_("Volunteer"), required=True, minimum=1)
    start = forms.day("period_start", label=N_("From"), required=True)
    end = forms.day("period_end", label=N_("To"), required=True)
    certificate = certificates.issue_certificate(
        get_session(), volunteer_id, start, end, actor=current_actor(), centre_name=current_app.config["CENTRE_NAME"]
    )
    return redirect(_print_url(certificate.serial), code=303)


@blueprint.get("/<serial>")
def show(serial: str):
    """Open a certificate's printable page (staff may open any)."""
    return redirect(_print_url(certificates.get_certificate(get_session(), serial).serial), code=303)


@blueprint.post("/<serial>/revoke")
def revoke(serial: str):
    """Revoke a certificate; its verification page says so from now on."""
    reason = forms.text("reason", label=N_("Reason for revoking"), required=True, max_length=500)
    certificates.revoke_certificate(get_session(), serial, actor=current_actor(), reason=reason)
    flash(_("Certificate %(serial)s revoked.", serial=serial), "success")
    return redirect_back("console.dashboard")


def _print_url(serial: str) -> str:
    return url_for(
        "certificate_pages.print_certificate", serial=serial, token=certificates.print_token(token_signer(), serial)
    )
