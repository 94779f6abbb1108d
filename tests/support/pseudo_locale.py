"""A test-only third language: every message of the catalogue as ⟦its English⟧, built from messages.pot.

It proves a language is one catalogue: adding its directory (app config I18N_EXTRA_DIRECTORIES) is all
it takes for every path to speak it, and any text on a page not wrapped in ⟦⟧ did not come from the
catalogue. It uses the code "eo" (Esperanto) because Babel needs a real locale for numbers and dates.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from mileage.i18n import TRANSLATIONS_DIR

PSEUDO = "eo"
_INNERMOST = re.compile(r"⟦[^⟦⟧]*⟧")


def pseudo(text: str) -> str:
    """Return a message as the pseudo-locale says it."""
    return f"⟦{text}⟧"


def build_pseudo_catalogue(directory: Path) -> Path:
    """Write directory/eo/LC_MESSAGES/messages.mo from the committed template; return the directory."""
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    catalogue = Catalog(locale=PSEUDO, fuzzy=False)
    for message in template:
        if not message.id:
            continue
        if any("date pattern" in comment for comment in message.auto_comments):
            # A CLDR pattern, not words: numbers only, so the dates hold no untranslated month names.
            string = "yyyy-MM-dd" if "d" in message.id else "yyyy-MM"
        elif isinstance(message.id, tuple):
            string = tuple(pseudo(form) for form in message.id)
        else:
            string = pseudo(message.id)
        catalogue.add(message.id, string, context=message.context, flags=message.flags)
    target = directory / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalogue)
    return directory


def outside_catalogue(text: str) -> str:
    """Return what is left of a text once every ⟦catalogue message⟧ (nested ones too) is taken out."""
    previous = None
    while previous != text:
        previous, text = text, _INNERMOST.sub(" ", text)
    return text
