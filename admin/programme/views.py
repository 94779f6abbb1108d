"""Staff API: rule set versions (admins create, staff and auditors read), presets, what-if, tiers."""

from admin.programme.schemas import (
    PresetListSchema,
    RuleSetCreateSchema,
    RuleSetListSchema,
    RuleSetPresetLoadSchema,
    RuleSetSchema,
    TierReviewResultSchema,
    TierReviewSchema,
    VolunteerTierSchema,
    WhatIfResultSchema,
    WhatIfSchema,
)
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, requires
from mileage.people.roles import RULE_EDITORS, STAFF_READERS
from mileage.people.volunteers import get_volunteer
from mileage.programme import book, presets, whatif
from mileage.tiers import history, review, standing

blueprint = Blueprint(
    "admin_programme", __name__, url_prefix="/admin", description="Staff: programme rule sets, what-if, card tiers"
)


@blueprint.route("/rule-sets", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, RuleSetListSchema)
def list_rule_sets():
    """List every rule set version, newest first, with the version in force today."""
    session = get_session()
    return {"items": book.list_rule_sets(session), "current_version": book.current_rule_set(session).version}


@blueprint.route("/rule-sets/current", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, RuleSetSchema)
def current_rule_set():
    """Return the rule set version in force today."""
    session = get_session()
    return book.get_rule_set(session, book.current_rule_set(session).version)


@blueprint.route("/rule-sets/<int:version>", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, RuleSetSchema)
def get_rule_set(version):
    """Return one rule set version."""
    return book.get_rule_set(get_session(), version)


@blueprint.route("/rule-sets", methods=["POST"])
@requires(*RULE_EDITORS)
@blueprint.arguments(RuleSetCreateSchema)
@blueprint.response(201, RuleSetSchema)
def create_rule_set(body):
    """Add a rule set version in force from a day on (today or later, after every paid day)."""
    return book.create_rule_set(get_session(), actor=current_actor(), **body)


@blueprint.route("/rule-sets/presets", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, PresetListSchema)
def list_presets():
    """List the rule sets of real programmes that ship with the app."""
    return {"items": [{"key": key, **terms} for key, terms in presets.PRESETS.items()]}


@blueprint.route("/rule-sets/presets/load", methods=["POST"])
@requires(*RULE_EDITORS)
@blueprint.arguments(RuleSetPresetLoadSchema)
@blueprint.response(201, RuleSetSchema)
def load_preset(body):
    """Add a preset as a new rule set version (today or later, after every paid day)."""
    terms = presets.preset(body["preset"])
    return book.create_rule_set(get_session(), name=terms["name"], effective_from=body["effective_from"],
                                definition=terms["definition"], note=terms["note"], preset=body["preset"],
                                actor=current_actor())


@blueprint.route("/rule-sets/what-if", methods=["POST"])
@requires(*STAFF_READERS)
@blueprint.arguments(WhatIfSchema)
@blueprint.response(200, WhatIfResultSchema)
def what_if(body):
    """Show what proposed rules would have paid on the last 12 months of approved claims; posts nothing."""
    return whatif.what_if(get_session(), body["definition"], as_of=body.get("as_of"))


@blueprint.route("/volunteers/<int:volunteer_id>/tier", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.response(200, VolunteerTierSchema)
def volunteer_tier(volunteer_id):
    """Return a volunteer's tier, what keeps it, how far the next one is, and the history of changes."""
    session = get_session()
    get_volunteer(session, volunteer_id)
    recorded = standing.recorded_tier(session, volunteer_id)
    return {
        "volunteer_id": volunteer_id,
        "recorded_tier": recorded.tier if recorded else None,
        "standing": standing.tier_standing(session, volunteer_id),
        "history": history.tier_history(session, volunteer_id),
    }


@blueprint.route("/tiers/review", methods=["POST"])
@requires(*RULE_EDITORS)
@blueprint.arguments(TierReviewSchema)
@blueprint.response(200, TierReviewResultSchema)
def review_tiers(body):
    """Re-evaluate every volunteer's tier on a day (a dry run by default lists the changes only)."""
    moves = review.review_tiers(get_session(), as_of=body["as_of"], dry_run=body["dry_run"], actor=current_actor())
    return {"as_of": body["as_of"], "dry_run": body["dry_run"], "changes": moves}
