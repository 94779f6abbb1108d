"""Request and response schemas of the staff hours API."""

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mileage.claims.review import recovered_points
from mileage.errors import DomainError
from mileage.http.errors import status_for
from mileage.http.locale import select_language
from mileage.http.schemas import ClockTime, page_schema
from mileage.ledger.memos import entry_memo
from mileage.models import ClaimState, VolunteerStatus
from mileage.pagination import MAX_PAGE_SIZE

MAX_BULK_CLAIMS = 500
PHONE = [
    validate.Length(min=3, max=20),
    validate.Regexp(r"^[0-9+() -]*[0-9][0-9+() -]*$", error="Use digits, spaces, dashes, + and parentheses."),
]
NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")


class StaffPageArgsSchema(Schema):
    cursor = fields.String(validate=validate.Length(min=1, max=100),
                           metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class StaffErrorItemSchema(Schema):
    code = fields.String(dump_only=True)
    status = fields.Integer(dump_only=True)
    message = fields.String(dump_only=True)


def error_item(error: DomainError | None) -> dict | None:
    """Return one failed item's error as reports show it, in the caller's language."""
    if error is None:
        return None
    return {"code": error.code, "status": status_for(error), "message": error.message(select_language())}


# --- volunteers and cards -------------------------------------------------------------------

class StaffVolunteerFieldsSchema(Schema):
    name = fields.String(validate=[validate.Length(min=1, max=100), NOT_BLANK])
    phone = fields.String(validate=PHONE)
    birth_date = fields.Date(allow_none=True)
    portal_1365_id = fields.String(allow_none=True, validate=validate.Length(max=32),
                                   metadata={"description": "id on the national volunteer portal (1365)"})


class StaffVolunteerRegisterSchema(StaffVolunteerFieldsSchema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), NOT_BLANK])
    phone = fields.String(required=True, validate=PHONE)
    username = fields.String(validate=validate.Length(min=3, max=64),
                             metadata={"description": "optional: also create the volunteer's sign-in"})
    password = fields.String(load_only=True, validate=validate.Length(max=256))

    @validates_schema
    def _password_with_username(self, data, **kwargs):
        if data.get("username") and not data.get("password"):
            raise ValidationError("A sign-in needs a password.", "password")
        if data.get("password") and not data.get("username"):
            raise ValidationError("A password needs a username.", "username")


class StaffVolunteerEditSchema(StaffVolunteerFieldsSchema):
    status = fields.String(validate=validate.OneOf([str(status) for status in VolunteerStatus]))


class StaffVolunteerSearchArgsSchema(StaffPageArgsSchema):
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "part of a name, phone digits, a card number or a 1365 id"})
    status = fields.String(validate=validate.OneOf([str(status) for status in VolunteerStatus]))


class StaffVolunteerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    birth_date = fields.Date(dump_only=True, allow_none=True)
    portal_1365_id = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


StaffVolunteerPageSchema = page_schema(StaffVolunteerSchema)


class StaffCardSchema(Schema):
    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    pin_set = fields.Function(lambda card: card.pin_hash is not None, dump_only=True)
    pin_locked = fields.Boolean(dump_only=True)
    pin_failed_attempts = fields.Integer(dump_only=True)
    replaced_by_card_id = fields.Integer(dump_only=True, allow_none=True)
    issued_at = fields.DateTime(dump_only=True)
    status_changed_at = fields.DateTime(dump_only=True)


class StaffHeldCardSchema(Schema):
    card = fields.Nested(StaffCardSchema, dump_only=True)
    balance = fields.Integer(dump_only=True)


class StaffLoginSchema(Schema):
    user_id = fields.Integer(attribute="id", dump_only=True)
    username = fields.String(dump_only=True)
    is_active = fields.Boolean(dump_only=True)


class StaffVolunteerProfileSchema(Schema):
    volunteer = fields.Nested(StaffVolunteerSchema, dump_only=True)
    cards = fields.List(fields.Nested(StaffHeldCardSchema), dump_only=True)
    current_card_id = fields.Function(lambda profile: profile.current_card and profile.current_card.id,
                                      dump_only=True, allow_none=True)
    balance = fields.Integer(dump_only=True, metadata={"description": "points on the current card"})
    login = fields.Nested(StaffLoginSchema, dump_only=True, allow_none=True)


class StaffPinResetSchema(Schema):
    pin = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=12),
                        metadata={"description": "4 to 6 digits"})


class StaffPostingSchema(Schema):
    id = fields.Integer(dump_only=True)
    entry_id = fields.Integer(dump_only=True)
    kind = fields.String(attribute="entry.kind", dump_only=True)
    memo = fields.Function(
        lambda posting: entry_memo(posting.entry, select_language()),
        dump_only=True, metadata={"type": "string", "description": "What the entry is about, in the caller's language"},
    )
    amount = fields.Integer(dump_only=True)
    balance_after = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


StaffPostingPageSchema = page_schema(StaffPostingSchema, items_from="postings")


# --- organisations and coordinators ---------------------------------------------------------

class StaffOrganisationCreateSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    address = fields.String(load_default="", validate=validate.Length(max=300))
    phone = fields.String(load_default="", validate=validate.Length(max=20))


class StaffOrganisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    address = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class StaffOrganisationArgsSchema(StaffPageArgsSchema):
    name = fields.String(load_default="", validate=validate.Length(max=200))


StaffOrganisationPageSchema = page_schema(StaffOrganisationSchema)


class StaffCoordinatorCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))


class StaffCoordinatorSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    organisation_id = fields.Integer(dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


StaffCoordinatorPageSchema = page_schema(StaffCoordinatorSchema)


# --- claims ---------------------------------------------------------------------------------

class StaffClaimSubmitSchema(Schema):
    volunteer_id = fields.Integer(strict=True, metadata={"description": "the volunteer, or give card_number"})
    card_number = fields.String(validate=validate.Length(min=1, max=40))
    volunteer_name = fields.String(validate=validate.Length(min=1, max=100),
                                   metadata={"description": "optional check: must match the volunteer"})
    organisation_id = fields.Integer(strict=True, metadata={"description": "a coordinator may leave it out"})
    work_date = fields.Date(required=True, data_key="date", metadata={"description": "Seoul calendar day"})
    start_minute = ClockTime(accept_minutes=True, required=True, data_key="start")
    end_minute = ClockTime(accept_minutes=True, required=True, data_key="end")
    category = fields.String(required=True, validate=[validate.Length(min=1, max=50), NOT_BLANK])
    note = fields.String(load_default="", validate=validate.Length(max=500))


class StaffClaimArgsSchema(StaffPageArgsSchema):
    state = fields.String(validate=validate.OneOf([str(state) for state in ClaimState]))
    organisation_id = fields.Integer()
    volunteer_id = fields.Integer()
    category = fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "the field of work"})
    date_from = fields.Date(metadata={"description": "first work day, inclusive"})
    date_to = fields.Date(metadata={"description": "last work day, inclusive"})

    @validates_schema
    def _ordered_dates(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("The end date must not be before the start date.", "date_to")


class StaffClaimSchema(Schema):
    id = fields.Integer(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    volunteer_name = fields.String(attribute="volunteer.name", dump_only=True)
    organisation_id = fields.Integer(dump_only=True)
    organisation_name = fields.String(attribute="organisation.name", dump_only=True)
    date = fields.Date(attribute="work_date", dump_only=True)
    start = ClockTime(attribute="start_minute", dump_only=True)
    end = ClockTime(attribute="end_minute", dump_only=True)
    minutes = fields.Integer(dump_only=True)
    category = fields.String(dump_only=True)
    note = fields.String(dump_only=True)
    state = fields.String(dump_only=True)
    submitted_by_user_id = fields.Integer(dump_only=True, allow_none=True)
    submitted_at = fields.DateTime(dump_only=True)
    reviewed_by_user_id = fields.Integer(dump_only=True, allow_none=True)
    reviewed_at = fields.DateTime(dump_only=True, allow_none=True)
    rejection_reason = fields.String(dump_only=True, allow_none=True)
    points = fields.Integer(dump_only=True, allow_none=True)
    withheld_points = fields.Integer(dump_only=True, allow_none=True,
                                     metadata={"description": "points a cap kept this approval from paying"})
    withheld_by = fields.String(dump_only=True, allow_none=True,
                                metadata={"description": "why: lifetime_cap, yearly_cap or previous_year_hours"})
    recognised_minutes = fields.Integer(dump_only=True, allow_none=True,
                                        metadata={"description": "minutes the rule set credited (categories)"})
    rule_set_version = fields.Integer(dump_only=True, allow_none=True,
                                      metadata={"description": "the rule set version in force on the work date"})
    reversal_points = fields.Integer(dump_only=True, allow_none=True,
                                     metadata={"description": "after a reversal: points it had to take back"})
    recovered_points = fields.Function(recovered_points, dump_only=True, allow_none=True,
                                       metadata={"description": "after a reversal: points taken back"})
    unrecovered_points = fields.Integer(dump_only=True, allow_none=True,
                                        metadata={"description": "after a reversal: points already spent"})


StaffClaimPageSchema = page_schema(StaffClaimSchema)


class StaffReasonSchema(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), NOT_BLANK])


class StaffBulkApproveSchema(Schema):
    claim_ids = fields.List(fields.Integer(strict=True), required=True,
                            validate=validate.Length(min=1, max=MAX_BULK_CLAIMS))


class StaffBulkItemSchema(Schema):
    claim_id = fields.Integer(dump_only=True)
    ok = fields.Boolean(dump_only=True)
    claim = fields.Nested(StaffClaimSchema, dump_only=True, allow_none=True)
    error = fields.Nested(StaffErrorItemSchema, dump_only=True, allow_none=True)


class StaffBulkApproveResultSchema(Schema):
    approved = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True)
    results = fields.List(fields.Nested(StaffBulkItemSchema), dump_only=True)


def bulk_approve_body(claim_ids: list[int], result) -> dict:
    """Return a bulk approval's outcome per requested claim, in the order they were asked for."""
    approved = {claim.id: claim for claim in result.approved}
    results = [
        {
            "claim_id": claim_id,
            "ok": claim_id in approved,
            "claim": approved.get(claim_id),
            "error": error_item(result.failed.get(claim_id)),
        }
        for claim_id in dict.fromkeys(claim_ids)
    ]
    return {"approved": len(result.approved), "failed": len(result.failed), "results": results}


# --- CSV import -----------------------------------------------------------------------------

class StaffClaimImportArgsSchema(Schema):
    organisation_id = fields.Integer(metadata={"description": "organisation of rows without an 기관ID column"})


class StaffClaimImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8 or CP949) or .xlsx; see the column list"})


class StaffImportedRowSchema(Schema):
    row = fields.Integer(dump_only=True, metadata={"description": "spreadsheet row number; the header is row 1"})
    ok = fields.Boolean(dump_only=True)
    claim_id = fields.Function(lambda row: row.claim and row.claim.id, dump_only=True, allow_none=True)
    error = fields.Function(lambda row: error_item(row.error), dump_only=True, allow_none=True)


class StaffImportReportSchema(Schema):
    encoding = fields.String(dump_only=True)
    total_rows = fields.Function(lambda report: len(report.rows), dump_only=True)
    created = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True)
    rows = fields.List(fields.Nested(StaffImportedRowSchema), dump_only=True)


# --- spreadsheet uploads (preview, then confirm) ----------------------------------------------

class StaffUploadArgsSchema(Schema):
    organisation_id = fields.Integer(metadata={"description": "organisation of rows without an 기관ID column"})


class StaffUploadFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8, UTF-8 with BOM, CP949) or .xlsx"})


class StaffUploadMessageSchema(Schema):
    code = fields.String(dump_only=True)
    message = fields.Function(lambda message: message.text(select_language()), dump_only=True)


class StaffUploadRowSchema(Schema):
    row = fields.Integer(dump_only=True, metadata={"description": "spreadsheet row number; the header is row 1"})
    status = fields.String(dump_only=True, metadata={"description": "ok, warning or error"})
    messages = fields.List(fields.Nested(StaffUploadMessageSchema), dump_only=True)
    claim_id = fields.Integer(dump_only=True, allow_none=True,
                              metadata={"description": "the claim created (or already on record)"})
    volunteer_id = fields.Integer(dump_only=True, allow_none=True)
    volunteer_name = fields.String(dump_only=True)
    work_date = fields.Date(dump_only=True, allow_none=True)
    start_time = ClockTime(attribute="start_minute", dump_only=True, allow_none=True)
    end_time = ClockTime(attribute="end_minute", dump_only=True, allow_none=True)
    category = fields.String(dump_only=True)


class StaffUploadReportSchema(Schema):
    upload_id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "previewed (nothing posted) or confirmed"})
    file_format = fields.String(dump_only=True)
    encoding = fields.String(dump_only=True)
    filename = fields.String(dump_only=True)
    replayed = fields.Boolean(dump_only=True, metadata={"description": "an earlier confirmation's report"})
    total_rows = fields.Function(lambda report: len(report.rows), dump_only=True)
    ok = fields.Integer(dump_only=True)
    warnings = fields.Integer(dump_only=True)
    errors = fields.Integer(dump_only=True)
    created = fields.Integer(dump_only=True, metadata={"description": "claims created, or to be created"})
    skipped = fields.Integer(dump_only=True, metadata={"description": "rows already on record"})
    rows = fields.List(fields.Nested(StaffUploadRowSchema), dump_only=True)


# --- the 1365 exchange ------------------------------------------------------------------------

class Staff1365ExportArgsSchema(Schema):
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    organisation_id = fields.Integer()

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["date_from"] > data["date_to"]:
            raise ValidationError("The period must start before it ends.", field_name="date_to")


class Staff1365ImportArgsSchema(Schema):
    organisation_id = fields.Integer(metadata={"description": "organisation of rows that name none"})


class Staff1365ImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "a 1365 hours export, in the configured profile"})


class Staff1365ImportReportSchema(Schema):
    total_rows = fields.Function(lambda report: len(report.rows), dump_only=True)
    approved = fields.Integer(dump_only=True, metadata={"description": "claims created and approved (paid)"})
    approved_minutes = fields.Integer(dump_only=True)
    skipped = fields.Integer(dump_only=True, metadata={"description": "rows already on record"})
    errors = fields.Integer(dump_only=True, metadata={"description": "rows refused (not paid)"})
    rows = fields.List(fields.Nested(StaffUploadRowSchema), dump_only=True)
