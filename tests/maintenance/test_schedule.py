"""The schedule is a pure function: month-end clamping, leap days, seasonal dates across the year end."""
from datetime import date

import pytest

from maintenance import schedule


def _months(start, n, count):
    return schedule.occurrences(kind="months", start_on=start, interval_months=n, count=count)


def test_every_month_from_january_31_clamps_to_each_month_end_without_drifting():
    assert _months(date(2026, 1, 31), 1, 5) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]


def test_every_month_from_january_31_in_a_leap_year_lands_on_february_29():
    assert _months(date(2028, 1, 31), 1, 2) == [date(2028, 1, 31), date(2028, 2, 29)]


def test_every_twelve_months_from_february_29_is_february_28_then_29_again():
    assert _months(date(2028, 2, 29), 12, 5) == [
        date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28), date(2032, 2, 29)]


def test_quarterly_crosses_the_year_end():
    assert schedule.occurrences(kind="quarterly", start_on=date(2026, 11, 30), count=4) == [
        date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 30), date(2027, 8, 30)]


def test_next_occurrence_is_strictly_after_and_jumps_far_ahead():
    # given a monthly plan from 2026-01-31
    kw = {"kind": "months", "start_on": date(2026, 1, 31), "interval_months": 1}
    # then the occurrence after a date that is itself an occurrence is the following one
    assert schedule.next_occurrence(after=date(2026, 2, 28), **kw) == date(2026, 3, 31)
    assert schedule.next_occurrence(after=date(2026, 2, 27), **kw) == date(2026, 2, 28)
    # and ten years later it still lands on the month end
    assert schedule.next_occurrence(after=date(2036, 4, 1), **kw) == date(2036, 4, 30)
    # before the start: the start
    assert schedule.next_occurrence(after=date(2025, 1, 1), **kw) == date(2026, 1, 31)


def test_seasonal_dates_across_the_year_end():
    # given "before summer peak" and "before winter heating": 05-20 and 12-28, from 2026-06-01
    kw = {"kind": "seasonal", "start_on": date(2026, 6, 1), "month_days": [[12, 28], [5, 20]]}
    assert schedule.occurrences(count=4, **kw) == [
        date(2026, 12, 28), date(2027, 5, 20), date(2027, 12, 28), date(2028, 5, 20)]
    assert schedule.next_occurrence(after=date(2026, 12, 28), **kw) == date(2027, 5, 20)
    assert schedule.next_occurrence(after=date(2026, 12, 31), **kw) == date(2027, 5, 20)


def test_seasonal_february_29_is_the_28th_in_a_common_year():
    kw = {"kind": "seasonal", "start_on": date(2027, 1, 1), "month_days": [[2, 29]]}
    assert schedule.occurrences(count=2, **kw) == [date(2027, 2, 28), date(2028, 2, 29)]


def test_seasonal_start_date_counts_when_it_is_a_listed_date():
    kw = {"kind": "seasonal", "start_on": date(2026, 5, 20), "month_days": [[5, 20]]}
    assert schedule.next_occurrence(after=None, **kw) == date(2026, 5, 20)


@pytest.mark.parametrize(("text", "expected"), [
    ("05-20, 11-15", [(5, 20), (11, 15)]),
    ("11/15，05-20;05-20", [(5, 20), (11, 15)]),
    ("02-29", [(2, 29)]),
    ("", []),
])
def test_parse_month_days(text, expected):
    assert schedule.parse_month_days(text) == expected


@pytest.mark.parametrize("text", ["13-01", "02-30", "4-31", "may 20", "05-20-2026", "<b>"])
def test_parse_month_days_refuses_impossible_dates(text):
    with pytest.raises(ValueError):
        schedule.parse_month_days(text)


def test_a_zero_interval_is_refused():
    with pytest.raises(ValueError):
        schedule.next_occurrence(kind="months", start_on=date(2026, 1, 1), after=None, interval_months=0)
