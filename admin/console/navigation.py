"""Where the console sends the user after a form: back to the page the form was on, never elsewhere."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, url_for

# Every console form carries the page it was rendered on in this hidden field.
BACK_FIELD = "_back"


def safe_console_path(candidate: str | None) -> str | None:
    """Return a path inside the console, or None for anything that could lead elsewhere.

    Control characters and spaces are refused outright: a CR/LF would split the Location header, and
    a tab or NUL confuses browsers; a real console path has none (a query is percent-encoded).
    """
    if not candidate:
        return None
    if len(candidate) > 2000 or any(ord(char) <= 0x20 or 0x7F <= ord(char) <= 0x9F for char in candidate):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or candidate.startswith("//") or "\\" in candidate:
        return None
    if not (parts.path == "/console" or parts.path.startswith("/console/")):
        return None
    return candidate


def redirect_back(endpoint: str, **values):
    """Redirect (303) to the page the form came from, or else to an endpoint."""
    target = safe_console_path(request.form.get(BACK_FIELD)) or url_for(endpoint, **values)
    return redirect(target, code=303)
