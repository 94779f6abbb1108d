"""Keyset pagination cursors: opaque to callers, stable while new rows arrive."""

from __future__ import annotations

import base64

from mileage.errors import InvalidCursor

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


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
