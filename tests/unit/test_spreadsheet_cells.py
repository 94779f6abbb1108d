"""Reading the cells Excel writes: times, dates and card numbers in every accepted form (pure, no database)."""

from datetime import date, datetime, time, timedelta

import pytest

from mileage.claims.spreadsheets import read_card_number, read_clock_time, read_date


@pytest.mark.parametrize(("cell", "minute"), [
    ("09:00", 540), ("09:00:00", 540), ("9:00", 540), ("오전 9:00", 540), ("오후 1:30", 810), ("오후1:30", 810),
    ("1:30 PM", 810), ("1:30 pm", 810), ("오전 12:00", 0), ("오후 12:00", 720), ("24:00", 1440), ("0:00", 0),
    ("9시", 540), ("9시 30분", 570), ("오후 2시", 840), (" 17:45 ", 1065),
    (time(9, 0), 540), (time(8, 59, 59, 999000), 540), (datetime(1899, 12, 30, 13, 0), 780),
    (timedelta(hours=7, minutes=15), 435), (0.375, 540), (0.5625, 810), (1, 1440), (0, 0),
])
def test_times_in_every_form_excel_writes(cell, minute):
    assert read_clock_time(cell) == minute


@pytest.mark.parametrize("cell", [
    "25:00", "24:01", "9:60", "오후 13:00", "오전 0:30", "오전 9:00 PM", "nine", "", "9", "0900", 1.5, -0.1, True,
    timedelta(hours=25),
])
def test_times_that_are_not_a_time_of_one_day_are_refused(cell):
    with pytest.raises(ValueError):
        read_clock_time(cell)


@pytest.mark.parametrize(("cell", "day"), [
    ("2026-11-03", date(2026, 11, 3)), ("2026.11.03", date(2026, 11, 3)), ("2026/11/3", date(2026, 11, 3)),
    ("2026. 11. 3.", date(2026, 11, 3)), ("2026년 11월 3일", date(2026, 11, 3)), ("20261103", date(2026, 11, 3)),
    ("2026-11-03 00:00:00", date(2026, 11, 3)), (date(2026, 11, 3), date(2026, 11, 3)),
    (datetime(2026, 11, 3, 0, 0), date(2026, 11, 3)), (46329, date(2026, 11, 3)), (46329.0, date(2026, 11, 3)),
])
def test_dates_in_every_form_excel_writes(cell, day):
    assert read_date(cell) == day


@pytest.mark.parametrize("cell", ["2026-02-30", "03/11/2026", "11월 3일", "", 12, 46329.5, True, "2026-13-01"])
def test_dates_that_are_not_a_day_are_refused(cell):
    with pytest.raises(ValueError):
        read_date(cell)


def test_card_numbers_as_text_and_as_numbers():
    assert read_card_number("9410 1234 5678 9012") == ("9410 1234 5678 9012", False)
    assert read_card_number(9410123456789012) == ("9410123456789012", True)
    assert read_card_number(9.41012345678901e15) == ("9410123456789010", True)
    assert read_card_number("9.41012345678901E+15") == ("9410123456789010", True)
