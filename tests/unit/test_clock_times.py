"""Times of day as coordinators write them: "HH:MM" to minutes since midnight and back."""

import pytest

from mileage.claims.submission import format_clock_time, parse_clock_time


@pytest.mark.parametrize(
    "text, minutes",
    [("00:00", 0), ("9:05", 545), ("09:05", 545), (" 18:30 ", 1110), ("23:59", 1439), ("24:00", 1440)],
)
def test_parse_clock_time(text, minutes):
    assert parse_clock_time(text) == minutes


@pytest.mark.parametrize("text", ["", "9", "0900", "9:5", "12:60", "24:01", "25:00", "-1:00", "9:00 AM", "०९:००"])
def test_parse_clock_time_refuses_what_is_not_a_time_of_one_day(text):
    with pytest.raises(ValueError):
        parse_clock_time(text)


@pytest.mark.parametrize("minutes", [0, 1, 59, 60, 545, 1439, 1440])
def test_format_then_parse_round_trips(minutes):
    assert parse_clock_time(format_clock_time(minutes)) == minutes


def test_format_pads_hours_and_minutes():
    assert format_clock_time(545) == "09:05" and format_clock_time(1440) == "24:00"
