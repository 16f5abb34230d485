"""Pure clock arithmetic on an SLAClock row (no queries): level moments, pauses, next check.

Rules (domain.md §4), decided here and tested in tests/sla/test_clock_rules.py:

* A level moment is "the instant by which `fraction × allowed time` of clock time has run", where
  clock time is working time on a business clock and real time on an all-day clock, and time spent
  paused (waiting on the customer, or resolved until reopened) does not count:
  ``moment(f) = add(started_at, f × duration + paused_total)``.
  Warning is f = warning% / 100, breach f = 1 (the deadline), level 2 f = the level-2 multiplier.
* On resume, only moments that lay *after* the pause began move; a warning already due before the
  pause stays where it was (it is due, and the sweep fires it stamped with its true moment).
* `next_check_at` is the moment of the next level not yet fired while the clock runs; NULL when
  paused, stopped, or nothing is left to fire.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from servicedesk.businesstime import (
    WorkingCalendar,
    add_clock_time,
    add_working_time,
    clock_time_between,
    working_time_between,
)

from .models import ClockType, SLAClock

LEVEL_ORDER = (SLAClock.Level.WARNING, SLAClock.Level.BREACH, SLAClock.Level.LEVEL2)


def _scaled(duration: timedelta, factor) -> timedelta:
    return timedelta(microseconds=int(Decimal(duration // timedelta(microseconds=1)) * Decimal(factor)))


def add(clock: SLAClock, cal: WorkingCalendar | None, start: datetime, delta: timedelta) -> datetime:
    if clock.clock == ClockType.BUSINESS:
        return add_working_time(cal, start, delta)
    return add_clock_time(start, delta)


def between(clock: SLAClock, cal: WorkingCalendar | None, start: datetime, end: datetime) -> timedelta:
    if clock.clock == ClockType.BUSINESS:
        return working_time_between(cal, start, end)
    return clock_time_between(start, end)


def level_fractions(clock: SLAClock) -> dict[int, Decimal | None]:
    return {
        SLAClock.Level.WARNING: None if clock.warning_percent is None else Decimal(clock.warning_percent) / 100,
        SLAClock.Level.BREACH: Decimal(1),
        SLAClock.Level.LEVEL2: None if clock.level2_multiplier is None else Decimal(clock.level2_multiplier),
    }


LEVEL_FIELD = {SLAClock.Level.WARNING: "warning_at", SLAClock.Level.BREACH: "deadline", SLAClock.Level.LEVEL2: "level2_at"}


def compute_levels(clock: SLAClock, cal: WorkingCalendar | None, *, only_after: datetime | None = None) -> None:
    """Set warning_at / deadline / level2_at from the snapshot. With only_after, keep moments <= it."""
    for level, fraction in level_fractions(clock).items():
        field = LEVEL_FIELD[level]
        current = getattr(clock, field)
        if only_after is not None and current is not None and current <= only_after:
            continue
        value = None if fraction is None else add(clock, cal, clock.started_at, _scaled(clock.duration, fraction) + clock.paused_total)
        setattr(clock, field, value)


def refresh_next_check(clock: SLAClock) -> None:
    clock.next_check_at = None
    if clock.stopped_at is not None or clock.paused_at is not None:
        return
    for level in LEVEL_ORDER:
        at = getattr(clock, LEVEL_FIELD[level])
        if level > clock.last_level and at is not None:
            clock.next_check_at = at
            return


def due_levels(clock: SLAClock, now: datetime) -> list[tuple[int, datetime]]:
    """Levels not yet fired whose moment has come, in order, each with its scheduled moment."""
    if clock.stopped_at is not None or clock.paused_at is not None:
        return []
    due = []
    for level in LEVEL_ORDER:
        at = getattr(clock, LEVEL_FIELD[level])
        if level > clock.last_level and at is not None and at <= now:
            due.append((level, at))
    return due


def pause(clock: SLAClock, now: datetime) -> bool:
    if clock.stopped_at is not None or clock.paused_at is not None:
        return False
    clock.paused_at = now
    refresh_next_check(clock)
    return True


def resume(clock: SLAClock, cal: WorkingCalendar | None, now: datetime) -> bool:
    """End a pause: the paused clock time is added, and every moment still ahead moves by it."""
    if clock.paused_at is None or clock.stopped_at is not None:
        return False
    paused_since = clock.paused_at
    # A clock that starts later (planned work, clocks_from) counts only the pause after its start.
    counted_from = max(paused_since, clock.started_at)
    clock.paused_total += between(clock, cal, counted_from, max(now, counted_from))
    clock.paused_at = None
    compute_levels(clock, cal, only_after=paused_since)
    refresh_next_check(clock)
    return True


def stop(clock: SLAClock, cal: WorkingCalendar | None, now: datetime, *, decide: bool) -> bool:
    """Stop the clock. decide=True judges it met/not met; False (cancelled) leaves it undecided
    unless it had already breached."""
    if clock.stopped_at is not None:
        return False
    if clock.paused_at is not None:
        resume(clock, cal, now)
    clock.stopped_at = now
    clock.elapsed = max(between(clock, cal, clock.started_at, now) - clock.paused_total, timedelta(0))
    if clock.breached_at is not None or now > clock.deadline:
        clock.met = False if (decide or clock.breached_at is not None) else None
    else:
        clock.met = True if decide else None
    refresh_next_check(clock)
    return True


def restart(clock: SLAClock, cal: WorkingCalendar | None, now: datetime) -> bool:
    """Reopened: the clock runs again with the time it had left; the stopped span counts as a pause.

    A clock that had breached stays breached (met=False) and its fired levels never fire again.
    """
    if clock.stopped_at is None:
        return False
    stopped_since = clock.stopped_at
    counted_from = max(stopped_since, clock.started_at)  # stopped before a later start: see resume
    clock.paused_total += between(clock, cal, counted_from, max(now, counted_from))
    clock.stopped_at = None
    clock.elapsed = None
    clock.met = False if clock.breached_at is not None else None
    compute_levels(clock, cal, only_after=stopped_since)
    refresh_next_check(clock)
    return True
