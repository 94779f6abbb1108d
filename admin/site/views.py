"""Site kiosk API (/site): check volunteers in and out, list and correct the day's visits, site devices.

A coordinator signs in as usual (POST /auth/token) and acts for their own organisation; a site
device exchanges its key id and secret at POST /site/auth/token for a token of the "site" role,
which can scan and list its organisation's visits and nothing else, and stops working when the
device is revoked. Staff act for any organisation by naming it.
"""

from __future__ import annotations

from flask import current_app, g

from admin.site.schemas import (
    NewSiteDeviceSchema,
    SiteCorrectionSchema,
    SiteDeviceCreateSchema,
    SiteDeviceListSchema,
    SiteDeviceSchema,
    SiteScanResultSchema,
    SiteScanSchema,
    SiteScopeArgsSchema,
    SiteTokenRequestSchema,
    SiteTokenSchema,
    SiteVisitArgsSchema,
    SiteVisitListSchema,
    SiteVisitSchema,
)
from mileage import i18n
from mileage.claims import site_devices, visits
from mileage.claims.submission import format_clock_time
from mileage.errors import NotOwner
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import bearer_principal, current_actor, current_principal, requires, token_signer
from mileage.http.limits import limiter
from mileage.http.locale import select_language
from mileage.i18n import N_
from mileage.models import Role
from mileage.people.roles import SITE_DEVICE, SITE_MANAGERS, SITE_OPERATORS

blueprint = Blueprint(
    "site", __name__, url_prefix="/site", description="Site kiosk: check-in and check-out at the volunteering site"
)

# A door sees a few volunteers a minute; a script trying card numbers far more (as at the counter).
SCAN_LIMIT_PER_CALLER = "60 per minute"
CREDENTIAL_LIMIT_PER_IP = "20 per 10 minutes"

MESSAGES = {
    "check_in": N_("%(name)s, checked in (%(time)s)."),
    "check_out": N_("%(name)s, checked out. %(start)s–%(end)s (%(hours)s) is submitted for review."),
    "check_out_flagged": N_("%(name)s, checked out, but the hours break a rule and wait for the coordinator: "
                            "%(reason)s"),
}


@blueprint.before_request
def _refuse_revoked_devices():
    """Say how a device token is checked: its device must still be active, on every request."""
    g.authenticate_caller = _site_caller


def _site_caller():
    principal = bearer_principal()
    if principal.role == SITE_DEVICE:
        site_devices.ensure_site_device_active(get_session(), principal.site_device_id)
    return principal


def _caller_scope_key() -> str:
    return f"site-scans:{current_principal().scope}"


def _organisation(asked: int | None) -> int:
    """Return the organisation the caller acts for: their own, or (staff) the one they name."""
    principal = current_principal()
    if principal.role in (Role.COORDINATOR, SITE_DEVICE):
        if principal.organisation_id is None:
            raise NotOwner()
        return visits.ensure_visit_scope(asked, principal.organisation_id)
    return visits.ensure_visit_scope(asked, None)


def _scope() -> int | None:
    principal = current_principal()
    if principal.role in (Role.COORDINATOR, SITE_DEVICE):
        if principal.organisation_id is None:
            raise NotOwner()
        return principal.organisation_id
    return None


def _hours(minutes: int, language: str) -> str:
    return i18n.format_duration(minutes, language)


def _scan_answer(result: visits.SiteScan) -> dict:
    language = select_language()
    name = result.visit.volunteer.masked_name
    if result.action == visits.ScanAction.CHECK_IN:
        checked_in = SiteVisitSchema().dump(result.visit)["checked_in"]
        message = i18n.translate(language, MESSAGES["check_in"], name=name, time=checked_in)
    elif result.action == visits.ScanAction.CHECK_OUT:
        claim = result.claim
        message = i18n.translate(
            language, MESSAGES["check_out"], name=name, start=format_clock_time(claim.start_minute),
            end=format_clock_time(claim.end_minute), hours=_hours(claim.minutes, language),
        )
    else:
        message = i18n.translate(
            language, MESSAGES["check_out_flagged"], name=name, reason=result.refusal.message(language)
        )
    return {
        "action": result.action, "visit": result.visit, "claim": result.claim, "message": message,
        "refusal_code": result.refusal.code if result.refusal else None,
    }


@blueprint.route("/auth/token", methods=["POST"])
@limiter.limit(CREDENTIAL_LIMIT_PER_IP, deduct_when=lambda response: response.status_code == 401)
@blueprint.arguments(SiteTokenRequestSchema)
@blueprint.response(200, SiteTokenSchema)
@blueprint.doc(security=[])
def issue_device_token(body):
    """Exchange a site device's key id and secret for an access token (role site, 12 hours)."""
    return site_devices.issue_site_device_token(get_session(), token_signer(), body["key_id"], body["secret"])


@blueprint.route("/scans", methods=["POST"])
@requires(*SITE_OPERATORS)
@limiter.limit(SCAN_LIMIT_PER_CALLER, key_func=_caller_scope_key)
@blueprint.arguments(SiteScanSchema)
@blueprint.response(200, SiteScanResultSchema)
def scan(body):
    """Scan a card at the site: the first scan checks in, the next one checks out into a submitted claim."""
    principal = current_principal()
    result = visits.scan_at_site(
        get_session(), token_signer(), body["scanned"], organisation_id=_organisation(body.get("organisation_id")),
        category=body["category"], actor=current_actor(), policy=current_app.config["CLAIM_POLICY"],
        device_id=principal.site_device_id,
    )
    return _scan_answer(result)


@blueprint.route("/visits", methods=["GET"])
@requires(*SITE_OPERATORS)
@blueprint.arguments(SiteVisitArgsSchema, location="query")
@blueprint.response(200, SiteVisitListSchema)
def list_visits(args):
    """List the day's visits at the organisation, and every visit flagged for the coordinator."""
    organisation_id = _organisation(args.get("organisation_id"))
    return {"items": visits.list_site_visits(get_session(), organisation_id, day=args.get("day"))}


@blueprint.route("/visits/<int:visit_id>/correction", methods=["POST"])
@requires(*SITE_MANAGERS)
@blueprint.arguments(SiteCorrectionSchema)
@blueprint.response(200, SiteScanResultSchema)
def correct_visit(body, visit_id):
    """Give a visit its real times before staff review it (a flagged visit, or its submitted claim); audited."""
    result = visits.correct_site_visit(
        get_session(), visit_id, start_minute=body["start_time"], end_minute=body["end_time"],
        actor=current_actor(), policy=current_app.config["CLAIM_POLICY"], organisation_scope=_scope(),
    )
    return _scan_answer(result)


@blueprint.route("/devices", methods=["POST"])
@requires(*SITE_MANAGERS)
@blueprint.arguments(SiteDeviceCreateSchema)
@blueprint.response(201, NewSiteDeviceSchema)
def create_device(body):
    """Register a site device for the organisation; its secret is in this answer only."""
    new = site_devices.create_site_device(
        get_session(), _organisation(body.get("organisation_id")), name=body["name"], actor=current_actor()
    )
    return {"device": new.device, "secret": new.secret}


@blueprint.route("/devices", methods=["GET"])
@requires(*SITE_MANAGERS)
@blueprint.arguments(SiteScopeArgsSchema, location="query")
@blueprint.response(200, SiteDeviceListSchema)
def list_devices(args):
    """List the organisation's site devices (never their secrets)."""
    return {"items": site_devices.list_site_devices(get_session(), _organisation(args.get("organisation_id")))}


@blueprint.route("/devices/<int:device_id>/revoke", methods=["POST"])
@requires(*SITE_MANAGERS)
@blueprint.response(200, SiteDeviceSchema)
def revoke_device(device_id):
    """Revoke a site device: its sign-in and its tokens stop working at once."""
    return site_devices.revoke_site_device(get_session(), device_id, actor=current_actor(), organisation_scope=_scope())
