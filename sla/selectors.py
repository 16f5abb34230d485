"""Reads for service levels: calendars, a ticket's deadlines and clocks, the supervisor dashboard."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Prefetch, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from servicedesk.businesstime import WorkingCalendar

from . import rollup
from .calendars import cached_working_calendar, default_calendar
from .models import SLAClock, SLADailyCompliance, SLADailyDuration, SLAEscalation, Target


def working_calendar(*, now: datetime | None = None) -> WorkingCalendar:
    """The department's default business calendar as a pure WorkingCalendar.

    Cached per process and rebuilt when the calendar (its hours or days) changes: one query to check
    the calendar's revision token. `now` is accepted for symmetry with the services (the calendar
    holds every year entered, so it does not depend on it).
    """
    return cached_working_calendar(default_calendar())


def ticket_deadlines(ticket) -> dict[str, datetime]:
    """{target: deadline} for the ticket's clocks, e.g. {"first_response": …, "resolution": …}.

    Uses `ticket.sla_clocks` when prefetched (0 queries), else one query. Targets the ticket does not
    have are absent. Deadlines are aware datetimes; while a clock is paused its deadline will move
    by the paused time when it resumes.
    """
    cache = getattr(ticket, "_prefetched_objects_cache", {})
    if "sla_clocks" in cache:
        clocks = cache["sla_clocks"]
    else:
        clocks = SLAClock.objects.filter(ticket_id=ticket.pk).only("target", "deadline", "ticket_id")
    order = list(Target.values)
    return {c.target: c.deadline for c in sorted(clocks, key=lambda c: order.index(c.target))}


def ticket_url(ticket) -> str:
    """Link to the ticket page (the tickets area names it tickets:detail)."""
    for name, args in (("tickets:detail", [ticket.pk]), ("tickets:detail", [ticket.number])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    try:
        return reverse("sla:clocks", args=[ticket.pk])
    except NoReverseMatch:
        return ""


def ticket_clocks(ticket) -> list[SLAClock]:
    """The ticket's clocks with their escalation history (2 queries whatever their number)."""
    return list(
        SLAClock.objects.filter(ticket_id=ticket.pk)
        .select_related("policy")
        .prefetch_related(Prefetch("escalations", queryset=SLAEscalation.objects.order_by("scheduled_for", "id")))
        .order_by("id")
    )


def clock_state(clock: SLAClock, now: datetime | None = None) -> dict:
    """What the panel shows for one clock: state, time left or overdue by (pure, no queries)."""
    now = now or timezone.now()
    if clock.stopped_at is not None:
        state = "met" if clock.met else ("missed" if clock.met is False else "stopped")
        return {"state": state, "left": None, "overdue": None}
    if clock.paused_at is not None:
        return {"state": "paused", "left": max(clock.deadline - clock.paused_at, clock.deadline - clock.deadline),
                "overdue": None}
    delta = clock.deadline - now
    if delta.total_seconds() < 0:
        return {"state": "breached", "left": None, "overdue": -delta}
    warn = clock.warning_at is not None and clock.warning_at <= now
    return {"state": "at_risk" if warn else "running", "left": delta, "overdue": None}


# --- dashboard ----------------------------------------------------------------------------------------

DIMENSIONS = ("kind", "tier", "channel", "team", "agent")
_DIM_FIELD = {
    "kind": "ticket__kind",
    "tier": "ticket__customer__tier",
    "channel": "ticket__channel",
    "team": "ticket__team_id",
    "agent": "ticket__assignee_id",
}
REPORTED_TARGETS = (Target.FIRST_RESPONSE, Target.RESOLUTION)


@dataclass
class DashboardFilters:
    start: date
    end: date  # inclusive
    team_id: int | None = None

    def range(self):
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def query(self, **extra) -> str:
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.team_id:
            params["team"] = self.team_id
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)


def _team_filter(qs, team_id, prefix="ticket__"):
    return qs.filter(**{f"{prefix}team_id": team_id}) if team_id else qs


def clocks_at_risk(*, now: datetime, team_id: int | None = None):
    """Running clocks past their warning moment or deadline, nearest deadline first (breached on top)."""
    qs = SLAClock.objects.filter(stopped_at__isnull=True, paused_at__isnull=True).filter(
        Q(warning_at__lte=now) | Q(deadline__lte=now)
    )
    # ORDER BY deadline alone matches the partial index sla_clock_running_idx: the first rows of an
    # index scan are the answer, no sort over the open clocks.
    return _team_filter(qs, team_id).select_related(
        "ticket", "ticket__customer", "ticket__assignee", "ticket__team"
    ).order_by("deadline")


def capped_count(qs, cap: int) -> int:
    """COUNT(*) over at most `cap` rows (a LIMITed subquery)."""
    return qs.order_by().values("pk")[:cap].count()


def breach_counts(*, now: datetime, team_id: int | None = None) -> dict:
    """Breaches (level 1) that fell due today and this week (Monday onwards), in the local zone."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    qs = _team_filter(SLAEscalation.objects.filter(level=SLAEscalation.Level.BREACH, scheduled_for__gte=week,
                                                   scheduled_for__lte=now), team_id, "clock__ticket__")
    return qs.aggregate(week=Count("id"), today=Count("id", filter=Q(scheduled_for__gte=today)))


def _decided(filters: DashboardFilters):
    start, end = filters.range()
    qs = SLAClock.objects.filter(target__in=REPORTED_TARGETS, started_at__gte=start, started_at__lt=end, met__isnull=False)
    return _team_filter(qs, filters.team_id)


def _rollup_range(model, filters: DashboardFilters, start: date | None = None):
    qs = model.objects.filter(target__in=REPORTED_TARGETS, day__gte=start or filters.start, day__lte=filters.end)
    return qs.filter(team=filters.team_id) if filters.team_id else qs


def compliance(filters: DashboardFilters) -> dict:
    """{target: {"all": (met, total), dimension: {value: (met, total)}}} in ONE grouped query over the
    daily rollup (sla.rollup: kept with every decision), never over the clocks themselves."""
    dims = {"kind": "kind", "tier": "tier", "channel": "channel", "team": "team", "agent": "agent"}
    rows = (
        _rollup_range(SLADailyCompliance, filters)
        .values("target", *dims.values())
        .annotate(total=Sum("decided"), met_count=Sum("met"))
        .order_by()
    )
    out = {t: {"all": [0, 0], **{d: {} for d in DIMENSIONS}} for t in REPORTED_TARGETS}
    for row in rows:
        if not row["total"]:
            continue
        target = out[row["target"]]
        target["all"][0] += row["met_count"]
        target["all"][1] += row["total"]
        for dim, fieldname in dims.items():
            cell = target[dim].setdefault(row[fieldname] or None, [0, 0])  # "" / 0 = none
            cell[0] += row["met_count"]
            cell[1] += row["total"]
    return out


def percentiles(filters: DashboardFilters, points=(50, 90)) -> dict:
    """Median and p90 clock time taken per target (nearest rank), read from the rollup's log-scale
    histogram of times taken in one query: the mean of the bucket holding the rank (times within a
    bucket differ by at most 5 %; exact when they are alike), whatever the volume."""
    rows = (
        _rollup_range(SLADailyDuration, filters)
        .values("target", "bucket").annotate(count=Sum("n"), seconds=Sum("seconds")).order_by("target", "bucket")
    )
    hist: dict = {t: [] for t in REPORTED_TARGETS}
    for row in rows:
        if row["count"]:
            hist[row["target"]].append((row["bucket"], row["count"], row["seconds"]))
    out: dict = {t: {} for t in REPORTED_TARGETS}
    for target, counts in hist.items():
        for p in points:
            value = rollup.percentile_from_histogram(counts, p)
            if value is not None:
                out[target][p] = value
    return out


def trend(filters: DashboardFilters, days: int = 30) -> dict:
    """Daily compliance % per target for the `days` days ending at filters.end (one rollup query)."""
    end = filters.end
    start = end - timedelta(days=days - 1)
    rows = (
        _rollup_range(SLADailyCompliance, filters, start=start)
        .values("day", "target")
        .annotate(total=Sum("decided"), met_count=Sum("met"))
        .order_by()
    )
    labels = [start + timedelta(days=i) for i in range(days)]
    series = {t: [None] * days for t in REPORTED_TARGETS}
    for row in rows:
        index = (row["day"] - start).days
        if 0 <= index < days and row["total"]:
            series[row["target"]][index] = round(100 * row["met_count"] / row["total"], 1)
    return {"labels": [d.isoformat() for d in labels], "series": series}


def dashboard_figures(filters: DashboardFilters) -> dict:
    """Compliance, percentiles and trend for the dashboard, cached for SLA_DASHBOARD_CACHE_SECONDS
    (default 60 s) per filter set. These look back over days of decided clocks, so a minute-old
    figure is exact enough, while the at-risk list and today's breaches are always read live. At a
    million tickets this turns three aggregate queries over the date range into one cache read."""
    from django.conf import settings
    from django.core.cache import cache

    ttl = getattr(settings, "SLA_DASHBOARD_CACHE_SECONDS", 60)
    key = f"sla:dashboard:{filters.start}:{filters.end}:{filters.team_id}:{translation.get_language()}"
    if ttl:
        hit = cache.get(key)
        if hit is not None:
            return hit
    figures = {"compliance": compliance(filters), "percentiles": percentiles(filters), "trend": trend(filters)}
    if ttl:
        cache.set(key, figures, ttl)
    return figures


def clocks_due_unswept(*, now, grace_seconds: float = 120) -> int:
    """SLA clocks whose next check is more than `grace_seconds` overdue: the sweep is not keeping up
    (beat or workers down). /healthz reports it; one probe of sla_clock_due_idx, capped at 1,000."""
    from datetime import timedelta

    from .models import SLAClock

    cutoff = now - timedelta(seconds=grace_seconds)
    return len(SLAClock.objects.filter(next_check_at__lte=cutoff).values_list("pk", flat=True)[:1000])
