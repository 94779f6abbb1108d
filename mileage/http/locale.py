"""The one locale selector, for the API, the pages, the console, CSV files and error answers.

An explicit choice wins (`?lang=`, remembered in a cookie by the pages and the console), then the
console session's choice, then `Accept-Language`, then Korean. Flask-Babel asks this selector, so
templates (`_()`), views (`gettext`) and the domain's messages (`mileage.i18n`) agree.
"""

from __future__ import annotations

from flask import Flask, Response, g, has_request_context, request, session
from flask_babel import Babel, Domain
from werkzeug.utils import cached_property

from mileage import i18n

LANGUAGE_PARAMETER = "lang"
LANGUAGE_COOKIE = "lang"
# Where the console keeps the language its user switched to.
CONSOLE_SESSION_KEY = "console_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _offered(value: str | None) -> str | None:
    """Return the language named by a parameter or cookie if we have its catalogue."""
    if not value:
        return None
    value = value.strip().replace("-", "_")
    return value if value in i18n.available_languages() else None


def explicit_language() -> str | None:
    """Return the language the caller chose with ?lang= in this request, if we have it."""
    if not has_request_context():
        return None
    return _offered(request.args.get(LANGUAGE_PARAMETER))


def select_language() -> str:
    """Return the language of this request's user-facing text (Korean outside a request)."""
    if not has_request_context():
        # The worker and the command line: the language of the staff who run them.
        return i18n.environment_language()
    if "language" in g:
        return g.language
    language = (
        explicit_language()
        or _offered(request.cookies.get(LANGUAGE_COOKIE))
        or _offered(session.get(CONSOLE_SESSION_KEY))
        or request.accept_languages.best_match(i18n.available_languages())
        or i18n.DEFAULT_LANGUAGE
    )
    g.language = language
    return language


def choose_language(language: str) -> None:
    """Use another language for the rest of this request (the console's switch)."""
    g.language = language


def remember_language(response: Response, language: str | None = None) -> Response:
    """Keep the caller's explicit choice in a cookie, so the next page comes in the same language."""
    language = language or explicit_language()
    if language:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
            secure=request.is_secure,
        )
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


class CatalogueDomain(Domain):
    """Flask-Babel's messages domain, read through `mileage.i18n`: one loader for templates, views and domain."""

    def get_translations(self):
        return i18n.translations(select_language())


class CatalogueBabel(Babel):
    """Flask-Babel whose templates and `gettext` read the same catalogues as the domain's messages."""

    @cached_property
    def domain_instance(self):
        return CatalogueDomain(domain=self.domain)


def init_locale(app: Flask) -> None:
    """Give the app Flask-Babel, reading our catalogues (plus any in I18N_EXTRA_DIRECTORIES) with our selector."""
    for directory in app.config.get("I18N_EXTRA_DIRECTORIES", ()):
        i18n.add_translation_directory(directory)
    app.config["BABEL_DEFAULT_LOCALE"] = i18n.DEFAULT_LANGUAGE
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Seoul"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(d) for d in i18n.translation_directories())
    CatalogueBabel(app, locale_selector=select_language, timezone_selector=lambda: "Asia/Seoul")
    app.jinja_env.globals.update(
        points=lambda value: i18n.format_points(value, select_language()),
        number=lambda value: i18n.format_number(value, select_language()),
        won=lambda value: i18n.format_won(value, select_language()),
        local_day=lambda value: i18n.format_short_day(value, select_language()),
        long_day=lambda value: i18n.format_day(value, select_language()),
        duration=lambda value: i18n.format_duration(value, select_language()),
    )
