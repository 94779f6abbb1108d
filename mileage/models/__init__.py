"""Every table of the schema. Importing this package registers all models on `Base.metadata`."""

from mileage.models.access import AuditEvent, IdempotentRequest, RefreshToken
from mileage.models.claims import Claim, ClaimState, Organisation
from mileage.models.donations import (
    Campaign,
    CampaignItem,
    CampaignItemState,
    CampaignState,
    Cause,
    CauseStatus,
    ConsentMethod,
    Disbursement,
    Donation,
    DonationChannel,
    ExpiryDonationChoice,
)
from mileage.models.ledger import Account, AccountKind, EntryKind, JournalEntry, Posting
from mileage.models.merchants import (
    Hold,
    HoldStatus,
    Merchant,
    MerchantStatus,
    OfferVersion,
    PeriodKind,
    Redemption,
    Refund,
    SettlementClosure,
    Terminal,
)
from mileage.models.operations import JobRun, JobStatus, WorkerLease
from mileage.models.people import Card, CardStatus, Role, User, Volunteer, VolunteerStatus
from mileage.models.qr import UsedQrToken

__all__ = [
    "JobRun",
    "JobStatus",
    "WorkerLease",
    "Campaign",
    "CampaignItem",
    "CampaignItemState",
    "CampaignState",
    "Cause",
    "CauseStatus",
    "ConsentMethod",
    "Disbursement",
    "Donation",
    "DonationChannel",
    "ExpiryDonationChoice",
    "Account",
    "AccountKind",
    "EntryKind",
    "AuditEvent",
    "Card",
    "CardStatus",
    "Claim",
    "IdempotentRequest",
    "ClaimState",
    "Hold",
    "HoldStatus",
    "JournalEntry",
    "Merchant",
    "MerchantStatus",
    "OfferVersion",
    "Organisation",
    "PeriodKind",
    "Posting",
    "Redemption",
    "Refund",
    "RefreshToken",
    "Role",
    "SettlementClosure",
    "Terminal",
    "UsedQrToken",
    "User",
    "Volunteer",
    "VolunteerStatus",
]
