"""The double-entry ledger: accounts, posting, history, invariants (see docs/architecture.md).

Every movement of points goes through `post_entry` (or `post_entries` for a batch). The ledger
depends on nothing but the models and the database plumbing, so it can offer its whole public API
here without any risk of an import cycle: `from mileage import ledger`, then `ledger.transfer(...)`.
"""

from mileage.ledger.accounts import SYSTEM_ACCOUNTS, get_balance, get_balance_as_of, open_account, system_account
from mileage.ledger.history import HistoryPage, account_history
from mileage.ledger.invariants import InvariantReport, check_invariants
from mileage.ledger.posting import (
    Leg,
    NewEntry,
    find_replay,
    is_reversed,
    keep_refusal,
    lock_accounts,
    post_entries,
    post_entry,
    request_fingerprint,
    reverse_entry,
    transfer,
)

__all__ = [
    "SYSTEM_ACCOUNTS",
    "HistoryPage",
    "InvariantReport",
    "Leg",
    "NewEntry",
    "account_history",
    "check_invariants",
    "find_replay",
    "get_balance",
    "get_balance_as_of",
    "is_reversed",
    "lock_accounts",
    "keep_refusal",
    "open_account",
    "post_entries",
    "post_entry",
    "request_fingerprint",
    "reverse_entry",
    "system_account",
    "transfer",
]
