"""Numbers, dates, durations and money are formatted for the locale in one place (mileage.i18n)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mileage import i18n


@pytest.mark.parametrize("function, value, korean, english", [
    (i18n.format_points, 12_000, "12,000점", "12,000 points"),
    (i18n.format_points, 1, "1점", "1 point"),
    (i18n.format_points, -700, "-700점", "-700 points"),
    (i18n.format_won, 15_000, "15,000원", "₩15,000"),
    (i18n.format_day, date(2026, 3, 14), "2026년 3월 14일 (토)", "Sat, 14 Mar 2026"),
    # An instant is shown as its Seoul day: 15:30 UTC on the 13th is already the 14th in Seoul.
    (i18n.format_day, datetime(2026, 3, 13, 15, 30, tzinfo=UTC), "2026년 3월 14일 (토)", "Sat, 14 Mar 2026"),
    (i18n.format_short_day, date(2026, 3, 14), "2026-03-14 (토)", "2026-03-14 (Sat)"),
    (i18n.format_duration, 150, "2시간 30분", "2 h 30 min"),
    (i18n.format_duration, 120, "2시간", "2 h"),
    (i18n.format_duration, 45, "45분", "45 min"),
    (i18n.format_duration, -90, "-1시간 30분", "-1 h 30 min"),
    (i18n.format_percent, 250, "2.5%", "2.5%"),
    (i18n.format_number, 1_234_567, "1,234,567", "1,234,567"),
])
def test_korean_and_english(function, value, korean, english):
    assert function(value, "ko") == korean
    assert function(value, None) == korean
    assert function(value, "en") == english


def test_month_names():
    assert i18n.format_month(2026, 3, "ko") == "2026년 3월"
    assert i18n.format_month(2026, 3, "en") == "March 2026"


def test_an_unknown_language_is_korean():
    assert i18n.normalise_language("fr") == "ko" and i18n.normalise_language("en-GB") == "en"
    assert i18n.format_points(5, "xx") == "5점"


def test_the_command_line_language_comes_from_mileage_language(monkeypatch):
    monkeypatch.delenv("MILEAGE_LANGUAGE", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.environment_language() == "ko"
    monkeypatch.setenv("MILEAGE_LANGUAGE", "en")
    assert i18n.environment_language() == "en"


def test_a_number_longer_than_babels_precision_is_still_grouped():
    # Found by the fuzz test: a 40-digit number typed into an uploaded file made the row's message a 500.
    assert i18n.format_number(10**40, "ko") == f"{10**40:,}"
