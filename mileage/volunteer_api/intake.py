"""What the volunteer's own claim form needs: whether they may submit, and where and what."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields
from sqlalchemy import select

from mileage import i18n
from mileage.claims.categories import CATEGORIES
from mileage.claims.rules import policy_on
from mileage.claims.self_submission import volunteers_may_submit
from mileage.clock import seoul_today
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import requires
from mileage.http.locale import select_language
from mileage.models import Organisation

blueprint = Blueprint("volunteer_intake", __name__, url_prefix="/me", description="The volunteer's own claim form")

MAX_ORGANISATIONS = 500


class OrganisationChoiceSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)


class ClaimOptionsSchema(Schema):
    self_submission = fields.Boolean(dump_only=True, metadata={"description": "may I submit my own hours today"})
    claim_window_days = fields.Integer(dump_only=True)
    max_minutes_per_day = fields.Integer(dump_only=True)
    organisations = fields.List(fields.Nested(OrganisationChoiceSchema), dump_only=True)
    categories = fields.List(fields.String(), dump_only=True)


@blueprint.route("/claim-options", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, ClaimOptionsSchema)
def get_claim_options():
    """Tell whether I may submit my own hours, the organisations to choose from and the usual categories."""
    session = get_session()
    policy = policy_on(session, seoul_today(), current_app.config["CLAIM_POLICY"])
    return {
        "self_submission": volunteers_may_submit(session, seoul_today(), policy=policy),
        "claim_window_days": policy.claim_window_days,
        "max_minutes_per_day": policy.max_minutes_per_day,
        "organisations": session.scalars(select(Organisation).order_by(Organisation.name).limit(MAX_ORGANISATIONS)),
        "categories": [i18n.translate_in_context(select_language(), *category) for category in CATEGORIES],
    }
