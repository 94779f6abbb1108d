"""The pages people use (the phone's /m, the shop's /counter, the staff console): language and headers.

Every page loads nothing from elsewhere and may not be framed; none is cached, because each shows
someone's card, sales or queue.
"""

from __future__ import annotations

from babel import Locale
from flask import Response, make_response, render_template

from mileage import i18n
from mileage.http.locale import remember_language, select_language

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def page_language() -> str:
    """Return a page's language: the one selector's answer (?lang=, the cookie, Accept-Language, Korean)."""
    return select_language()


def language_choices() -> list[tuple[str, str]]:
    """Return every language we have, each with its own name (한국어, English, ...), for a language switch."""
    choices = []
    for code in i18n.available_languages():
        try:
            name = Locale.parse(code).get_display_name(code) or code
        except ValueError:
            name = code
        choices.append((code, name[:1].upper() + name[1:]))
    return choices


def page_messages(messages: dict[str, str | tuple[str, str]], language: str) -> dict[str, str]:
    """Return the catalogue entries a page's script needs, by the keys it reads, in a language.

    A message is an N_ msgid or an NP_ (context, msgid) pair, for an English word that is two Korean ones.
    """
    return {
        key: i18n.translate_in_context(language, *message) if isinstance(message, tuple)
        else i18n.translate(language, message)
        for key, message in messages.items()
    }


def add_page_headers(response: Response) -> Response:
    """Give a page the headers every page of ours sends."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return remember_language(response)


def render_page(template: str, *, language: str, messages: dict, **context) -> Response:
    """Render a page in a language; `messages` are the strings its script uses (embedded as JSON), `t` too."""
    others = [choice for choice in language_choices() if choice[0] != language]
    other_lang, other_name = others[0] if others else (language, language)
    messages = {**messages, "switch_language": other_name}
    context.setdefault("t", messages)
    response = make_response(
        render_template(
            template, lang=language, other_lang=other_lang, languages=language_choices(), messages=messages, **context
        )
    )
    return add_page_headers(response)
