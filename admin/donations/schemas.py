"""Request and response schemas of the staff donations API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mileage.http.schemas import page_schema
from mileage.models import CampaignItemState, CauseStatus, ConsentMethod, VolunteerStatus
from mileage.pagination import MAX_PAGE_SIZE

POINTS = validate.Range(min=1, max=10**12)
CONSENT_METHODS = validate.OneOf([str(method) for method in ConsentMethod])
AMOUNT_MODES = ("fixed", "whole_balance")


class DonationPageArgsSchema(Schema):
    cursor = fields.String(validate=validate.Length(min=1, max=100),
                           metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


# --- causes ---------------------------------------------------------------------------------

class CauseFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    receiving_organisation = fields.String(validate=validate.Length(min=1, max=200),
                                           metadata={"description": "who receives what is collected"})
    description = fields.String(validate=validate.Length(max=5000))
    target_points = fields.Integer(strict=True, allow_none=True, validate=POINTS,
                                   metadata={"description": "optional campaign target: donations stop at it"})
    yearly_cap_per_volunteer = fields.Integer(strict=True, allow_none=True, validate=POINTS,
                                              metadata={"description": "at most this many points a year (Seoul "
                                                                       "calendar) from one volunteer"})


class CauseCreateSchema(CauseFieldsSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    receiving_organisation = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CauseEditSchema(CauseFieldsSchema):
    @validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Name at least one field to change.")


class CauseListArgsSchema(DonationPageArgsSchema):
    status = fields.String(validate=validate.OneOf([str(status) for status in CauseStatus]))


class CauseSchema(Schema):
    id = fields.Integer(attribute="cause.id", dump_only=True)
    name = fields.String(attribute="cause.name", dump_only=True)
    receiving_organisation = fields.String(attribute="cause.receiving_organisation", dump_only=True)
    description = fields.String(attribute="cause.description", dump_only=True)
    target_points = fields.Integer(attribute="cause.target_points", dump_only=True, allow_none=True)
    yearly_cap_per_volunteer = fields.Integer(attribute="cause.yearly_cap_per_volunteer", dump_only=True,
                                              allow_none=True)
    status = fields.String(attribute="cause.status", dump_only=True)
    balance = fields.Integer(dump_only=True, metadata={"description": "points collected and not yet disbursed"})
    donated = fields.Integer(dump_only=True, metadata={"description": "all points ever donated"})
    disbursed = fields.Integer(dump_only=True, metadata={"description": "all points handed over"})
    account_id = fields.Integer(attribute="cause.account_id", dump_only=True)
    created_at = fields.DateTime(attribute="cause.created_at", dump_only=True)
    closed_at = fields.DateTime(attribute="cause.closed_at", dump_only=True, allow_none=True)


CausePageSchema = page_schema(CauseSchema)


# --- donations ------------------------------------------------------------------------------

class ConsentSchema(Schema):
    method = fields.String(required=True, validate=CONSENT_METHODS,
                           metadata={"description": "written, verbal or app"})
    witness_name = fields.String(allow_none=True, validate=validate.Length(max=100),
                                 metadata={"description": "required for verbal consent unless witness_user_id"})
    witness_user_id = fields.Integer(strict=True, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class OnBehalfDonationSchema(Schema):
    volunteer_id = fields.Integer(strict=True, required=True)
    cause_id = fields.Integer(strict=True, required=True)
    points = fields.Integer(required=True, validate=POINTS, strict=True)
    consent = fields.Nested(ConsentSchema, required=True)


class DonationListArgsSchema(DonationPageArgsSchema):
    volunteer_id = fields.Integer()
    cause_id = fields.Integer()
    campaign_id = fields.Integer()


class DonationConsentSchema(Schema):
    method = fields.String(attribute="consent_method", dump_only=True, allow_none=True)
    note = fields.String(attribute="consent_note", dump_only=True)
    witness_name = fields.String(dump_only=True, allow_none=True)
    witness_user_id = fields.Integer(dump_only=True, allow_none=True)


class DonationSchema(Schema):
    id = fields.Integer(dump_only=True)
    receipt_number = fields.String(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    volunteer_name = fields.String(attribute="volunteer.name", dump_only=True)
    cause_id = fields.Integer(dump_only=True)
    cause_name = fields.String(attribute="cause.name", dump_only=True)
    points = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True, metadata={"description": "volunteer, staff, campaign or expiry"})
    campaign_id = fields.Integer(dump_only=True, allow_none=True)
    consent = fields.Function(lambda donation: DonationConsentSchema().dump(donation), dump_only=True)
    recorded_by_user_id = fields.Integer(dump_only=True, allow_none=True)
    entry_id = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


DonationPageSchema = page_schema(DonationSchema)


# --- disbursements --------------------------------------------------------------------------

class DisbursementCreateSchema(Schema):
    cause_id = fields.Integer(strict=True, required=True)
    points = fields.Integer(required=True, validate=POINTS, strict=True)
    memo = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    attachment_ref = fields.String(load_default="", validate=validate.Length(max=300),
                                   metadata={"description": "where the evidence is: a document number, a file"})


class DisbursementListArgsSchema(DonationPageArgsSchema):
    cause_id = fields.Integer()


class DisbursementSchema(Schema):
    id = fields.Integer(dump_only=True)
    cause_id = fields.Integer(dump_only=True)
    cause_name = fields.String(attribute="cause.name", dump_only=True)
    points = fields.Integer(dump_only=True)
    memo = fields.String(dump_only=True)
    attachment_ref = fields.String(dump_only=True)
    entry_id = fields.Integer(dump_only=True)
    recorded_by_user_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


DisbursementPageSchema = page_schema(DisbursementSchema)


# --- campaigns ------------------------------------------------------------------------------

class CampaignSelectionSchema(Schema):
    volunteer_ids = fields.List(fields.Integer(strict=True), load_default=list, validate=validate.Length(max=20_000))
    min_balance = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    volunteer_status = fields.String(
        load_default=str(VolunteerStatus.ACTIVE), allow_none=True,
        validate=validate.OneOf([str(status) for status in VolunteerStatus]),
        metadata={"description": "active (default), inactive, or null for any"},
    )
    organisation_id = fields.Integer(strict=True, allow_none=True,
                                     metadata={"description": "volunteered there: an approved claim"})


class CampaignCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    cause_id = fields.Integer(strict=True, required=True)
    amount_mode = fields.String(required=True, validate=validate.OneOf(AMOUNT_MODES),
                                metadata={"description": "fixed points per volunteer, or each whole balance"})
    points_per_volunteer = fields.Integer(allow_none=True, validate=POINTS, strict=True)
    selection = fields.Nested(CampaignSelectionSchema, required=True)
    consent_method = fields.String(required=True, validate=CONSENT_METHODS)
    consent_note = fields.String(load_default="", validate=validate.Length(max=2000),
                                 metadata={"description": "how consent was collected; required unless app"})

    @validates_schema
    def _amount_matches_mode(self, data, **kwargs):
        fixed = data.get("amount_mode") == "fixed"
        if fixed and not data.get("points_per_volunteer"):
            raise ValidationError(
                "A campaign with a fixed amount needs the points per volunteer.", "points_per_volunteer"
            )
        if not fixed and data.get("points_per_volunteer") is not None:
            raise ValidationError("A whole-balance campaign takes no points per volunteer.", "points_per_volunteer")


class CampaignCountsSchema(Schema):
    pending = fields.Integer(dump_only=True)
    done = fields.Integer(dump_only=True)
    skipped = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True)


class CampaignSchema(Schema):
    id = fields.Integer(attribute="campaign.id", dump_only=True)
    name = fields.String(attribute="campaign.name", dump_only=True)
    cause_id = fields.Integer(attribute="campaign.cause_id", dump_only=True)
    cause_name = fields.String(dump_only=True)
    amount_mode = fields.Function(
        lambda progress: "whole_balance" if progress.campaign.points_per_volunteer is None else "fixed",
        dump_only=True,
    )
    points_per_volunteer = fields.Integer(attribute="campaign.points_per_volunteer", dump_only=True, allow_none=True)
    selection = fields.Nested(CampaignSelectionSchema, attribute="campaign.selection", dump_only=True)
    consent_method = fields.String(attribute="campaign.consent_method", dump_only=True)
    consent_note = fields.String(attribute="campaign.consent_note", dump_only=True)
    state = fields.String(attribute="campaign.state", dump_only=True,
                          metadata={"description": "ready, running (or interrupted) or completed"})
    run_requested_at = fields.DateTime(
        attribute="campaign.run_requested_at", dump_only=True, allow_none=True,
        metadata={"description": "When staff asked for a run; the background worker runs it soon after"},
    )
    counts = fields.Nested(CampaignCountsSchema, dump_only=True)
    volunteers = fields.Integer(attribute="total", dump_only=True)
    points_donated = fields.Integer(dump_only=True)
    created_by_user_id = fields.Integer(attribute="campaign.created_by_user_id", dump_only=True, allow_none=True)
    created_at = fields.DateTime(attribute="campaign.created_at", dump_only=True)
    started_at = fields.DateTime(attribute="campaign.started_at", dump_only=True, allow_none=True)
    finished_at = fields.DateTime(attribute="campaign.finished_at", dump_only=True, allow_none=True)


CampaignPageSchema = page_schema(CampaignSchema)


class CampaignItemArgsSchema(DonationPageArgsSchema):
    state = fields.String(validate=validate.OneOf([str(state) for state in CampaignItemState]))


class CampaignItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    volunteer_name = fields.String(attribute="volunteer.name", dump_only=True)
    state = fields.String(dump_only=True)
    points = fields.Integer(dump_only=True, allow_none=True)
    donation_id = fields.Integer(dump_only=True, allow_none=True)
    entry_id = fields.Integer(dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True, allow_none=True,
                           metadata={"description": "why skipped or failed, e.g. insufficient_balance"})
    processed_at = fields.DateTime(dump_only=True, allow_none=True)


CampaignItemPageSchema = page_schema(CampaignItemSchema)
