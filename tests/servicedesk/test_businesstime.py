"""Tests for servicedesk.businesstime: worked examples on the 2026 Chinese calendar, DST cases,
and hypothesis properties that pin down the arithmetic for any calendar.

The module is pure (no Django), so these tests need no database: run with ``-p no:django``.
Dates of Chinese holidays and make-up days come from ``holidays`` 0.109 (checked in
``test_library_2026_calendar_is_what_the_examples_assume`` so a library change fails loudly there
instead of confusingly in the worked examples).
"""

from __future__ import annotations

import ast
import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicedesk import businesstime
from servicedesk.businesstime import (
    DEFAULT_CHINA_HOURS,
    MAX_SEARCH_DAYS,
    WorkingCalendar,
    add_clock_time,
    add_working_time,
    china_calendar,
    clock_time_between,
    next_working_moment,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
WORKING_DAY = 8 * H  # 09:00–12:00 + 13:00–18:00
US = timedelta(microseconds=1)

CN = china_calendar([2025, 2026, 2027])
ROUND_THE_CLOCK = {wd: ((time(0), time(0)),) for wd in range(7)}
BERLIN_OFFICE = WorkingCalendar(tz=BERLIN, weekly_hours={wd: ((time(9), time(17)),) for wd in range(5)})
BERLIN_24_7 = WorkingCalendar(tz=BERLIN, weekly_hours=ROUND_THE_CLOCK)


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock instant, e.g. sh(2026, 3, 13, 17, 30)."""
    return datetime(*args, tzinfo=SHANGHAI)


def be(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


# --------------------------------------------------------------------------------------------------
# The library facts the examples rely on
# --------------------------------------------------------------------------------------------------


def test_library_2026_calendar_is_what_the_examples_assume():
    # given the holidays library's China calendar for 2026
    cn = holidays.China(years=2026)

    # when we read the make-up working days and the long breaks
    makeup = sorted(d for d in cn.weekend_workdays if d.year == 2026)

    # then the make-up days are the six weekend days of the State Council's 2026 notice
    assert makeup == [
        date(2026, 1, 4),  # Sun, for New Year (Jan 1–3 off)
        date(2026, 2, 14),  # Sat, Spring Festival
        date(2026, 2, 28),  # Sat, Spring Festival (Feb 15–23 off)
        date(2026, 5, 9),  # Sat, Labour Day (May 1–5 off)
        date(2026, 9, 20),  # Sun, National Day
        date(2026, 10, 10),  # Sat, National Day (Oct 1–7 off)
    ]
    assert all(d.weekday() >= 5 for d in makeup)
    # and the National Day break is Oct 1–7 (Oct 8, a Thursday, works); Mid-Autumn is Fri Sep 25
    assert [d for d in _days(date(2026, 9, 24), date(2026, 10, 12)) if not CN.is_working_day(d)] == [
        date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27),
        date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3), date(2026, 10, 4),
        date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7), date(2026, 10, 11),
    ]  # fmt: skip
    # and the Spring Festival break is Feb 15 (Sun) – Feb 23 (Mon)
    assert [d for d in _days(date(2026, 2, 13), date(2026, 3, 1)) if not CN.is_working_day(d)] == list(
        _days(date(2026, 2, 15), date(2026, 2, 23))
    ) + [date(2026, 3, 1)]
    # and our calendar agrees with the library's own working-day test on every day of 2025–2026
    for d in _days(date(2025, 1, 1), date(2026, 12, 31)):
        assert CN.is_working_day(d) == holidays.China(years=d.year).is_working_day(d), d


def _days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


# --------------------------------------------------------------------------------------------------
# Worked examples (Asia/Shanghai, Mon–Fri 09:00–12:00 + 13:00–18:00)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        # Friday 17:30 + 1 h: half an hour on Friday, half an hour on Monday morning
        (sh(2026, 3, 13, 17, 30), H, sh(2026, 3, 16, 9, 30)),
        # across the lunch break
        (sh(2026, 3, 10, 11, 30), H, sh(2026, 3, 10, 13, 30)),
        # ends exactly at lunch: the deadline is 12:00, not 13:00 (earliest moment)
        (sh(2026, 3, 10, 11, 30), H / 2, sh(2026, 3, 10, 12, 0)),
        # ends exactly at closing time: Friday 18:00, not Monday 09:00
        (sh(2026, 3, 13, 17, 0), H, sh(2026, 3, 13, 18, 0)),
        # started during lunch: counting begins at 13:00
        (sh(2026, 3, 10, 12, 15), H, sh(2026, 3, 10, 14, 0)),
        # started at night
        (sh(2026, 3, 10, 22, 0), H, sh(2026, 3, 11, 10, 0)),
        # started early in the morning
        (sh(2026, 3, 10, 6, 0), H / 2, sh(2026, 3, 10, 9, 30)),
        # started on a weekend
        (sh(2026, 3, 14, 10, 0), 2 * H, sh(2026, 3, 16, 11, 0)),
        # started on a holiday (Labour Day; May 1–5 off) -> Wednesday May 6
        (sh(2026, 5, 1, 10, 0), H, sh(2026, 5, 6, 10, 0)),
        # a whole working week: Monday 09:00 + 40 h = Friday 18:00
        (sh(2026, 3, 9, 9, 0), 5 * WORKING_DAY, sh(2026, 3, 13, 18, 0)),
    ],
)
def test_add_working_time_worked_examples(start, delta, expected):
    # given a start and a working-time target on the Chinese calendar (see parameters)
    # when the deadline is computed
    deadline = add_working_time(CN, start, delta)
    # then it is the expected wall-clock time in Shanghai
    assert deadline == expected
    assert deadline.tzinfo is SHANGHAI
    # and exactly `delta` of working time separates start and deadline
    assert working_time_between(CN, start, deadline) == delta


def test_five_working_days_from_the_last_evening_before_the_national_day_break():
    # given Thursday Sep 24 2026, 17:30: the last working day before Mid-Autumn (Fri 25) and the
    # National Day week (Oct 1–7), with the make-up Saturday Oct 10 after it
    start = sh(2026, 9, 24, 17, 30)
    # when 5 working days (5 x 8 h) are added
    deadline = add_working_time(CN, start, 5 * WORKING_DAY)
    # then: 0.5 h Thu + Mon 28, Tue 29, Wed 30 + Thu Oct 8 = 32.5 h, the last 7.5 h on Fri Oct 9
    assert deadline == sh(2026, 10, 9, 17, 30)


def test_five_working_days_from_friday_evening_before_a_holiday_week_use_the_makeup_sunday():
    # given Friday Sep 18 2026, 17:30; Sunday Sep 20 is a make-up working day (调休)
    start = sh(2026, 9, 18, 17, 30)
    # when 5 working days are added
    deadline = add_working_time(CN, start, 5 * WORKING_DAY)
    # then Sunday 20 counts, and the deadline is Thursday 24 17:30 (not Friday 25, a holiday)
    assert deadline == sh(2026, 9, 24, 17, 30)


def test_five_working_days_from_the_mid_autumn_holiday_friday_evening():
    # given Friday Sep 25 2026 17:30, itself a holiday (Mid-Autumn), right before the National Day week
    start = sh(2026, 9, 25, 17, 30)
    # when 5 working days are added
    deadline = add_working_time(CN, start, 5 * WORKING_DAY)
    # then counting starts Monday 28: 28, 29, 30, Oct 8, Oct 9 -> Friday Oct 9 at closing time
    assert deadline == sh(2026, 10, 9, 18, 0)
    assert next_working_moment(CN, start) == sh(2026, 9, 28, 9, 0)


def test_a_makeup_saturday_counts_as_working_time():
    # given Friday Oct 9 2026, 17:30; Saturday Oct 10 is a make-up working day
    start = sh(2026, 10, 9, 17, 30)
    # when 1 working hour is added
    deadline = add_working_time(CN, start, H)
    # then the deadline is on that Saturday morning
    assert deadline == sh(2026, 10, 10, 9, 30)
    # and the whole Saturday is 8 working hours, the following Sunday none
    assert working_time_between(CN, sh(2026, 10, 10), sh(2026, 10, 11)) == WORKING_DAY
    assert working_time_between(CN, sh(2026, 10, 11), sh(2026, 10, 12)) == timedelta(0)


def test_spring_festival_2026():
    # given the Spring Festival break: Sat Feb 14 works, Feb 15–23 off, Sat Feb 28 works
    # when 2 working hours are added on the Friday before, and on the make-up Saturday evening
    from_friday = add_working_time(CN, sh(2026, 2, 13, 17, 0), 2 * H)
    from_saturday = add_working_time(CN, sh(2026, 2, 14, 17, 0), 2 * H)
    # then the make-up Saturday is used, and the whole break is skipped
    assert from_friday == sh(2026, 2, 14, 10, 0)
    assert from_saturday == sh(2026, 2, 24, 10, 0)
    assert working_time_between(CN, sh(2026, 2, 14, 18, 0), sh(2026, 2, 24, 9, 0)) == timedelta(0)
    # and the week after the break has five working days: Tue 24 – Fri 27 and the make-up Sat 28
    assert working_time_between(CN, sh(2026, 2, 23), sh(2026, 3, 1)) == 5 * WORKING_DAY


def test_working_time_between_examples():
    # given a plain week in March 2026
    monday, friday_close = sh(2026, 3, 9, 9, 0), sh(2026, 3, 13, 18, 0)
    # when / then
    assert working_time_between(CN, monday, friday_close) == 40 * H
    assert working_time_between(CN, friday_close, monday) == timedelta(0)  # reversed -> 0
    assert working_time_between(CN, monday, monday) == timedelta(0)
    assert working_time_between(CN, sh(2026, 3, 9, 11, 0), sh(2026, 3, 9, 14, 0)) == 2 * H  # lunch


def test_start_in_another_zone_gives_the_same_instant_expressed_in_the_calendar_zone():
    # given Friday 17:30 in Shanghai written as 09:30 UTC
    start = datetime(2026, 3, 13, 9, 30, tzinfo=UTC)
    # when
    deadline = add_working_time(CN, start, H)
    # then it is Monday 09:30 Shanghai, in Shanghai's zone
    assert deadline == sh(2026, 3, 16, 9, 30)
    assert deadline.tzinfo is SHANGHAI
    assert (deadline.hour, deadline.minute) == (9, 30)


def test_zero_delta_returns_start_when_working_else_next_working_moment():
    # given a working moment and non-working moments
    working, lunch, friday_close = sh(2026, 3, 10, 10, 7), sh(2026, 3, 10, 12, 0), sh(2026, 3, 13, 18, 0)
    # when / then: inside working time the start itself comes back
    assert add_working_time(CN, working, timedelta(0)) == working
    # lunch starts at 12:00 sharp (intervals are half-open), so 12:00 rolls to 13:00
    assert add_working_time(CN, lunch, timedelta(0)) == sh(2026, 3, 10, 13, 0)
    assert add_working_time(CN, friday_close, timedelta(0)) == sh(2026, 3, 16, 9, 0)
    assert CN.is_working_time(sh(2026, 3, 10, 9, 0)) and not CN.is_working_time(lunch)


def test_intervals_on_a_working_day_a_makeup_day_and_a_holiday():
    # given / when
    tuesday = CN.intervals_on(date(2026, 3, 10))
    makeup_saturday = CN.intervals_on(date(2026, 2, 14))
    # then
    assert tuesday == [(sh(2026, 3, 10, 9), sh(2026, 3, 10, 12)), (sh(2026, 3, 10, 13), sh(2026, 3, 10, 18))]
    assert all(s.tzinfo is SHANGHAI for s, _ in tuesday)
    assert makeup_saturday == [
        (sh(2026, 2, 14, 9), sh(2026, 2, 14, 12)),
        (sh(2026, 2, 14, 13), sh(2026, 2, 14, 18)),
    ]
    assert CN.intervals_on(date(2026, 10, 1)) == []  # National Day
    assert CN.intervals_on(date(2026, 3, 14)) == []  # plain Saturday


def test_thirty_working_days_is_fast_and_exact():
    # given a large target: 30 working days, and a decade of working time
    start = sh(2026, 1, 5, 9, 0)
    began = stopwatch.perf_counter()
    # when
    month = add_working_time(CN, start, 30 * WORKING_DAY)
    one_hour_a_week = WorkingCalendar(tz=SHANGHAI, weekly_hours={0: ((time(9), time(10)),)})
    decade = add_working_time(one_hour_a_week, start, 520 * H)
    elapsed = stopwatch.perf_counter() - began
    # then whole days are skipped, not minutes iterated
    assert elapsed < 1.0
    assert working_time_between(CN, start, month) == 30 * WORKING_DAY
    assert decade == datetime(2035, 12, 17, 10, 0, tzinfo=SHANGHAI)  # Jan 5 2026 + 519 weeks


# --------------------------------------------------------------------------------------------------
# Make-up hours, extras, validation, errors
# --------------------------------------------------------------------------------------------------


def test_makeup_days_use_makeup_hours_or_mondays_hours():
    # given a calendar with a short Monday and a make-up Sunday
    weekly = {0: ((time(10), time(12)),), 1: ((time(9), time(17)),)}
    sunday = date(2026, 3, 15)
    default = WorkingCalendar(tz=SHANGHAI, weekly_hours=weekly, workdays=frozenset({sunday}))
    custom = WorkingCalendar(
        tz=SHANGHAI, weekly_hours=weekly, workdays={sunday}, makeup_hours=((time(8), time(9)),)
    )
    # when / then: by default Monday's timetable, else the given makeup_hours
    assert default.intervals_on(sunday) == [(sh(2026, 3, 15, 10), sh(2026, 3, 15, 12))]
    assert custom.intervals_on(sunday) == [(sh(2026, 3, 15, 8), sh(2026, 3, 15, 9))]


def test_china_calendar_accepts_manager_entered_days_for_years_the_library_lacks():
    # given 2027, for which holidays 0.109 has no make-up days yet
    assert not [d for d in holidays.China(years=2027).weekend_workdays if d.year == 2027]
    saturday, friday = date(2027, 2, 20), date(2027, 3, 5)
    # when a manager adds a make-up Saturday and an extra day off
    cal = china_calendar([2027], extra_workdays=[saturday], extra_holidays=[friday])
    # then both are honoured
    assert cal.is_working_day(saturday) and not cal.is_working_day(friday)
    assert cal.tz == SHANGHAI and cal.hours_on(saturday) == DEFAULT_CHINA_HOURS
    # and a manager's make-up day overrides the library's day off
    assert china_calendar([2026], extra_workdays=[date(2026, 10, 7)]).is_working_day(date(2026, 10, 7))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekly_hours": {0: ((time(12), time(9)),)}}, "reversed"),
        ({"weekly_hours": {0: ((time(9), time(9)),)}}, "empty"),
        ({"weekly_hours": {0: ((time(9), time(12)), (time(11), time(13)))}}, "overlap"),
        ({"weekly_hours": {7: ((time(9), time(12)),)}}, "weekdays"),
        ({"weekly_hours": {0: ((time(9, tzinfo=UTC), time(12)),)}}, "naive"),
        ({"weekly_hours": {}, "holidays": {date(2026, 1, 1)}, "workdays": {date(2026, 1, 1)}}, "both"),
    ],
)
def test_invalid_calendars_are_refused(kwargs, message):
    # given / when / then
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(tz=SHANGHAI, **kwargs)


def test_calendar_is_immutable_and_hashable_and_accepts_a_zone_name():
    # given
    cal = WorkingCalendar(
        tz="Asia/Shanghai", weekly_hours={0: [(time(9), time(12))]}, holidays=[date(2026, 1, 1)]
    )
    same = WorkingCalendar(tz=SHANGHAI, weekly_hours={0: ((time(9), time(12)),)}, holidays={date(2026, 1, 1)})
    # then
    assert cal.tz == SHANGHAI and cal.holidays == frozenset({date(2026, 1, 1)})
    with pytest.raises(TypeError):
        cal.weekly_hours[1] = ()  # read-only mapping
    assert cal == same and hash(cal) == hash(same)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_time(CN, datetime(2026, 3, 10, 9), H),
        lambda: working_time_between(CN, datetime(2026, 3, 10, 9), sh(2026, 3, 10, 9)),
        lambda: working_time_between(CN, sh(2026, 3, 10, 9), datetime(2026, 3, 10, 9)),
        lambda: next_working_moment(CN, datetime(2026, 3, 10, 9)),
        lambda: CN.is_working_time(datetime(2026, 3, 10, 9)),
        lambda: add_clock_time(datetime(2026, 3, 10, 9), H),
        lambda: clock_time_between(datetime(2026, 3, 10, 9), sh(2026, 3, 10, 9)),
    ],
)
def test_naive_datetimes_are_refused(call):
    # given a naive datetime / when used / then ValueError
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_negative_deltas_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_time(CN, sh(2026, 3, 10, 9), -H)
    with pytest.raises(ValueError, match="negative"):
        add_clock_time(sh(2026, 3, 10, 9), -H)


def test_a_calendar_without_working_time_fails_fast_instead_of_looping():
    # given calendars with no working time at all, or only far beyond the search bound
    empty = WorkingCalendar(tz=SHANGHAI, weekly_hours={})
    beyond_bound = date(2026, 1, 1) + timedelta(days=MAX_SEARCH_DAYS + 5)
    too_far = WorkingCalendar(tz=SHANGHAI, weekly_hours={}, workdays={beyond_bound})
    began = stopwatch.perf_counter()
    # when / then
    for call in (
        lambda: add_working_time(empty, sh(2026, 1, 1), H),
        lambda: next_working_moment(empty, sh(2026, 1, 1)),
        lambda: add_working_time(too_far, sh(2026, 1, 1), H),
    ):
        with pytest.raises(ValueError, match="no working time"):
            call()
    assert stopwatch.perf_counter() - began < 2.0
    # and working_time_between is naturally bounded: it just reports zero
    assert working_time_between(empty, sh(2026, 1, 1), sh(2027, 1, 1)) == timedelta(0)


def test_a_single_makeup_day_in_an_otherwise_empty_calendar_is_found():
    # given a calendar whose only working day is a make-up day a year away
    cal = WorkingCalendar(
        tz=SHANGHAI, weekly_hours={}, workdays={date(2027, 1, 4)}, makeup_hours=DEFAULT_CHINA_HOURS
    )
    # when / then
    assert next_working_moment(cal, sh(2026, 1, 1)) == sh(2027, 1, 4, 9)
    assert add_working_time(cal, sh(2026, 1, 1), 4 * H) == sh(2027, 1, 4, 14)


def test_module_does_not_import_django():
    # given the module's source
    tree = ast.parse(Path(businesstime.__file__).read_text(encoding="utf-8"))
    # when every import is listed
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    # then it uses only the stdlib and `holidays`
    assert not any(name.split(".")[0] == "django" for name in imported)


# --------------------------------------------------------------------------------------------------
# Time zones with DST (Europe/Berlin: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00)
# --------------------------------------------------------------------------------------------------


def test_round_the_clock_days_are_23_and_25_hours_long_on_dst_switch_days():
    # given a 24/7 desk in Berlin / when a whole local day is measured / then real hours are counted
    assert working_time_between(BERLIN_24_7, be(2026, 3, 29), be(2026, 3, 30)) == 23 * H
    assert working_time_between(BERLIN_24_7, be(2026, 10, 25), be(2026, 10, 26)) == 25 * H
    assert working_time_between(BERLIN_24_7, be(2026, 3, 30), be(2026, 3, 31)) == 24 * H
    # and 24 working hours from Saturday noon end at 13:00 local on the short Sunday
    assert add_working_time(BERLIN_24_7, be(2026, 3, 28, 12), 24 * H) == be(2026, 3, 29, 13)
    assert add_working_time(BERLIN_24_7, be(2026, 10, 24, 12), 24 * H) == be(2026, 10, 25, 11)


def test_office_hours_across_the_spring_switch():
    # given a Berlin office, 09:00–17:00 Mon–Fri; the clocks go forward on Sunday Mar 29 2026
    start = be(2026, 3, 27, 16, 30)  # Friday, CET (+01:00)
    # when
    deadline = add_working_time(BERLIN_OFFICE, start, H)
    # then Monday 09:30 local, now CEST (+02:00): 1 h of working time but only 64 h of real time
    assert deadline == be(2026, 3, 30, 9, 30)
    assert deadline.utcoffset() == 2 * H and start.utcoffset() == H
    assert (deadline.hour, deadline.minute) == (9, 30)
    assert clock_time_between(start, deadline) == 64 * H
    # (the pitfall the module avoids: same-tzinfo subtraction compares wall clocks and says 65 h)
    assert deadline - start == 65 * H
    assert working_time_between(BERLIN_OFFICE, be(2026, 3, 23), be(2026, 4, 6)) == 80 * H


def test_a_night_shift_spanning_the_switch_counts_real_time():
    # given a Sunday night shift 00:00–06:00 in Berlin
    night = WorkingCalendar(tz=BERLIN, weekly_hours={6: ((time(0), time(6)),)})
    # when / then: 5 real hours when the clocks go forward, 7 when they go back
    assert working_time_between(night, be(2026, 3, 28), be(2026, 3, 30)) == 5 * H
    assert working_time_between(night, be(2026, 10, 24), be(2026, 10, 26)) == 7 * H
    # and intervals_on reports the real instants (offset changes inside the interval)
    [(start, end)] = night.intervals_on(date(2026, 10, 25))
    assert end.astimezone(UTC) - start.astimezone(UTC) == 7 * H


def test_interval_ends_inside_the_spring_gap_never_overlap():
    # given interval ends at 02:30, a wall time that does not exist on 2026-03-29 in Berlin
    cal = WorkingCalendar(tz=BERLIN, weekly_hours={6: ((time(1), time(2, 30)), (time(3), time(4)))})
    # when
    intervals = cal.intervals_on(date(2026, 3, 29))
    # then they are sorted, disjoint and non-empty in real time, covering 01:00 CET – 04:00 CEST (2 h)
    utc = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in intervals]
    assert all(s < e for s, e in utc) and all(a[1] <= b[0] for a, b in zip(utc, utc[1:]))
    assert sum((e - s for s, e in utc), timedelta(0)) == 2 * H


def test_add_clock_time_is_real_elapsed_time_in_the_start_zone():
    # given Saturday noon in Berlin before the spring switch
    start = be(2026, 3, 28, 12)
    # when 24 h of clock time are added
    later = add_clock_time(start, 24 * H)
    # then it is 13:00 on Sunday (a 23-hour day), still in Berlin's zone
    assert later == be(2026, 3, 29, 13) and later.tzinfo is BERLIN and later.hour == 13
    assert clock_time_between(start, later) == 24 * H
    assert clock_time_between(later, start) == timedelta(0)


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

# Zones: no DST; DST at 02:00 (Berlin); DST at 02:00 in the other hemisphere with a 30-min shift.
ZONES = [SHANGHAI, BERLIN, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), UTC]
WINDOW_START, WINDOW_END = datetime(2025, 6, 1), datetime(2026, 12, 31)


@st.composite
def day_hours(draw, *, min_intervals=0, avoid_dst_hour=False):
    """Sorted, disjoint wall intervals at minute resolution; 1440 minutes = the next midnight."""
    minutes = st.integers(0, 1440)
    if avoid_dst_hour:
        # Ends strictly between 02:00 and 03:00 are ambiguous / non-existent on DST nights: there
        # the module's documented PEP 495 reading and a naive wall-clock oracle legitimately differ.
        minutes = minutes.filter(lambda m: not 120 < m < 180)
    n = draw(st.integers(min_intervals, 3))
    points = sorted(draw(st.sets(minutes, min_size=2 * n, max_size=2 * n)))
    to_time = lambda m: time(0) if m == 1440 else time(m // 60, m % 60)  # noqa: E731
    return tuple((to_time(a), to_time(b)) for a, b in zip(points[::2], points[1::2]))


@st.composite
def calendars(draw, *, zones=ZONES, avoid_dst_hour=False):
    """The real Chinese calendar, or a random one that has at least some weekly working time."""
    if zones is ZONES and draw(st.booleans()):
        return CN
    weekly = {wd: draw(day_hours(avoid_dst_hour=avoid_dst_hour)) for wd in range(7)}
    weekly[draw(st.integers(0, 6))] = draw(day_hours(min_intervals=1, avoid_dst_hour=avoid_dst_hour))
    some_days = st.sets(st.dates(WINDOW_START.date(), WINDOW_END.date()), max_size=40)
    holidays_, workdays = draw(some_days), draw(some_days)
    return WorkingCalendar(
        tz=draw(st.sampled_from(zones)),
        weekly_hours=weekly,
        holidays=frozenset(holidays_ - workdays),
        workdays=frozenset(workdays),
        makeup_hours=draw(st.none() | day_hours(avoid_dst_hour=avoid_dst_hour)),
    )


# Instants anywhere in the window, given in an arbitrary zone (the functions accept any zone).
instants = st.builds(
    lambda naive, zone: naive.replace(tzinfo=UTC).astimezone(zone),
    st.datetimes(WINDOW_START, WINDOW_END),
    st.sampled_from(ZONES),
)
deltas = st.timedeltas(timedelta(0), timedelta(hours=120))
positive_deltas = st.timedeltas(US, timedelta(hours=120))

PROPERTY = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cal=calendars(), start=instants, a=deltas, b=positive_deltas)
def test_adding_in_two_steps_equals_adding_the_sum(cal, start, a, b):
    # given any start (working moment or not) and deltas a >= 0, b > 0
    # when a is added, then b
    two_steps = add_working_time(cal, add_working_time(cal, start, a), b)
    # then it equals adding a + b at once. (b > 0 matters: add(s, a) may be a closing time such as
    # 18:00, and add(18:00, 0) rolls forward to the next opening while add(s, a + 0) stays at 18:00;
    # both are the same point of *working* time, see the next test.)
    assert two_steps == add_working_time(cal, start, a + b)


@PROPERTY
@given(cal=calendars(), start=instants, a=deltas)
def test_adding_zero_only_normalises_to_the_next_working_moment(cal, start, a):
    # given any start and a >= 0
    deadline = add_working_time(cal, start, a)
    # when zero is added
    again = add_working_time(cal, deadline, timedelta(0))
    # then the result is the next working moment, and no working time lies between them
    assert again == next_working_moment(cal, deadline)
    assert working_time_between(cal, deadline, again) == timedelta(0)
    assert cal.is_working_time(again)


@PROPERTY
@given(cal=calendars(), start=instants, delta=positive_deltas)
def test_deadline_is_the_earliest_moment_with_exactly_delta_of_working_time(cal, start, delta):
    # given any start and delta > 0
    # when
    deadline = add_working_time(cal, start, delta)
    # then exactly delta of working time lies between start and the deadline …
    assert working_time_between(cal, start, deadline) == delta
    # … the microsecond before the deadline is working time (the deadline is never inside a
    # break: at most at the very end of an interval) …
    assert cal.is_working_time(deadline - US)
    # … so one microsecond earlier is one microsecond short
    assert working_time_between(cal, start, deadline - US) == delta - US
    # and working time never runs faster than the clock; the result is in the calendar's zone
    assert clock_time_between(start, deadline) >= delta
    assert deadline.tzinfo is cal.tz


@PROPERTY
@given(cal=calendars(), start=instants, d1=deltas, d2=deltas)
def test_deadline_is_monotonic_in_delta(cal, start, d1, d2):
    # given two deltas, d1 <= d2
    d1, d2 = sorted((d1, d2))
    # when / then
    assert add_working_time(cal, start, d1) <= add_working_time(cal, start, d2)


@PROPERTY
@given(cal=calendars(), points=st.lists(instants, min_size=3, max_size=3))
def test_working_time_between_is_additive_over_a_split_point(cal, points):
    # given a <= b <= c (in any zones)
    a, b, c = sorted(points)
    # when / then
    whole = working_time_between(cal, a, c)
    assert whole == working_time_between(cal, a, b) + working_time_between(cal, b, c)
    assert working_time_between(cal, a, c) <= clock_time_between(a, c)
    assert working_time_between(cal, c, a) == timedelta(0)


@PROPERTY
@given(cal=calendars(), start=instants)
def test_next_working_moment(cal, start):
    # given any instant
    # when
    moment = next_working_moment(cal, start)
    # then it is working time, not before start, with no working time in between; it is start
    # itself exactly when start is working time
    assert cal.is_working_time(moment)
    assert moment >= start
    assert working_time_between(cal, start, moment) == timedelta(0)
    assert (moment == start) == cal.is_working_time(start)
    assert add_working_time(cal, start, timedelta(0)) == moment


@PROPERTY
@given(cal=calendars(), zone=st.sampled_from(ZONES), start=instants, delta=deltas)
def test_result_does_not_depend_on_the_zone_the_start_is_written_in(cal, zone, start, delta):
    # given the same instant written in two zones / when / then the same deadline comes back
    assert add_working_time(cal, start.astimezone(zone), delta) == add_working_time(cal, start, delta)


@PROPERTY
@given(cal=calendars(), day=st.dates(WINDOW_START.date(), WINDOW_END.date()))
def test_intervals_on_are_sorted_disjoint_and_inside_the_local_day(cal, day):
    # given any calendar (including wall times inside DST gaps) and any date
    # when
    intervals = cal.intervals_on(day)
    # then each is non-empty, in the calendar's zone, sorted and disjoint in real time …
    utc = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in intervals]
    assert all(s < e for s, e in utc)
    assert all(prev_end <= next_start for (_, prev_end), (next_start, _) in zip(utc, utc[1:]))
    assert all(s.tzinfo is cal.tz and e.tzinfo is cal.tz for s, e in intervals)
    # … and within the day (an end may be the following midnight)
    day_start = datetime.combine(day, time(0), tzinfo=cal.tz).astimezone(UTC)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.tz).astimezone(UTC)
    assert all(day_start <= s and e <= day_end for s, e in utc)
    if not cal.is_working_day(day):
        assert intervals == []


# The oracle: count minutes one by one by reading the wall clock. Independent of the UTC interval
# construction, so it checks DST handling. Windows of up to 3 days around Berlin's switch nights.
dst_nights = st.sampled_from([datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC)])


def _wall_clock_minutes(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    minutes, t = 0, start
    while t < end:
        local = t.astimezone(cal.tz)
        wall = local.time().replace(tzinfo=None)
        minutes += any(
            s <= wall and (wall < e or e == time(0)) for s, e in cal.hours_on(local.date())
        )
        t += timedelta(minutes=1)
    return timedelta(minutes=minutes)


@settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(
    cal=calendars(zones=[BERLIN, SHANGHAI, ZoneInfo("America/New_York")], avoid_dst_hour=True),
    night=dst_nights,
    offset=st.integers(-36 * 60, 12 * 60),
    length=st.integers(0, 36 * 60),
)
def test_working_time_between_matches_a_minute_by_minute_wall_clock_oracle(cal, night, offset, length):
    # given minute-aligned instants around a DST switch night
    start = night + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    # when / then
    assert working_time_between(cal, start, end) == _wall_clock_minutes(cal, start, end)
