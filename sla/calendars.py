"""Business calendars from the database as pure WorkingCalendars, cached per process.

Building one costs two small queries (hours, days). It is checked against its calendar row's `revision`
token, which every change of the calendar, its hours or its days replaces. The rows themselves are kept
per thread (CALENDARS, servicedesk.shared_memo), and every write to the calendars table renews the memo's
shared token, so the check usually costs no query at all. So callers may ask for a calendar as often as
they like: the sweep, each ticket opening, the dashboard.
"""
from __future__ import annotations

import threading
from django.utils import timezone

from servicedesk.businesstime import WorkingCalendar
from servicedesk.shared_memo import SharedMemo

from .models import BusinessCalendar, BusinessHours, CalendarDay

_cache: dict[int, tuple[str, WorkingCalendar]] = {}
_lock = threading.Lock()


def build_working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    """The pure calendar for one BusinessCalendar row (2 queries)."""
    weekly = {h.weekday: h.intervals() for h in BusinessHours.objects.filter(calendar=calendar)}
    off, on = set(), set()
    for day, kind in CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"):
        (off if kind == CalendarDay.Kind.HOLIDAY else on).add(day)
    return WorkingCalendar(
        tz=calendar.time_zone, weekly_hours=weekly, holidays=frozenset(off), workdays=frozenset(on),
        makeup_hours=weekly.get(0),
    )


def cached_working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    """The pure calendar for `calendar`, rebuilt only when its revision token changed."""
    token = str(calendar.revision)
    hit = _cache.get(calendar.pk)
    if hit is not None and hit[0] == token:
        return hit[1]
    built = build_working_calendar(calendar)
    with _lock:
        _cache[calendar.pk] = (token, built)
    return built


def _load_calendars() -> dict[int, BusinessCalendar]:
    return {c.pk: c for c in BusinessCalendar.objects.all()}


# Every calendar row (a department has a handful), kept per thread while none changed. Shared objects:
# read them, never change them.
CALENDARS = SharedMemo("sla:calendars:version", _load_calendars)


def calendar_row(pk: int | None) -> BusinessCalendar | None:
    """The calendar row `pk`, with its current revision; None if there is no such calendar."""
    return CALENDARS.get().get(pk) if pk is not None else None


def default_calendar() -> BusinessCalendar:
    """The department's default calendar row; if none exists (fresh database), create the Chinese one."""
    defaults = [c for c in CALENDARS.get().values() if c.is_default]
    calendar = min(defaults, key=lambda c: c.name) if defaults else None
    if calendar is None:
        year = timezone.localdate().year
        calendar = china_calendar_install(years=[year, year + 1])
    return calendar


def china_calendar_install(*, years) -> BusinessCalendar:
    """Create or complete the Chinese calendar for `years` (see sla.defaults). Idempotent."""
    from .defaults import install_china_calendar

    calendar, _added = install_china_calendar(BusinessCalendar, BusinessHours, CalendarDay, years=years)
    calendar.refresh_from_db()
    return calendar


def calendar_touch(calendar_id: int) -> None:
    """Mark a calendar as changed (new revision): cached copies everywhere are rebuilt on next use."""
    import uuid

    BusinessCalendar.objects.filter(pk=calendar_id).update(revision=uuid.uuid4())
