"""What a CSV cell may hold when a person opens the file in a spreadsheet."""

from __future__ import annotations

# Excel only reads a CSV file as UTF-8 when it starts with a byte order mark.
CSV_ENCODING = "utf-8-sig"
# A cell starting with one of these runs as a formula in a spreadsheet (=HYPERLINK(...) in a shop's name).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_text(value: str | None) -> str:
    """Return text that a spreadsheet shows as text and never runs as a formula."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
