"""Staff hours API: volunteers, cards, organisations, coordinators, and hours claims.

Staff and admins change things; auditors read everything here and change nothing; a coordinator
submits, uploads and lists the claims of their own organisation only.
"""

import io

from flask import current_app, send_file

from admin.hours.schemas import (
    Staff1365ExportArgsSchema,
    Staff1365ImportArgsSchema,
    Staff1365ImportFileSchema,
    Staff1365ImportReportSchema,
    StaffBulkApproveResultSchema,
    StaffBulkApproveSchema,
    StaffClaimArgsSchema,
    StaffClaimImportArgsSchema,
    StaffClaimImportFileSchema,
    StaffClaimPageSchema,
    StaffClaimSchema,
    StaffClaimSubmitSchema,
    StaffCoordinatorCreateSchema,
    StaffCoordinatorPageSchema,
    StaffCoordinatorSchema,
    StaffHeldCardSchema,
    StaffImportReportSchema,
    StaffOrganisationArgsSchema,
    StaffOrganisationCreateSchema,
    StaffOrganisationPageSchema,
    StaffOrganisationSchema,
    StaffPageArgsSchema,
    StaffPinResetSchema,
    StaffPostingPageSchema,
    StaffReasonSchema,
    StaffUploadArgsSchema,
    StaffUploadFileSchema,
    StaffUploadReportSchema,
    StaffVolunteerEditSchema,
    StaffVolunteerPageSchema,
    StaffVolunteerProfileSchema,
    StaffVolunteerRegisterSchema,
    StaffVolunteerSearchArgsSchema,
    bulk_approve_body,
)
from mileage.cards import lifecycle, lookup, pins
from mileage.claims import exchange_1365, imports, queue, review, submission, uploads
from mileage.claims.rules import ClaimPolicy
from mileage.claims.upload_template import build_upload_template
from mileage.errors import NotOwner
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, current_principal, requires
from mileage.http.idempotency import idempotent
from mileage.http.locale import select_language
from mileage.http.preconditions import versioned
from mileage.models import Role, Volunteer
from mileage.people import organisations, volunteers
from mileage.people.roles import CLAIM_READERS, CLAIM_SUBMITTERS, STAFF, STAFF_READERS

blueprint = Blueprint(
    "admin_hours", __name__, url_prefix="/admin", description="Staff: volunteers, cards, organisations, hours claims"
)



def _policy() -> ClaimPolicy | None:
    return current_app.config["CLAIM_POLICY"]


def _organisation_scope() -> int | None:
    """Return the one organisation a coordinator is confined to; None for staff and auditors."""
    principal = current_principal()
    if principal.role != Role.COORDINATOR:
        return None
    if principal.organisation_id is None:
        # A coordinator attached to nothing may act for nothing, not for everything.
        raise NotOwner()
    return principal.organisation_id


# --- volunteers -----------------------------------------------------------------------------

@blueprint.route("/volunteers", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffVolunteerRegisterSchema)
@blueprint.response(201, StaffVolunteerProfileSchema)
def register_volunteer(body):
    """Register a volunteer, optionally with a sign-in (username and password)."""
    return volunteers.enrol_volunteer(get_session(), actor=current_actor(), **body)


@blueprint.route("/volunteers", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(StaffVolunteerSearchArgsSchema, location="query")
@blueprint.response(200, StaffVolunteerPageSchema)
def search_volunteers(args):
    """Search volunteers by part of a name, phone digits, a card number or a 1365 id."""
    return volunteers.search_volunteers(get_session(), args.pop("q", ""), **args)


@blueprint.route("/volunteers/<int:volunteer_id>", methods=["GET"])
@requires(*STAFF_READERS)
@versioned(Volunteer, "volunteer_id")
@blueprint.response(200, StaffVolunteerProfileSchema)
def get_volunteer(volunteer_id):
    """Return a volunteer with every card, the current balance and the sign-in."""
    return volunteers.get_volunteer_profile(get_session(), volunteer_id)


@blueprint.route("/volunteers/<int:volunteer_id>", methods=["PATCH"])
@requires(*STAFF)
@versioned(Volunteer, "volunteer_id")
@blueprint.arguments(StaffVolunteerEditSchema)
@blueprint.response(200, StaffVolunteerProfileSchema)
def edit_volunteer(changes, volunteer_id):
    """Change a volunteer's name, phone, birth date, 1365 id or status (only the fields sent)."""
    return volunteers.edit_volunteer(get_session(), volunteer_id, actor=current_actor(), **changes)


# --- cards ----------------------------------------------------------------------------------

@blueprint.route("/volunteers/<int:volunteer_id>/cards", methods=["POST"])
@requires(*STAFF)
@blueprint.response(201, StaffHeldCardSchema)
def issue_card(volunteer_id):
    """Issue a volunteer's first card."""
    return lifecycle.issue_card(get_session(), volunteer_id, actor=current_actor())


@blueprint.route("/cards/<int:card_id>/lost", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, StaffHeldCardSchema)
def report_card_lost(card_id):
    """Report a card lost: it is refused at once and its points wait for the reissue."""
    return lifecycle.report_lost(get_session(), card_id, actor=current_actor())


@blueprint.route("/cards/<int:card_id>/block", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, StaffHeldCardSchema)
def block_card(card_id):
    """Block an active card."""
    return lifecycle.block_card(get_session(), card_id, actor=current_actor())


@blueprint.route("/cards/<int:card_id>/unblock", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, StaffHeldCardSchema)
def unblock_card(card_id):
    """Make a blocked card active again."""
    return lifecycle.unblock_card(get_session(), card_id, actor=current_actor())


@blueprint.route("/cards/<int:card_id>/reissue", methods=["POST"])
@idempotent(required=False)
@requires(*STAFF)
@blueprint.response(201, StaffHeldCardSchema)
def reissue_card(card_id):
    """Replace a card with a new number and move its whole balance to it; return the new card."""
    return lifecycle.reissue_card(get_session(), card_id, actor=current_actor())


@blueprint.route("/cards/<int:card_id>/pin", methods=["PUT"])
@requires(*STAFF)
@blueprint.arguments(StaffPinResetSchema)
@blueprint.response(200, StaffHeldCardSchema)
def reset_pin(body, card_id):
    """Set the PIN the volunteer chose at the desk; this also lifts a PIN lock."""
    return pins.reset_pin(get_session(), card_id, body["pin"], actor=current_actor())


@blueprint.route("/cards/<int:card_id>/unlock", methods=["POST"])
@requires(*STAFF)
@blueprint.response(200, StaffHeldCardSchema)
def unlock_pin(card_id):
    """Lift the lock that repeated wrong PINs put on a card."""
    return pins.unlock_pin(get_session(), card_id, actor=current_actor())


@blueprint.route("/cards/<int:card_id>/history", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(StaffPageArgsSchema, location="query")
@blueprint.response(200, StaffPostingPageSchema)
def card_history(args, card_id):
    """Return a card's ledger postings, newest first."""
    return lookup.card_history(get_session(), card_id, **args)


# --- organisations and coordinators ---------------------------------------------------------

@blueprint.route("/organisations", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffOrganisationCreateSchema)
@blueprint.response(201, StaffOrganisationSchema)
def create_organisation(body):
    """Register an organisation where volunteering happens."""
    return organisations.create_organisation(get_session(), actor=current_actor(), **body)


@blueprint.route("/organisations", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(StaffOrganisationArgsSchema, location="query")
@blueprint.response(200, StaffOrganisationPageSchema)
def list_organisations(args):
    """List organisations, optionally those whose name contains a text."""
    return organisations.list_organisations(get_session(), **args)


@blueprint.route("/organisations/<int:organisation_id>/coordinators", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffCoordinatorCreateSchema)
@blueprint.response(201, StaffCoordinatorSchema)
def create_coordinator(body, organisation_id):
    """Create a coordinator's sign-in for one organisation."""
    return organisations.create_coordinator(get_session(), organisation_id, actor=current_actor(), **body)


@blueprint.route("/organisations/<int:organisation_id>/coordinators", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(StaffPageArgsSchema, location="query")
@blueprint.response(200, StaffCoordinatorPageSchema)
def list_coordinators(args, organisation_id):
    """List an organisation's coordinators."""
    return organisations.list_coordinators(get_session(), organisation_id, **args)


# --- claims ---------------------------------------------------------------------------------

@blueprint.route("/claims", methods=["POST"])
@idempotent(required=False)
@requires(*CLAIM_SUBMITTERS)
@blueprint.arguments(StaffClaimSubmitSchema)
@blueprint.response(201, StaffClaimSchema)
def submit_claim(body):
    """Submit one claim of hours; a coordinator only for their own organisation."""
    return submission.submit_claim_draft(
        get_session(),
        submission.ClaimDraft(**body),
        actor=current_actor(),
        policy=_policy(),
        organisation_scope=_organisation_scope(),
    )


@blueprint.route("/claims/import", methods=["POST"])
@idempotent(required=False)
@requires(*CLAIM_SUBMITTERS)
@blueprint.arguments(StaffClaimImportArgsSchema, location="query")
@blueprint.arguments(StaffClaimImportFileSchema, location="files")
@blueprint.response(200, StaffImportReportSchema)
def import_claims(args, files):
    """Upload a CSV (UTF-8 or CP949) or .xlsx of claims, Korean or English headers; get a report per row.

    Posts at once; POST /admin/claims/uploads previews first and confirms once.

    Columns, Korean or English header, any order: 카드번호/card_number or 봉사자ID/volunteer_id,
    이름/name (optional, must match), 기관ID/organisation_id (optional for a coordinator or with
    ?organisation_id=), 날짜/date (2025-03-14, 2025.03.14 or 2025/3/14), 시작/start and 종료/end
    (HH:MM, 24:00 ends the day), 분야/category, 비고/note (optional). Other columns are ignored.
    Rows are numbered as a spreadsheet numbers them (the header is row 1); each valid row becomes a
    submitted claim, and a row overlapping an earlier row or an existing claim is refused.
    """
    upload = files["file"]
    return imports.import_claims_csv(
        get_session(),
        upload.read(),
        actor=current_actor(),
        policy=_policy(),
        organisation_scope=_organisation_scope(),
        default_organisation_id=args.get("organisation_id"),
        filename=upload.filename or "",
    )


@blueprint.route("/claims", methods=["GET"])
@requires(*CLAIM_READERS)
@blueprint.arguments(StaffClaimArgsSchema, location="query")
@blueprint.response(200, StaffClaimPageSchema)
def list_claims(args):
    """List claims newest first, by state, organisation, volunteer and work dates."""
    limit, cursor = args.pop("limit", None), args.pop("cursor", None)
    return queue.list_claims(
        get_session(), queue.ClaimFilter(**args), organisation_scope=_organisation_scope(), limit=limit, cursor=cursor
    )


@blueprint.route("/claims/<int:claim_id>", methods=["GET"])
@requires(*CLAIM_READERS)
@blueprint.response(200, StaffClaimSchema)
def get_claim(claim_id):
    """Return one claim."""
    return review.get_claim_in_scope(get_session(), claim_id, organisation_scope=_organisation_scope())


@blueprint.route("/claims/<int:claim_id>/approve", methods=["POST"])
@idempotent(required=False)
@requires(*STAFF)
@blueprint.response(200, StaffClaimSchema)
def approve_claim(claim_id):
    """Approve a submitted claim: its points are credited to the volunteer's card once."""
    return review.approve_claim(get_session(), claim_id, actor=current_actor(), policy=_policy())


@blueprint.route("/claims/<int:claim_id>/reject", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(StaffReasonSchema)
@blueprint.response(200, StaffClaimSchema)
def reject_claim(body, claim_id):
    """Reject a submitted claim with a reason the volunteer will read."""
    return review.reject_claim(get_session(), claim_id, actor=current_actor(), reason=body["reason"])


@blueprint.route("/claims/bulk-approve", methods=["POST"])
@idempotent(required=False)
@requires(*STAFF)
@blueprint.arguments(StaffBulkApproveSchema)
@blueprint.response(200, StaffBulkApproveResultSchema)
def bulk_approve_claims(body):
    """Approve many claims; each succeeds or fails on its own and is reported by id."""
    result = review.approve_claims(get_session(), body["claim_ids"], actor=current_actor(), policy=_policy())
    return bulk_approve_body(body["claim_ids"], result)


@blueprint.route("/claims/<int:claim_id>/reverse", methods=["POST"])
@idempotent(required=False)
@requires(*STAFF)
@blueprint.arguments(StaffReasonSchema)
@blueprint.response(200, StaffClaimSchema)
def reverse_claim(body, claim_id):
    """Take back an approved claim's points; unrecovered_points says what was already spent."""
    return review.reverse_claim(get_session(), claim_id, actor=current_actor(), reason=body["reason"])


# --- spreadsheet uploads: preview, then confirm -------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blueprint.route("/claims/uploads/template.xlsx", methods=["GET"])
@requires(*CLAIM_READERS)
@blueprint.response(200, content_type=XLSX_MIMETYPE)
def download_upload_template():
    """Download the .xlsx template for hours (its card-number column is text, so Excel keeps 16 digits)."""
    return send_file(
        io.BytesIO(build_upload_template(select_language())), mimetype=XLSX_MIMETYPE, as_attachment=True,
        download_name="hours-template.xlsx",
    )


@blueprint.route("/claims/uploads", methods=["POST"])
@requires(*CLAIM_SUBMITTERS)
@blueprint.arguments(StaffUploadArgsSchema, location="query")
@blueprint.arguments(StaffUploadFileSchema, location="files")
@blueprint.response(201, StaffUploadReportSchema)
def preview_upload(args, files):
    """Upload a CSV or .xlsx file of hours and get a preview of every row; nothing is posted yet.

    Confirm with POST /admin/claims/uploads/{upload_id}/confirm. Columns as for /admin/claims/import,
    plus 1365 ID/portal_1365_id and 연락처/phone (a volunteer may be named by name + phone). Times
    09:00, 9:00, 09:00:00, 오전 9:00, 오후 1:30 or time cells; dates 2026-11-03, 2026.11.03,
    2026/11/3 or date cells.
    """
    upload = files["file"]
    return uploads.preview_claim_upload(
        get_session(), upload.read(uploads.MAX_UPLOAD_BYTES + 1), actor=current_actor(), policy=_policy(),
        organisation_scope=_organisation_scope(), default_organisation_id=args.get("organisation_id"),
        filename=upload.filename or "",
    )


@blueprint.route("/claims/uploads/<int:upload_id>/confirm", methods=["POST"])
@requires(*CLAIM_SUBMITTERS)
@blueprint.response(200, StaffUploadReportSchema)
def confirm_upload(upload_id):
    """Create the claims of a previewed upload; confirming again returns the same report (no duplicates)."""
    return uploads.confirm_claim_upload(
        get_session(), upload_id, actor=current_actor(), policy=_policy(), organisation_scope=_organisation_scope()
    )


# --- the 1365 exchange --------------------------------------------------------------------------

@blueprint.route("/claims/exchange-1365/export", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(Staff1365ExportArgsSchema, location="query")
@blueprint.response(200, content_type="text/csv")
def export_1365(args):
    """Download the approved hours of a period in the 1365 bulk shape (the configured profile)."""
    profile = current_app.config["EXCHANGE_1365_PROFILE"]
    exported = exchange_1365.export_approved_hours(
        get_session(), date_from=args["date_from"], date_to=args["date_to"], profile=profile,
        organisation_id=args.get("organisation_id"), actor=current_actor(),
    )
    response = send_file(io.BytesIO(exported.content), mimetype="text/csv", as_attachment=True,
                         download_name=exported.filename)
    response.headers["Content-Type"] = f"text/csv; charset={profile.encoding}"
    response.headers["X-Exported-Rows"] = str(exported.rows)
    response.headers["X-Skipped-Without-1365-Id"] = str(exported.skipped_without_1365_id)
    return response


@blueprint.route("/claims/exchange-1365/import", methods=["POST"])
@requires(*STAFF)
@blueprint.arguments(Staff1365ImportArgsSchema, location="query")
@blueprint.arguments(Staff1365ImportFileSchema, location="files")
@blueprint.response(200, Staff1365ImportReportSchema)
def import_1365(args, files):
    """Import a 1365 hours export: certified rows become approved claims, once; rule-breaking rows are reported."""
    upload = files["file"]
    return exchange_1365.import_1365_hours(
        get_session(), upload.read(), actor=current_actor(), policy=_policy(),
        profile=current_app.config["EXCHANGE_1365_PROFILE"], default_organisation_id=args.get("organisation_id"),
        filename=upload.filename or "",
    )
