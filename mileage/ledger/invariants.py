"""The ledger invariants, checked over the whole database: balanced entries, stored balances, no negatives."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from mileage.models.ledger import MAY_GO_NEGATIVE, Account, EntryKind, JournalEntry, Posting


@dataclass
class InvariantReport:
    """What the invariant check found; `ok` only when every list is empty."""

    unbalanced_entries: list[int] = field(default_factory=list)
    entries_with_too_few_postings: list[int] = field(default_factory=list)
    refusals_with_postings: list[int] = field(default_factory=list)
    balance_mismatches: list[dict] = field(default_factory=list)
    negative_balances: list[dict] = field(default_factory=list)
    non_integer_amounts: int = 0
    total_of_all_postings: int = 0
    entries_checked: int = 0
    accounts_checked: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.unbalanced_entries
            or self.entries_with_too_few_postings
            or self.refusals_with_postings
            or self.balance_mismatches
            or self.negative_balances
            or self.non_integer_amounts
            or self.total_of_all_postings
        )

    def as_dict(self) -> dict:
        """Return the report as plain data for JSON and the CLI."""
        return {
            "ok": self.ok,
            "unbalanced_entries": self.unbalanced_entries,
            "entries_with_too_few_postings": self.entries_with_too_few_postings,
            "refusals_with_postings": self.refusals_with_postings,
            "balance_mismatches": self.balance_mismatches,
            "negative_balances": self.negative_balances,
            "non_integer_amounts": self.non_integer_amounts,
            "total_of_all_postings": self.total_of_all_postings,
            "entries_checked": self.entries_checked,
            "accounts_checked": self.accounts_checked,
        }


def check_invariants(session: Session, *, sample_limit: int = 100) -> InvariantReport:
    """Check every ledger invariant over the whole database and report what was found."""
    report = InvariantReport()
    report.unbalanced_entries = list(
        session.scalars(
            select(Posting.entry_id)
            .group_by(Posting.entry_id)
            .having(func.sum(Posting.amount) != 0)
            .limit(sample_limit)
        )
    )
    posting_counts = (
        select(JournalEntry.id, func.count(Posting.id).label("n"))
        .outerjoin(Posting, Posting.entry_id == JournalEntry.id)
        .group_by(JournalEntry.id)
        .subquery()
    )
    report.entries_with_too_few_postings = list(
        session.scalars(
            select(posting_counts.c.id)
            .join(JournalEntry, JournalEntry.id == posting_counts.c.id)
            .where(posting_counts.c.n < 2, JournalEntry.kind != EntryKind.REFUSAL)
            .limit(sample_limit)
        )
    )
    report.refusals_with_postings = list(
        session.scalars(
            select(posting_counts.c.id)
            .join(JournalEntry, JournalEntry.id == posting_counts.c.id)
            .where(posting_counts.c.n > 0, JournalEntry.kind == EntryKind.REFUSAL)
            .limit(sample_limit)
        )
    )
    sums = (
        select(Posting.account_id, func.sum(Posting.amount).label("total"))
        .group_by(Posting.account_id)
        .subquery()
    )
    mismatches = session.execute(
        select(Account.id, Account.code, Account.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance != func.coalesce(sums.c.total, 0))
        .limit(sample_limit)
    )
    report.balance_mismatches = [
        {"account_id": row[0], "code": row[1], "stored": row[2], "postings": int(row[3])}
        for row in mismatches
    ]
    negatives = session.execute(
        select(Account.id, Account.code, Account.balance)
        .where(Account.balance < 0, Account.kind.not_in([str(k) for k in MAY_GO_NEGATIVE]))
        .limit(sample_limit)
    )
    report.negative_balances = [{"account_id": r[0], "code": r[1], "balance": r[2]} for r in negatives]
    # Amounts are BIGINT columns, but SQLite stores whatever it is given: look for stray reals.
    if session.get_bind().dialect.name == "sqlite":
        report.non_integer_amounts = session.scalar(
            text("SELECT count(*) FROM postings WHERE typeof(amount) <> 'integer'")
        )
    report.total_of_all_postings = int(session.scalar(select(func.coalesce(func.sum(Posting.amount), 0))))
    report.entries_checked = session.scalar(select(func.count()).select_from(JournalEntry))
    report.accounts_checked = session.scalar(select(func.count()).select_from(Account))
    return report
