"""Who may do what, by role: the role sets that every API blueprint and the staff console check.

Auditors read everything staff read and change nothing; coordinators work for one organisation.
"""

from mileage.models import Role

EVERY_ROLE = frozenset(Role)
# Change things at the centre: approve hours, register shops, record donations.
STAFF = frozenset({Role.STAFF, Role.ADMIN})
# Read what staff read.
STAFF_READERS = STAFF | {Role.AUDITOR}
# Submit hours: staff, and coordinators for their own organisation.
CLAIM_SUBMITTERS = STAFF | {Role.COORDINATOR}
CLAIM_READERS = CLAIM_SUBMITTERS | {Role.AUDITOR}
# Read the ledger's own checks and every staff action.
OVERSIGHT = frozenset({Role.ADMIN, Role.AUDITOR})
# Manage the people who sign in; auditors see the list.
USER_ADMINS = frozenset({Role.ADMIN})
USER_READERS = USER_ADMINS | {Role.AUDITOR}
# A tablet at a volunteering site, signed in with its organisation's device credential; it scans only.
SITE_DEVICE = "site"
# Check volunteers in and out at a site: the site's coordinator or device, and staff for any organisation.
SITE_OPERATORS = CLAIM_SUBMITTERS | {SITE_DEVICE}
# Manage an organisation's site devices and correct its visits.
SITE_MANAGERS = CLAIM_SUBMITTERS
# Change the programme's rules (rule set versions, the yearly tier review): admins only.
RULE_EDITORS = frozenset({Role.ADMIN})
