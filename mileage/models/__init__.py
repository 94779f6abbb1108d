"""Every table of the schema. Importing this package registers all models on `Base.metadata`."""

from mileage.models.access import AuditEvent, IdempotentRequest, RefreshToken
from mileage.models.claims import Claim, ClaimState, Organisation
from mileage.models.ledger import Account, AccountKind, JournalEntry, Posting
from mileage.models.qr import UsedQrToken
from mileage.models.people import Card, CardStatus, Role, User, Volunteer, VolunteerStatus

__all__ = [
    "Account",
    "AccountKind",
    "AuditEvent",
    "Card",
    "CardStatus",
    "Claim",
    "IdempotentRequest",
    "ClaimState",
    "JournalEntry",
    "Organisation",
    "Posting",
    "RefreshToken",
    "Role",
    "UsedQrToken",
    "User",
    "Volunteer",
    "VolunteerStatus",
]
