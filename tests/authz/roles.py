"""Role sets for the authorization matrix rows."""

VOLUNTEER = frozenset({"volunteer"})
MERCHANT = frozenset({"merchant"})
COORDINATOR = frozenset({"coordinator"})
STAFF = frozenset({"staff", "admin"})
ADMIN = frozenset({"admin"})
# Reads that auditors may see alongside staff.
STAFF_READ = frozenset({"staff", "admin", "auditor"})
EVERY_ROLE = frozenset({"volunteer", "merchant", "coordinator", "staff", "admin", "auditor"})
# No token needed at all.
PUBLIC = None
