"""Working-time arithmetic for SLA deadlines (domain brief §4).

Pure functions over a :class:`WorkingCalendar`: no Django, no database, so the SLA code can compute
deadlines and elapsed working time anywhere (views, Celery sweeps, reports) and this file can be
tested exhaustively in isolation.

Vocabulary and conventions
--------------------------
* A calendar lists, per weekday, the **working intervals** of a day, e.g. 09:00–12:00 and
  13:00–18:00 (the lunch break is simply the gap). Intervals are half-open ``[start, end)``: at
  12:00 sharp the office is at lunch. An end of ``time(0)`` means midnight at the *end* of the day,
  so ``(time(0), time(0))`` is a round-the-clock day.
* **Holidays** are days off even if their weekday normally works. **Make-up working days**
  (调休, ``workdays``) are days that work even if their weekday normally does not (in China: a
  Saturday or Sunday swapped against a weekday inside a holiday week); they follow ``makeup_hours``,
  by default Monday's timetable, because that is what the State Council's notices mean by
  "上班" on such a day.
* Only **aware** datetimes are accepted: a deadline of "9:30" is meaningless without a zone, and
  silently guessing one is how SLA clocks end up eight hours off. Results are expressed in the
  calendar's zone (same instant whatever zone the input used).
* All arithmetic is done in **UTC**. Subtracting two aware datetimes that share one ``ZoneInfo``
  compares *wall clocks* (Python ignores the offset change), so across a DST switch it would be an
  hour wrong; in UTC elapsed time is real time.
* Wall-clock interval ends are turned into instants with ``datetime.combine(d, t, tzinfo=tz)``,
  i.e. PEP 495 ``fold=0``: an ambiguous time means its first occurrence, a non-existent time (inside
  a spring-forward gap) is read with the offset in force before the switch. Should that make two
  intervals of one day overlap, the later one is trimmed, so a day's intervals are always sorted and
  disjoint. (Only matters for calendars with working time between 02:00 and 03:00 on a DST night.)
* ``add_working_time(cal, start, delta)`` returns the **earliest** instant by which ``delta`` of
  working time has elapsed since ``start``. A deadline may therefore fall exactly on an interval's
  end (Friday 17:00 + 1 h -> Friday 18:00, not Monday 09:00). With ``delta == 0`` it returns
  ``start`` itself when ``start`` is working time, otherwise the next working moment.
* A target in "working days" is the caller's business: convert it to working time first (e.g.
  5 working days = 5 x 8 h with the default Chinese office hours).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType

import holidays as holidays_lib

__all__ = [
    "DEFAULT_CHINA_HOURS",
    "MAX_SEARCH_DAYS",
    "WorkingCalendar",
    "add_clock_time",
    "add_working_time",
    "china_calendar",
    "clock_time_between",
    "next_working_moment",
    "working_time_between",
]

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]

#: How far (in consecutive days without any working time) a search may run before we conclude the
#: calendar has no working time at all. Ten years: longer than any real shutdown, short enough to
#: fail in milliseconds instead of looping forever on a misconfigured calendar.
MAX_SEARCH_DAYS = 3660

#: Standard Chinese office hours: 09:00–12:00 and 13:00–18:00 (8 working hours a day).
DEFAULT_CHINA_HOURS: DayHours = ((time(9), time(12)), (time(13), time(18)))

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)


def _normalise_day(hours: Iterable[Sequence[time]], what: str) -> DayHours:
    """Validate one day's intervals: each non-empty, sorted, not overlapping, no tz on the times.

    Validated once here so that the arithmetic below can trust its input.
    """
    result: list[Interval] = []
    previous_end = -1  # in _key units (microseconds since midnight)
    for pair in hours:
        start, end = pair
        if not isinstance(start, time) or not isinstance(end, time):
            raise TypeError(f"{what}: interval ends must be datetime.time, got {pair!r}")
        if start.tzinfo is not None or end.tzinfo is not None:
            # The calendar's zone applies; a per-time zone would be ambiguous.
            raise ValueError(f"{what}: interval times must be naive (the calendar's tz applies)")
        start_key, end_key = _key(start, is_end=False), _key(end, is_end=True)
        if start_key >= end_key:
            raise ValueError(f"{what}: empty or reversed interval {start}–{end}")
        if start_key < previous_end:
            raise ValueError(f"{what}: intervals must be sorted and must not overlap")
        previous_end = end_key
        result.append((start, end))
    return tuple(result)


def _key(t: time, *, is_end: bool) -> int:
    """Microseconds since midnight, where an *end* of 00:00 means the following midnight."""
    us = ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
    return 86_400_000_000 if is_end and us == 0 else us


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _require_non_negative(delta: timedelta) -> None:
    if delta < timedelta(0):
        raise ValueError(f"delta must not be negative, got {delta}")


@dataclass(frozen=True)
class WorkingCalendar:
    """When a department works: weekly timetable, zone, holidays and make-up working days.

    ``tz`` may be given as a zone name; ``holidays``/``workdays`` as any iterable of dates. A date
    cannot be both a holiday and a make-up working day (that would be a data-entry mistake, and
    silently picking one would move deadlines).
    """

    tz: tzinfo
    # Weekday (0 = Monday … 6 = Sunday) -> that day's working intervals; missing weekday = day off.
    # Excluded from the hash because a mapping is unhashable; equality still compares it.
    weekly_hours: Mapping[int, DayHours] = field(hash=False)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    makeup_hours: DayHours | None = None

    def __post_init__(self) -> None:
        # frozen=True forbids normal assignment; object.__setattr__ is the documented way to
        # normalise fields of a frozen dataclass in __post_init__.
        tz = zoneinfo.ZoneInfo(self.tz) if isinstance(self.tz, str) else self.tz
        if not isinstance(tz, tzinfo):
            raise TypeError(f"tz must be a tzinfo or a zone name, got {self.tz!r}")
        weekly: dict[int, DayHours] = {}
        for weekday, hours in self.weekly_hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekly_hours keys are weekdays 0..6, got {weekday!r}")
            weekly[weekday] = _normalise_day(hours, f"weekday {weekday}")
        holidays = frozenset(self.holidays)
        workdays = frozenset(self.workdays)
        if clash := holidays & workdays:
            raise ValueError(f"dates both holiday and make-up working day: {sorted(clash)}")
        makeup = None if self.makeup_hours is None else _normalise_day(self.makeup_hours, "makeup_hours")
        object.__setattr__(self, "tz", tz)
        # Read-only view so nobody mutates a calendar that deadlines were computed with.
        object.__setattr__(self, "weekly_hours", MappingProxyType(weekly))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "makeup_hours", makeup)

    def hours_on(self, d: date) -> DayHours:
        """The wall-clock working intervals of date ``d`` (empty on a day off)."""
        if d in self.workdays:
            return self.makeup_hours if self.makeup_hours is not None else self.weekly_hours.get(0, ())
        if d in self.holidays:
            return ()
        return self.weekly_hours.get(d.weekday(), ())

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` has any working time (make-up days included, holidays excluded)."""
        return bool(self.hours_on(d))

    def _utc_intervals(self, d: date) -> list[tuple[datetime, datetime]]:
        """Date ``d``'s working intervals as sorted, disjoint, non-empty UTC instant pairs."""
        result: list[tuple[datetime, datetime]] = []
        for start_t, end_t in self.hours_on(d):
            end_day = d + _ONE_DAY if end_t == _MIDNIGHT else d  # 00:00 as an end = next midnight
            start = datetime.combine(d, start_t, tzinfo=self.tz).astimezone(UTC)
            end = datetime.combine(end_day, end_t, tzinfo=self.tz).astimezone(UTC)
            if result:
                # Only reachable with ends inside a DST gap (see module doc): trim the overlap.
                start = max(start, result[-1][1])
            if start < end:
                result.append((start, end))
        return result

    def intervals_on(self, d: date) -> list[tuple[datetime, datetime]]:
        """Date ``d``'s working intervals as aware datetimes in the calendar's zone."""
        return [(s.astimezone(self.tz), e.astimezone(self.tz)) for s, e in self._utc_intervals(d)]

    def is_working_time(self, at: datetime) -> bool:
        """True if the instant ``at`` lies inside a working interval (start included, end not)."""
        _require_aware(at, "at")
        at_utc = at.astimezone(UTC)
        local_day = at_utc.astimezone(self.tz).date()
        # The previous day too: cheap insurance for exotic zones whose midnight moves with DST.
        return any(
            s <= at_utc < e for day in (local_day - _ONE_DAY, local_day) for s, e in self._utc_intervals(day)
        )

    def _intervals_from(self, at_utc: datetime) -> Iterator[tuple[datetime, datetime]]:
        """UTC intervals that end after ``at_utc``, in order, forever (or ValueError).

        Walks day by day, so a 30-working-day deadline touches ~45 days, not 20,000 minutes.
        Raises ValueError after MAX_SEARCH_DAYS consecutive days without working time.
        """
        # Start one day early: an interval of the previous local date cannot reach past midnight,
        # but DST shifts of midnight itself make "cannot" too strong a promise to rely on.
        day = at_utc.astimezone(self.tz).date() - _ONE_DAY
        idle_days = 0
        while True:
            intervals = self._utc_intervals(day)
            if intervals:
                idle_days = 0
                for s, e in intervals:
                    if e > at_utc:
                        yield s, e
            else:
                idle_days += 1
                if idle_days > MAX_SEARCH_DAYS:
                    raise ValueError(
                        f"calendar has no working time in the {MAX_SEARCH_DAYS} days before {day}"
                    )
            day += _ONE_DAY


def next_working_moment(cal: WorkingCalendar, at: datetime) -> datetime:
    """``at`` itself if it is working time, else the start of the next working interval."""
    _require_aware(at, "at")
    at_utc = at.astimezone(UTC)
    start, _end = next(cal._intervals_from(at_utc))
    return max(start, at_utc).astimezone(cal.tz)


def add_working_time(cal: WorkingCalendar, start: datetime, delta: timedelta) -> datetime:
    """The earliest instant by which ``delta`` of working time has elapsed since ``start``.

    Counting begins at ``next_working_moment(cal, start)``. ``delta`` must be >= 0. The result is
    aware, in ``cal.tz``, and may equal the end of a working interval (e.g. 18:00).
    """
    _require_aware(start, "start")
    _require_non_negative(delta)
    at_utc = start.astimezone(UTC)
    remaining = delta
    for s, e in cal._intervals_from(at_utc):
        begin = max(s, at_utc)
        available = e - begin
        if remaining <= available:
            return (begin + remaining).astimezone(cal.tz)
        remaining -= available
    raise AssertionError("unreachable: _intervals_from is infinite or raises")  # pragma: no cover


def working_time_between(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time inside ``[start, end)``; ``timedelta(0)`` if ``end <= start``."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    if end_utc <= start_utc:
        return total
    # Bounded by the two dates (not by MAX_SEARCH_DAYS): an empty calendar simply yields 0 here.
    day = start_utc.astimezone(cal.tz).date() - _ONE_DAY  # one day early: see _intervals_from
    last_day = end_utc.astimezone(cal.tz).date()
    while day <= last_day:
        for s, e in cal._utc_intervals(day):
            overlap = min(e, end_utc) - max(s, start_utc)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total


def add_clock_time(start: datetime, delta: timedelta) -> datetime:
    """All-day clock: ``start + delta`` in real elapsed time (24 h is 24 h across a DST switch).

    Same contract as :func:`add_working_time` (aware start, ``delta >= 0``) so a policy can switch
    clocks without the caller changing. The result keeps ``start``'s zone.
    """
    _require_aware(start, "start")
    _require_non_negative(delta)
    return (start.astimezone(UTC) + delta).astimezone(start.tzinfo)


def clock_time_between(start: datetime, end: datetime) -> timedelta:
    """All-day clock counterpart of :func:`working_time_between` (real time, 0 if end <= start)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    return max(end.astimezone(UTC) - start.astimezone(UTC), timedelta(0))


def china_calendar(
    years: Iterable[int],
    *,
    tz: str | tzinfo = "Asia/Shanghai",
    hours: Sequence[Interval] = DEFAULT_CHINA_HOURS,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
) -> WorkingCalendar:
    """A Mon–Fri calendar with mainland China's public holidays and make-up working days.

    Days off come from ``holidays.China(years=...)`` (its keys include weekdays swapped out for a
    make-up day); make-up days from its ``weekend_workdays``, filtered to ``years`` because the
    library carries some unrelated old dates there. Make-up days use ``hours`` too.

    Include every year a deadline can reach (e.g. this year and the next). The library only knows
    a year's make-up days once the State Council has published them (2027: not yet, as of 0.109),
    so ``extra_holidays`` / ``extra_workdays`` let a manager add what the library lacks.
    """
    years = sorted(set(years))
    cn = holidays_lib.China(years=years)
    wanted = set(years)
    extra_off, extra_on = set(extra_holidays), set(extra_workdays)
    # A manager's entry overrides the library's; the same date in both extras is a mistake that
    # WorkingCalendar refuses.
    day_off = ({d for d in cn if d.year in wanted} - extra_on) | extra_off
    makeup = ({d for d in cn.weekend_workdays if d.year in wanted} - extra_off) | extra_on
    day_hours = tuple(hours)
    return WorkingCalendar(
        tz=tz,
        weekly_hours={weekday: day_hours for weekday in range(5)},
        holidays=frozenset(day_off),
        workdays=frozenset(makeup),
        makeup_hours=day_hours,
    )
