"""When a maintenance plan's visits fall: pure date arithmetic, no queries (unit-tested on its own).

Three schedule kinds:
* every N months from the start date: the k-th visit is start + k·N months, its day clamped to the
  month's last day (from 31 January monthly: 28/29 February, 31 March, 30 April …). Each occurrence is
  computed from the start date, never from the previous visit, so a clamp does not drift.
* quarterly: every 3 months.
* seasonal fixed dates: the same month/day list every year ("before summer peak" = 05-20); 29 February
  falls on 28 February in a common year. Only dates on or after the start date count.
"""
from datetime import date
import calendar

EVERY_N_MONTHS = "months"
QUARTERLY = "quarterly"
SEASONAL = "seasonal"


def add_months(start: date, months: int) -> date:
    """start + months, the day clamped to the last day of the target month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _seasonal_in_year(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def parse_month_days(text: str) -> list[tuple[int, int]]:
    """'05-20, 11-15' → [(5, 20), (11, 15)] sorted and unique; ValueError on a bad or impossible date."""
    found = set()
    for part in text.replace("，", ",").replace(";", ",").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        pieces = part.replace("/", "-").split("-")
        if len(pieces) != 2 or not all(p.strip().isdigit() for p in pieces):
            raise ValueError(part)
        month, day = int(pieces[0]), int(pieces[1])
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:  # 2000: leap year
            raise ValueError(part)
        found.add((month, day))
    return sorted(found)


def next_occurrence(*, kind: str, start_on: date, after: date | None, interval_months: int | None = None,
                    month_days: list | None = None) -> date:
    """The plan's first occurrence strictly after `after` (after=None: the first one of all)."""
    if kind in (EVERY_N_MONTHS, QUARTERLY):
        step = 3 if kind == QUARTERLY else int(interval_months or 0)
        if step < 1:
            raise ValueError("interval_months must be at least 1")
        if after is None or after < start_on:
            return start_on
        # Jump close to `after`, then step: at most a couple of iterations whatever the distance.
        k = max(0, ((after.year - start_on.year) * 12 + after.month - start_on.month) // step - 1)
        while True:
            candidate = add_months(start_on, k * step)
            if candidate > after:
                return candidate
            k += 1
    if kind == SEASONAL:
        pairs = sorted((int(m), int(d)) for m, d in (month_days or []))
        if not pairs:
            raise ValueError("a seasonal plan needs at least one date")
        floor = start_on if after is None or after < start_on else None
        year = (floor or after).year
        for y in (year, year + 1):
            for month, day in pairs:
                candidate = _seasonal_in_year(y, month, day)
                if (floor is not None and candidate >= floor) or (floor is None and candidate > after):
                    return candidate
        raise AssertionError("unreachable: every year has each date")
    raise ValueError(f"unknown schedule kind {kind!r}")


def occurrences(*, kind: str, start_on: date, count: int, interval_months: int | None = None,
                month_days: list | None = None) -> list[date]:
    """The first `count` occurrences (shown on the plan page as the coming visits)."""
    out, after = [], None
    for _ in range(count):
        after = next_occurrence(kind=kind, start_on=start_on, after=after, interval_months=interval_months,
                                month_days=month_days)
        out.append(after)
    return out
