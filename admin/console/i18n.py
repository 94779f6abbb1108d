"""The console's language (Korean unless the user switched to English) and how it shows values."""

from __future__ import annotations

from datetime import date, datetime

from flask import has_request_context, session

from admin.console.catalog import TEXT
from admin.console.security import LANGUAGE
from mileage.clock import SEOUL

LANGUAGES = ("ko", "en")
_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def console_language() -> str:
    """Return the language the user chose for the console (stored in the session); Korean by default."""
    if not has_request_context():
        return "ko"
    language = session.get(LANGUAGE)
    return language if language in LANGUAGES else "ko"


def t(key: str, **params) -> str:
    """Return a text of the console in the user's language, with its parameters filled in."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    template = pair[1] if console_language() == "en" else pair[0]
    return template.format(**params) if params else template


def number(value: int | None) -> str:
    """Return a whole number with thousands separators ("—" for none)."""
    return "—" if value is None else f"{value:,}"


def points(value: int | None) -> str:
    """Return points with thousands separators and the unit: 12,000점 / 12,000 pts."""
    return "—" if value is None else t("unit.points", n=f"{value:,}")


def local_time(moment: datetime | None) -> str:
    """Return an instant as Seoul local time, to the minute."""
    return "" if moment is None else moment.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")


def local_day(value: date | None) -> str:
    """Return a date with its weekday: 2025-03-14 (금)."""
    if value is None:
        return ""
    return f"{value.isoformat()} ({_WEEKDAYS[console_language()][value.weekday()]})"


def minutes_as_hours(minutes: int | None) -> str:
    """Return minutes as hours and minutes: 2시간 30분 / 2 h 30 min."""
    if minutes is None:
        return ""
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    if rest == 0:
        return sign + t("unit.hours", h=hours)
    return sign + t("unit.hours_minutes", h=hours, m=rest)


def label(group: str, value: str | None) -> str:
    """Return the name of a status, state or kind, as the catalog calls it ("group.value")."""
    if value is None:
        return ""
    return t(f"{group}.{value}") if f"{group}.{value}" in TEXT else str(value)


def percent(basis_points: int) -> str:
    """Return basis points as a percentage without floats: 500 → "5", 250 → "2.5"."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}.{rest:02d}".rstrip("0") if rest else str(whole)
