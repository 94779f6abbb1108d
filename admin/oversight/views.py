"""Oversight: the staff audit log and the ledger invariant check. Read-only."""

from admin.oversight.schemas import AuditArgsSchema, AuditPageSchema, InvariantReportSchema
from mileage.audit import find_audit_events
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import requires
from mileage.ledger import check_invariants
from mileage.people.roles import OVERSIGHT, STAFF_READERS

blueprint = Blueprint(
    "admin_oversight", __name__, url_prefix="/admin", description="Oversight: audit log, ledger invariants"
)


@blueprint.route("/audit-events", methods=["GET"])
@requires(*STAFF_READERS)
@blueprint.arguments(AuditArgsSchema, location="query")
@blueprint.response(200, AuditPageSchema)
def list_audit_events(args):
    """Return the audit log newest first, by actor, action, target and Seoul days."""
    return find_audit_events(get_session(), **args)


@blueprint.route("/invariants", methods=["GET"])
@requires(*OVERSIGHT)
@blueprint.response(200, InvariantReportSchema)
def ledger_invariants():
    """Check every ledger invariant over the whole database and report what was found."""
    return check_invariants(get_session()).as_dict()
