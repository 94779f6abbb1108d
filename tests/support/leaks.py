"""What a Korean user must never read: English words, snake_case identifiers, raw state values.

`english_leaks(text)` returns the offending words of user-facing text. Allowed: proper names and data
the test itself put there (pass them as `names`), units and codes shown on purpose (ALLOWED).
"""

from __future__ import annotations

import re

from mileage.labels import LABELS

# Shown on purpose to Korean users: product and format names, units, codes they type or read off a card.
ALLOWED = frozenset({
    "PIN", "QR", "CSV", "ID", "JSON", "UTF", "ISO", "HH", "MM", "YYYY", "DD", "IP", "Enter", "Excel",
    "English", "Idempotency", "Key", "true", "false", "kg", "KB", "MB", "No",
    "head",  # the migration revision name the CLI prints
    # Headers, encodings and formats an integrator or a spreadsheet needs by their exact names.
    "Idempotency-Key", "If-Match", "ETag", "Authorization", "Bearer", "UTF-8", "CP949", "EUC-KR", "YYYY-MM-DD", "HH:MM",
})
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z0-9]+)*")
_SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
RAW_STATES = frozenset(value for group in LABELS.values() for value in group)


def english_leaks(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """Return the English words, identifiers and raw states in a Korean user's text (empty when clean)."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    found = [word for word in _SNAKE.findall(text)]
    for word in _WORD.findall(text):
        if word in ALLOWED or word.upper() == word and len(word) <= 4:
            # Short capitals are codes and units (QR, PIN, ID, HH:MM), shown on purpose.
            continue
        found.append(word)
    return found


def hangul_leaks(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """Return the Korean words in an English user's text, outside the proper names given."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return re.findall(r"[가-힣]+", text)
