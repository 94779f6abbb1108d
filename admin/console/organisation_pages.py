"""Organisations where volunteering happens, and their coordinators' sign-ins."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin.console import forms
from admin.console.i18n import N_, NP_, _, pgettext
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.people import organisations

blueprint = Blueprint("organisations", __name__, url_prefix="/organisations")

PAGE_SIZE = 50


@blueprint.get("/")
def index():
    """List organisations, optionally those whose name contains a text."""
    name = forms.text("name", label=NP_("organisations.name", "Name"), where="args", max_length=200)
    page = organisations.list_organisations(
        get_session(), name=name, limit=PAGE_SIZE, cursor=request.args.get("cursor") or None
    )
    return render_template("console/organisations/index.html", page=page, name=name)


@blueprint.post("/")
def create():
    """Register an organisation."""
    organisation = organisations.create_organisation(
        get_session(),
        actor=current_actor(),
        name=forms.text("name", label=NP_("organisations.name", "Name"), required=True, max_length=200),
        address=forms.text("address", label=N_("Address"), max_length=300),
        phone=forms.text("phone", label=N_("Phone"), max_length=20),
    )
    flash(pgettext("organisations.created", "%(name)s registered.", name=organisation.name), "success")
    return redirect(url_for("console.organisations.detail", organisation_id=organisation.id), code=303)


@blueprint.get("/<int:organisation_id>")
def detail(organisation_id: int):
    """Show an organisation and its coordinators."""
    session = get_session()
    organisation = organisations.get_organisation(session, organisation_id)
    coordinators = organisations.list_coordinators(
        session, organisation_id, limit=PAGE_SIZE, cursor=request.args.get("cursor") or None
    )
    return render_template("console/organisations/detail.html", organisation=organisation, coordinators=coordinators)


@blueprint.post("/<int:organisation_id>/coordinators")
def create_coordinator(organisation_id: int):
    """Create a coordinator's sign-in for the organisation."""
    user = organisations.create_coordinator(
        get_session(),
        organisation_id,
        actor=current_actor(),
        username=forms.text("username", label=N_("Username"), required=True, max_length=64),
        password=request.form.get("password", ""),
        display_name=forms.text("display_name", label=N_("Coordinator's name"), max_length=100),
    )
    flash(_("Coordinator %(username)s created.", username=user.username), "success")
    return redirect(url_for("console.organisations.detail", organisation_id=organisation_id), code=303)
