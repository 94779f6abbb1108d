"""Keyset pagination cursors: opaque to callers, stable while new rows arrive."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from mileage.errors import InvalidCursor

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

T = TypeVar("T")


def encode_cursor(last_id: int) -> str:
    """Return an opaque cursor that resumes after the row with this id."""
    return base64.urlsafe_b64encode(f"p{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the row id a cursor resumes after.

    :raises InvalidCursor:
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("p"):
            raise ValueError(raw)
        value = int(raw[1:])
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor=cursor[:40]) from exc
    if value <= 0:
        raise InvalidCursor(cursor=cursor[:40])
    return value


def clamp_page_size(limit: int | None) -> int:
    """Return a page size between 1 and the maximum."""
    return max(1, min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))


def page_of(rows: list, limit: int) -> tuple[list, str | None]:
    """Split rows fetched with limit + 1 into the page and the cursor of the next page, if any."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].id)
    return rows, None


@dataclass
class Page(Generic[T]):
    """One page of rows and the cursor of the next page (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def fetch_page(
    session: Session,
    statement: Select,
    id_column,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    newest_first: bool = False,
) -> Page:
    """Run a select one keyset page at a time, ordered by an id column (ascending unless newest_first).

    :raises InvalidCursor:
    """
    limit = clamp_page_size(limit)
    order = id_column.desc() if newest_first else id_column.asc()
    statement = statement.order_by(order).limit(limit + 1)
    if cursor:
        after = decode_cursor(cursor)
        statement = statement.where(id_column < after if newest_first else id_column > after)
    return Page(*page_of(list(session.scalars(statement)), limit))
