"""The pages people use (the phone's /m, the shop's /counter, the staff console): language and headers.

Every page loads nothing from elsewhere and may not be framed; none is cached, because each shows
someone's card, sales or queue.
"""

from __future__ import annotations

from flask import Response, make_response, render_template, request

from mileage.http.boundary import SUPPORTED_LANGUAGES, request_language

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def page_language() -> str:
    """Return a page's language: ?lang= when it names one we have, else Accept-Language (Korean by default)."""
    asked = request.args.get("lang", "")
    return asked if asked in SUPPORTED_LANGUAGES else request_language()


def add_page_headers(response: Response) -> Response:
    """Give a page the headers every page of ours sends."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.vary.add("Accept-Language")
    return response


def render_page(template: str, *, language: str, messages: dict, **context) -> Response:
    """Render a page in a language; `messages` are the strings its script uses, `t` those of the template."""
    response = make_response(
        render_template(
            template, lang=language, other_lang="ko" if language == "en" else "en", messages=messages, **context
        )
    )
    return add_page_headers(response)
