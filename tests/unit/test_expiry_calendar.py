"""The expiry calendar: the day points expire and the cutoff an expiry run uses must agree."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mileage.clock import SEOUL, seoul_day_start
from mileage.expiry import expiry_cutoff, expiry_date

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def test_points_expire_on_the_same_day_n_years_later():
    assert expiry_date(date(2021, 3, 15), 5) == date(2026, 3, 15)
    assert expiry_date(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert expiry_date(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_the_cutoff_is_the_start_of_the_first_day_not_yet_expired():
    assert expiry_cutoff(date(2026, 3, 15), 5) == seoul_day_start(date(2021, 3, 16))
    assert expiry_cutoff(date(2029, 2, 28), 5) == seoul_day_start(date(2024, 3, 1))
    assert expiry_cutoff(date(2032, 2, 28), 5) == seoul_day_start(date(2027, 3, 1))


@given(credited_on=days, as_of=days, years=st.integers(min_value=1, max_value=10))
def test_a_run_expires_exactly_the_points_whose_expiry_day_has_come(credited_on, as_of, years):
    credited_before_cutoff = seoul_day_start(credited_on) < expiry_cutoff(as_of, years)
    assert credited_before_cutoff == (expiry_date(credited_on, years) <= as_of)


@given(as_of=days, years=st.integers(min_value=1, max_value=10))
def test_the_cutoff_never_moves_backwards(as_of, years):
    assert expiry_cutoff(as_of, years) <= expiry_cutoff(as_of + timedelta(days=1), years)
    assert expiry_cutoff(as_of, years).astimezone(SEOUL).time().hour == 0
