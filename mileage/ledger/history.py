"""An account's postings, newest first, in keyset pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.models.ledger import Posting
from mileage.pagination import clamp_page_size, decode_cursor, page_of


@dataclass
class HistoryPage:
    """A page of an account's postings, newest first, and the cursor of the next page."""

    postings: list[Posting]
    next_cursor: str | None


def account_history(
    session: Session, account_id: int, *, limit: int = 50, cursor: str | None = None
) -> HistoryPage:
    """Return one page of an account's postings, newest first (keyset pagination)."""
    limit = clamp_page_size(limit)
    query = (
        select(Posting)
        .where(Posting.account_id == account_id)
        # Ordering by the whole (account_id, id) index key keeps PostgreSQL on that index: ordering
        # by id alone lets it walk the primary key backwards and filter, which is slow for a card
        # whose postings are old or sparse among millions.
        .order_by(Posting.account_id.desc(), Posting.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        query = query.where(Posting.id < decode_cursor(cursor))
    return HistoryPage(*page_of(list(session.scalars(query)), limit))
