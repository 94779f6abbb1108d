"""The one catalogue of user-facing text, and the one place numbers, dates, durations and money are formatted.

Messages are gettext catalogues (`mileage/translations/<lang>/LC_MESSAGES/messages.po`, compiled to `.mo`):
English msgids, a complete Korean catalogue, Korean by default (docs/i18n.md says why and how to add a
language). The domain marks text with `N_` and renders it here for an explicit language, without Flask;
the web edge picks the language once (`mileage.http.locale`) and uses Flask-Babel, which reads the same
catalogues.
"""

from __future__ import annotations

import decimal
import os
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from mileage.clock import SEOUL

DEFAULT_LANGUAGE = "ko"
# The language of the msgids: it needs no catalogue.
SOURCE_LANGUAGE = "en"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"

# Extraction keywords for these functions (their message is not the first argument): see babel.cfg/docs/i18n.md.
_directories: list[Path] = [TRANSLATIONS_DIR]


def N_(message: str) -> str:  # noqa: N802 (the gettext convention extractors look for)
    """Mark a message for extraction without translating it (it is translated when it is shown)."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802
    """Mark a message with its context (the same English, two Korean words) for extraction."""
    return (context, message)


def translation_directories() -> list[Path]:
    """Return the directories whose catalogues are loaded, in order of precedence."""
    return list(_directories)


def add_translation_directory(directory: str | Path) -> None:
    """Load catalogues from another directory too (a deployment's own language, a test-only pseudo-locale)."""
    path = Path(directory)
    if path not in _directories:
        _directories.append(path)
        _translations.cache_clear()
        available_languages.cache_clear()


def remove_translation_directory(directory: str | Path) -> None:
    """Stop loading catalogues from a directory added with `add_translation_directory`."""
    path = Path(directory)
    if path in _directories and path != TRANSLATIONS_DIR:
        _directories.remove(path)
        _translations.cache_clear()
        available_languages.cache_clear()


@lru_cache
def available_languages() -> tuple[str, ...]:
    """Return every language we can show: Korean first, English (the msgids), then any other catalogue."""
    found = [DEFAULT_LANGUAGE, SOURCE_LANGUAGE]
    for directory in _directories:
        if not directory.is_dir():
            continue
        for child in sorted(directory.iterdir()):
            if (child / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file() and child.name not in found:
                found.append(child.name)
    return tuple(found)


def environment_language() -> str:
    """Return the language of command-line and worker output for staff: MILEAGE_LANGUAGE, else Korean.

    Not LANG: servers often run with an English POSIX locale that says nothing about who reads the output.
    """
    return normalise_language(os.environ.get("MILEAGE_LANGUAGE") or DEFAULT_LANGUAGE)


def normalise_language(language: str | None) -> str:
    """Return a language we have for a requested one ("ko-KR" → "ko"), else Korean."""
    if not language:
        return DEFAULT_LANGUAGE
    candidate = language.replace("-", "_")
    languages = available_languages()
    if candidate in languages:
        return candidate
    base = candidate.split("_")[0].lower()
    return base if base in languages else DEFAULT_LANGUAGE


@lru_cache
def _translations(language: str) -> NullTranslations:
    merged: NullTranslations | None = None
    for directory in _directories:
        found = Translations.load(str(directory), [language], DOMAIN)
        if not isinstance(found, Translations):
            continue
        if merged is None:
            merged = found
        else:
            merged.merge(found)
    return merged or NullTranslations()


def translations(language: str | None) -> NullTranslations:
    """Return the catalogue of a language (English, the msgids, needs none)."""
    language = normalise_language(language)
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    return _translations(language)


def translate(language: str | None, message: str, **params) -> str:
    """Return a message in a language, its %(name)s parameters filled in."""
    # Always formatted, as Jinja's newstyle gettext does, so a literal % is always written %%.
    return translations(language).gettext(message) % params


def translate_in_context(language: str | None, context: str, message: str, **params) -> str:
    """Return a message that needs a context to be translated (the same English, two Korean words)."""
    return translations(language).pgettext(context, message) % params


def translate_plural(language: str | None, singular: str, plural: str, n: int, **params) -> str:
    """Return the form of a message for a count (English has two, Korean one)."""
    text = translations(language).ngettext(singular, plural, n)
    return text % {"n": n, **params}


# --- formatting, for every screen, file and message ----------------------------------------------

def babel_locale(language: str | None) -> Locale:
    """Return the Babel locale of a language (Korean for anything unknown)."""
    try:
        return Locale.parse(normalise_language(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


def format_number(value: int | None, language: str | None) -> str:
    """Return a whole number with the locale's grouping: 12,000 ("—" for none)."""
    if value is None:
        return "—"
    try:
        return format_decimal(value, locale=babel_locale(language))
    except decimal.InvalidOperation:
        # Babel rounds through a 28-digit decimal context; a longer number (typed into a file) is grouped plainly.
        return f"{value:,}"


def format_points(value: int | None, language: str | None) -> str:
    """Return points with their unit: 12,000점 / 12,000 points."""
    if value is None:
        return "—"
    return translate_plural(language, "%(points)s point", "%(points)s points", abs(value),
                    points=format_number(value, language))


def format_won(value: int | None, language: str | None) -> str:
    """Return an amount of money: 15,000원 / ₩15,000."""
    if value is None:
        return "—"
    return translate(language, "₩%(amount)s", amount=format_number(value, language))


def format_day(value: date | None, language: str | None) -> str:
    """Return a Seoul calendar day with its weekday: 2026년 3월 14일 (토) / Sat, 14 Mar 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(SEOUL).date()
    # The pattern is itself in the catalogue: each language writes a date its own way.
    # Translators: a CLDR date pattern (Korean: y년 M월 d일 (E)).
    return format_date(value, translate(language, "EEE, d MMM y"), locale=babel_locale(language))


def format_short_day(value: date | None, language: str | None) -> str:
    """Return a day in a compact sortable form with its weekday: 2026-03-14 (토) / 2026-03-14 (Sat)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(SEOUL).date()
    return format_date(value, "yyyy-MM-dd (EEE)", locale=babel_locale(language))


def format_month(year: int, month: int, language: str | None) -> str:
    """Return a month of a year: 2026년 3월 / March 2026."""
    # Translators: a CLDR date pattern for a month (Korean: y년 M월).
    return format_date(date(year, month, 1), translate(language, "MMMM y"), locale=babel_locale(language))


def format_moment(value: datetime | None, language: str | None) -> str:
    """Return an instant as Seoul local time, to the minute: 2026-03-14 09:30."""
    return "" if value is None else value.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")


def format_duration(minutes: int | None, language: str | None) -> str:
    """Return minutes as hours and minutes: 2시간 30분 / 2 h 30 min."""
    if minutes is None:
        return ""
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    if rest == 0:
        return sign + translate(language, "%(hours)s h", hours=format_number(hours, language))
    if hours == 0:
        return sign + translate(language, "%(minutes)s min", minutes=rest)
    return sign + translate(language, "%(hours)s h %(minutes)s min", hours=format_number(hours, language), minutes=rest)


def format_percent(basis_points: int | None, language: str | None) -> str:
    """Return basis points as a percentage, without floats: 500 → 5%, 250 → 2.5%."""
    if basis_points is None:
        return "—"
    whole, rest = divmod(basis_points, 100)
    number = f"{whole}.{rest:02d}".rstrip("0") if rest else str(whole)
    return translate(language, "%(percent)s%%", percent=number)


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def placeholders(message: str) -> set[str]:
    """Return the names of a message's parameters, %(name)s or {name} (the pages' scripts use braces)."""
    return {a or b for a, b in PLACEHOLDER.findall(message)}
