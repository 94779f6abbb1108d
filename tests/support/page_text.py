"""The words a person reads on a page: text nodes and the attributes screen readers and tooltips say."""

from __future__ import annotations

import json
from html.parser import HTMLParser

READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-confirm", "data-template")
# Elements without an end tag, which must not count in the nesting of a translate="no" element.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.messages: dict | None = None
        self._skip = 0
        self._in_messages = False
        # Depth of open elements inside a translate="no" one: codes and raw records shown on purpose.
        self._untranslated = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in _VOID and (self._untranslated or attributes.get("translate") == "no"):
            self._untranslated += 1
            return
        if tag in ("script", "style"):
            self._skip += 1
            self._in_messages = tag == "script" and attributes.get("id") == "messages"
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.pieces.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.pieces.append(attributes["value"])

    def handle_endtag(self, tag):
        if self._untranslated and tag not in _VOID:
            self._untranslated -= 1
            return
        if tag in ("script", "style"):
            self._skip -= 1
            self._in_messages = False

    def handle_data(self, data):
        if self._in_messages:
            self.messages = json.loads(data)
        elif not self._skip and not self._untranslated and data.strip():
            self.pieces.append(data.strip())


def read_page(html: str) -> tuple[list[str], dict | None]:
    """Return the pieces of text a page shows and the catalogue entries its script was given."""
    reader = _Reader()
    reader.feed(html)
    return reader.pieces, reader.messages


def flat_messages(messages) -> list[str]:
    """Return every string in a page's message JSON (nested tables too)."""
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in flat_messages(value)]
    if isinstance(messages, list):
        return [text for value in messages for text in flat_messages(value)]
    return [messages] if isinstance(messages, str) else []
