"""Uploading hours from a spreadsheet: choose a file, read the preview of every row, confirm once."""

from __future__ import annotations

import io

from flask import Blueprint, current_app, render_template, request, send_file

from admin.console import forms
from admin.console.i18n import N_
from mileage.claims import exchange_1365, submission, uploads
from mileage.claims.upload_template import build_upload_template
from mileage.errors import ImportFileEmpty
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.http.locale import select_language
from mileage.people import organisations

blueprint = Blueprint("uploads", __name__, url_prefix="/uploads")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(report=None, portal_report=None):
    return render_template(
        "console/uploads/index.html",
        report=report,
        portal_report=portal_report,
        format_clock_time=submission.format_clock_time,
        organisations=organisations.list_organisations(get_session(), limit=500).items,
    )


@blueprint.get("/")
def index():
    """Show the upload form and the template link."""
    return _page()


@blueprint.get("/template.xlsx")
def template():
    """Download the .xlsx template (its card-number column is text)."""
    return send_file(
        io.BytesIO(build_upload_template(select_language())), mimetype=XLSX_MIMETYPE, as_attachment=True,
        download_name="봉사시간-양식.xlsx",
    )


@blueprint.post("/")
def preview():
    """Read an uploaded CSV or .xlsx file and show what confirming it would do; nothing is posted."""
    organisation_id = forms.integer("organisation_id", label=N_("Organisation"), minimum=1)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ImportFileEmpty()
    report = uploads.preview_claim_upload(
        get_session(), upload.read(uploads.MAX_UPLOAD_BYTES + 1), actor=current_actor(),
        policy=current_app.config["CLAIM_POLICY"], default_organisation_id=organisation_id,
        filename=upload.filename,
    )
    return _page(report)


@blueprint.post("/<int:upload_id>/confirm")
def confirm(upload_id: int):
    """Create the claims of a previewed upload (once; confirming again shows the same result)."""
    report = uploads.confirm_claim_upload(
        get_session(), upload_id, actor=current_actor(), policy=current_app.config["CLAIM_POLICY"]
    )
    return _page(report)


@blueprint.get("/1365/export")
def export_1365():
    """Download the approved hours of a period in the 1365 bulk shape."""
    date_from = forms.day("date_from", label=N_("From"), required=True, where="args")
    date_to = forms.day("date_to", label=N_("To"), required=True, where="args")
    profile = current_app.config["EXCHANGE_1365_PROFILE"]
    exported = exchange_1365.export_approved_hours(
        get_session(), date_from=date_from, date_to=date_to, profile=profile, actor=current_actor()
    )
    return send_file(io.BytesIO(exported.content), mimetype=f"text/csv; charset={profile.encoding}",
                     as_attachment=True, download_name=exported.filename)


@blueprint.post("/1365/import")
def import_1365():
    """Import a 1365 hours file: certified rows become approved claims once; refused rows are listed."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ImportFileEmpty()
    report = exchange_1365.import_1365_hours(
        get_session(), upload.read(), actor=current_actor(), policy=current_app.config["CLAIM_POLICY"],
        profile=current_app.config["EXCHANGE_1365_PROFILE"], filename=upload.filename,
    )
    return _page(portal_report=report)
