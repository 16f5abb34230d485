"""Report periods in the department's time zone (settings.TIME_ZONE): a day runs from local
midnight to midnight, a week starts on Monday, a month on the 1st. Periods are half-open
[start, end) so an event at 23:59:59 local belongs to that day and one at 00:00 to the next."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

KINDS = ("day", "week", "month", "custom")


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_tz())


def _add_months(day: date, months: int) -> date:
    m = day.month - 1 + months
    return date(day.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first local day included
    last: date  # last local day included

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> "Period":
        if self.kind == "month":
            first = _add_months(self.first, -1)
            return Period("month", first, self.first - timedelta(days=1))
        return Period(self.kind, self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def next(self) -> "Period":
        if self.kind == "month":
            first = _add_months(self.first, 1)
            return Period("month", first, _add_months(first, 1) - timedelta(days=1))
        return Period(self.kind, self.last + timedelta(days=1), self.last + timedelta(days=self.days))

    @property
    def label(self) -> str:
        if self.kind == "day":
            return date_format(self.first, "Y-m-d")
        if self.kind == "month":
            return date_format(self.first, "YEAR_MONTH_FORMAT")
        return _("%(first)s – %(last)s") % {
            "first": date_format(self.first, "Y-m-d"), "last": date_format(self.last, "Y-m-d"),
        }

    def as_params(self) -> dict:
        return {"period": self.kind, "date": self.first.isoformat(), "end": self.last.isoformat()}


def period_containing(kind: str, day: date) -> Period:
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period("week", first, first + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        return Period("month", first, _add_months(first, 1) - timedelta(days=1))
    return Period("day", day, day)


def last_complete_period(kind: str, now: datetime | None = None) -> Period:
    """The most recent period that has fully ended by `now` (what a scheduled email reports)."""
    today = timezone.localtime(now or timezone.now(), local_tz()).date()
    return period_containing(kind, today).previous()


def local_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), local_tz()).date()
