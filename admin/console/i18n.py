"""The console's text and values in the user's language, from the one catalogue (`mileage.i18n`)."""

from __future__ import annotations

from datetime import date, datetime

from mileage import i18n, labels
from mileage.http.locale import select_language
from mileage.i18n import N_, NP_

__all__ = ["N_", "NP_", "_", "pgettext", "text", "label", "number", "points", "local_time", "local_day",
           "minutes_as_hours", "percent", "console_language"]


def console_language() -> str:
    """Return the language of this request (the one selector; the console's switch is kept in the session)."""
    return select_language()


def _(message: str, **params) -> str:
    """Return a message in the user's language, its %(name)s parameters filled in."""
    return i18n.translate(select_language(), message, **params)


def pgettext(context: str, message: str, **params) -> str:
    """Return a message with a context in the user's language."""
    return i18n.translate_in_context(select_language(), context, message, **params)


def text(message: str | tuple[str, str], **params) -> str:
    """Return a message marked with N_ or NP_ in the user's language."""
    if isinstance(message, tuple):
        return pgettext(*message, **params)
    return _(message, **params)


def number(value: int | None) -> str:
    """Return a whole number with thousands separators ("—" for none)."""
    return i18n.format_number(value, select_language())


def points(value: int | None) -> str:
    """Return points with thousands separators and the unit: 12,000점 / 12,000 points."""
    return i18n.format_points(value, select_language())


def local_time(moment: datetime | None) -> str:
    """Return an instant as Seoul local time, to the minute."""
    return i18n.format_moment(moment, select_language())


def local_day(value: date | None) -> str:
    """Return a date with its weekday: 2025-03-14 (금)."""
    return i18n.format_short_day(value, select_language())


def minutes_as_hours(minutes: int | None) -> str:
    """Return minutes as hours and minutes: 2시간 30분 / 2 h 30 min."""
    return i18n.format_duration(minutes, select_language())


def label(group: str, value: str | None) -> str:
    """Return the name of a status, state or kind in the user's language."""
    return labels.label(group, value, select_language())


def percent(basis_points: int) -> str:
    """Return basis points as a percentage number without floats: 500 → "5", 250 → "2.5"."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}.{rest:02d}".rstrip("0") if rest else str(whole)
