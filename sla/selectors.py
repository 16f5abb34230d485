"""Reads for service levels: calendars, a ticket's deadlines and clocks, the supervisor dashboard."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, DateField, F, Func, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from servicedesk.businesstime import WorkingCalendar

from . import rollup
from .calendars import cached_working_calendar, default_calendar
from .models import (
    DEPARTMENT_TARGETS, ClockType, SLAClock, SLADailyCompliance, SLADailyComplianceDim, SLADailyDuration, SLAEscalation,
    Target,
)


def working_calendar(*, now: datetime | None = None) -> WorkingCalendar:
    """The department's default business calendar as a pure WorkingCalendar.

    Cached per process and rebuilt when the calendar (its hours or days) changes: one query to check
    the calendar's revision token. `now` is accepted for symmetry with the services (the calendar
    holds every year entered, so it does not depend on it).
    """
    return cached_working_calendar(default_calendar())


def ticket_deadlines(ticket) -> dict[str, datetime]:
    """{target: deadline} for the ticket's clocks, e.g. {"first_response": …, "resolution": …}.

    Uses `ticket.sla_clocks` when prefetched, or the clocks just started for a ticket opened in this
    request (0 queries), else one query. Targets the ticket does not
    have are absent. Deadlines are aware datetimes; while a clock is paused its deadline will move
    by the paused time when it resumes.
    """
    cache = getattr(ticket, "_prefetched_objects_cache", {})
    started = getattr(ticket, "_sla_clocks_started", None)  # set when the ticket was opened (sla.receivers)
    if started is not None:
        clocks = started
    elif "sla_clocks" in cache:
        clocks = cache["sla_clocks"]
    else:
        clocks = SLAClock.objects.filter(ticket_id=ticket.pk).only("target", "deadline", "ticket_id")
    order = list(Target.values)
    # The department clocks (one pair per hand-off, issue 17) are the department's, not the ticket's promise.
    return {c.target: c.deadline for c in sorted(clocks, key=lambda c: order.index(c.target))
            if c.target not in DEPARTMENT_TARGETS}


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
    """The ticket's clocks, each with its escalation history as `clock.history` (oldest first): 2 queries
    whatever their number, their SQL compiled once per process (the ticket page). The panel shows no
    policy: none is joined."""
    from servicedesk.compiled import compiled_objects

    clocks = compiled_objects("sla.ticket_clocks", _ticket_clocks, ticket.pk)
    history = {}
    for clock in clocks:
        clock.history = history[clock.pk] = []
    for escalation in compiled_objects("sla.ticket_escalations", _ticket_escalations, ticket.pk):
        history[escalation.clock_id].append(escalation)
    return clocks


def _ticket_clocks(ticket_id):
    return SLAClock.objects.filter(ticket_id=ticket_id).order_by("id")


def _ticket_escalations(ticket_id):
    return SLAEscalation.objects.filter(clock__ticket_id=ticket_id).order_by("scheduled_for", "id")


def ticket_clock_rows(ticket, now: datetime | None = None) -> list[dict]:
    """The ticket page's SLA panel: each clock with its state (clock_state), 2 queries whatever the
    history. The page renders it in the first paint; sla:clocks serves the same panel alone."""
    now = now or timezone.now()
    return [{"clock": c, **clock_state(c, now), **_clock_labels(c)} for c in ticket_clocks(ticket)]


def _choice_label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


def _clock_labels(clock: SLAClock) -> dict:
    """What the panel prints for a clock, without Django's per-call rebuild of a field's choices
    (get_FOO_display) or the date filter (~0.1 ms each, on every ticket page)."""
    from servicedesk.timetext import local_stamp

    return {"target_label": _choice_label(Target, clock.target), "clock_label": _choice_label(ClockType, clock.clock),
            "deadline_iso": timezone.localtime(clock.deadline).isoformat(), "deadline_text": local_stamp(clock.deadline)}


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
    """Running clocks past their warning moment or deadline, nearest deadline first (breached on top).
    The ticket's clocks only: a department's hand-off clocks are its own promise (DEPARTMENT_TARGETS,
    escalated to its head; *My department's complaints* lists them), not the ticket's or its agent's."""
    qs = SLAClock.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, handoff__isnull=True).filter(
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


# --- SLA compliance and breaches: the ONE definition -----------------------------------------------
#
# Counted: every clock DUE in the period (its deadline falls in it, in the department's zone) whose
# outcome is known now: met (stopped by its deadline), or missed (stopped after it, or still running
# past it — a clock past its deadline is missed whether or not it has stopped). Clocks due later,
# paused clocks not yet breached and cancelled ones are not counted. The dashboard, the report page,
# its exports and the scheduled report e-mail all read these functions; the pages say so with
# COMPLIANCE_COUNTS below.

COMPLIANCE_COUNTS = _("Clocks due in the period, including those still running past their deadline "
                      "(counted as missed).")
_CELL_FIELDS = {"day": "day", "target": "target", "kind": "kind", "tier": "tier", "channel": "channel",
                "team": "team", "agent": "agent"}
_LIVE_FIELDS = {"target": "target", "kind": "ticket__kind", "tier": "ticket__customer__tier",
                "channel": "ticket__channel", "team": "ticket__team_id", "agent": "ticket__assignee_id"}
_EMPTY = {"kind": "", "tier": "", "channel": "", "team": 0, "agent": 0}


def _local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (datetime.combine(start, time.min, tzinfo=tz),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))


def missed_q(now: datetime) -> Q:
    """A clock is missed: judged so (stopped late, or marked at its deadline by the sweep), or still
    running past its deadline and not yet swept."""
    return Q(met=False) | Q(met__isnull=True, stopped_at__isnull=True, paused_at__isnull=True, deadline__lte=now)


def counted_q(now: datetime) -> Q:
    """A clock whose outcome is known now: met, or missed (see missed_q)."""
    return Q(met__isnull=False) | Q(stopped_at__isnull=True, paused_at__isnull=True, deadline__lte=now)


def clocks_due(*, start: date, end: date, now: datetime, team_id: int | None = None, targets=None):
    """The clocks behind the compliance figures, read directly: due start..end (inclusive local
    days) and counted (met or missed by now). The drill-down list and the tests use it; the figures
    themselves come from compliance_cells, which must always agree with it."""
    lo, hi = _local_bounds(start, end)
    qs = SLAClock.objects.filter(deadline__gte=lo, deadline__lt=hi, handoff__isnull=True).filter(counted_q(now))
    if targets is not None:
        qs = qs.filter(target__in=list(targets))
    return _team_filter(qs, team_id)


def _unswept_missed(*, start: date, end: date, now: datetime, team_id=None):
    """Running clocks past their deadline that the sweep has not marked yet (met IS NULL): the part
    of "missed" the rollup cannot hold. Read through the partial index sla_clock_running_idx
    (deadline, stopped_at IS NULL): normally a handful of rows (the sweep runs every minute).

    No condition on the target here (callers group by it and keep the targets they want): without
    planner statistics, SQLite took `target IN (…)` for the selective term and read every clock of
    those targets through sla_clock_started_idx — 1.8 s instead of milliseconds at 200,000 clocks."""
    lo, hi = _local_bounds(start, end)
    # Department hand-off clocks are not in the compliance figures (the rollup does not hold them either).
    qs = SLAClock.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, met__isnull=True,
                                 deadline__gte=lo, deadline__lt=hi, handoff__isnull=True).filter(deadline__lte=now)
    return _team_filter(qs, team_id)


CASE_DAYS_MAX = 400


class _LocalDayCase(Func):
    """The local day of a datetime column as nested CASE WHENs over the span's local midnights (see _local_day),
    written out as SQL text here: as Django Case/When objects the ~120 nodes of a two-month span cost ~10 ms to
    compile on every read, more than the query itself (the monthly report's SLA figures)."""

    def __init__(self, field: str, start: date, days: int):
        self.start, self.days = start, days
        super().__init__(F(field), output_field=DateField())

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.get_source_expressions()[0])
        tz = timezone.get_default_timezone()
        ops = connection.ops
        midnights = [ops.adapt_datetimefield_value(datetime.combine(self.start + timedelta(days=i), time.min, tzinfo=tz))
                     for i in range(self.days + 1)]
        params: list = []

        def within(lo, hi) -> str:
            # Days lo..hi-1, for a value known to be before day hi: halve the span at each step, so a row
            # costs about log2(days) comparisons instead of one per day before its own.
            if hi - lo == 1:
                params.append((self.start + timedelta(days=lo)).isoformat())
                return "%s"
            mid = (lo + hi) // 2
            params.extend([*column_params, midnights[mid]])
            first = within(lo, mid)
            return f"CASE WHEN {column} < %s THEN {first} ELSE {within(mid, hi)} END"

        params.extend([*column_params, midnights[self.days]])
        sql = f"CASE WHEN {column} < %s THEN {within(0, self.days)} ELSE NULL END"
        return sql, params


def _local_day(field: str, start: date, end: date):
    """The local calendar day of a datetime column, as an expression. On SQLite TruncDate calls a
    Python function per row; a CASE over the period's local midnights (computed here, so daylight
    saving is right) runs inside SQLite and gives the same day."""
    from django.db import connection

    days = (end - start).days + 1
    if connection.vendor != "sqlite" or days > CASE_DAYS_MAX:
        return TruncDate(field, tzinfo=timezone.get_default_timezone())
    return _LocalDayCase(field, start, days)


class UnsweptMissed:
    """The running clocks past their deadline that the sweep has not marked yet, over a span of days,
    read once per page and shared by its figures (the dashboard's compliance, trend and breach
    counts used to read them three times). Lazy, and only as fine as asked: by day and target
    alone it reads the clocks table only; a breakdown by kind, tier, channel, team or agent joins
    the tickets (done once, and then serving the coarser figures too). A page whose figures come
    from the cache reads only what its live figures need."""

    GRAIN = ("day", "target", "kind", "tier", "channel", "team", "agent")
    COARSE = ("day", "target")

    def __init__(self, *, start: date, end: date, now: datetime, team_id: int | None = None):
        self.start, self.end, self.now, self.team_id = start, end, now, team_id
        self._fine = self._coarse = None

    def covers(self, start: date, end: date, now: datetime, team_id) -> bool:
        return self.start <= start and end <= self.end and now == self.now and (team_id or None) == (self.team_id or None)

    @property
    def has_fine(self) -> bool:
        return self._fine is not None

    def needs_fine(self, by) -> bool:
        return any(k not in self.COARSE for k in by)

    def rows(self, by=GRAIN) -> list[tuple[tuple, int]]:
        """[(values in GRAIN order, count)]; the grain's dimensions are None when read coarse."""
        if self._fine is not None:
            return self._fine
        if not self.needs_fine(by):
            if self._coarse is None:
                self._coarse = self._read(self.COARSE)
            return self._coarse
        self._fine = self._read(self.GRAIN)
        return self._fine

    def _read(self, grain) -> list[tuple[tuple, int]]:
        live = _unswept_missed(start=self.start, end=self.end, now=self.now, team_id=self.team_id)
        live = live.annotate(day=_local_day("deadline", self.start, self.end))
        fields = {k: ("day" if k == "day" else _LIVE_FIELDS[k]) for k in grain}
        names = list(fields.values())
        at = {k: names.index(fields[k]) for k in fields}
        width = len(names)
        return [
            (tuple((row[at[k]] if row[at[k]] is not None else _EMPTY.get(k)) if k in at else None
                   for k in self.GRAIN), row[width])
            for row in live.values(*names).annotate(n=Count("id")).order_by().values_list(*names, "n")
        ]


def compliance_cells(*, start: date, end: date, now: datetime, team_id: int | None = None, targets=None,
                     by=("target",), live: UnsweptMissed | None = None) -> dict[tuple, list[int]]:
    """{key: [met, counted]} for clocks due start..end (inclusive local days), grouped by `by`
    (any of day, target, kind, tier, channel, team, agent; kind…agent as "" / 0 for none).

    The one definition of SLA compliance (see COMPLIANCE_COUNTS). Two grouped queries whatever the
    volume: the daily rollup (decided clocks on their deadline day, kept in the same transaction as
    every decision) plus the running clocks past their deadline that the sweep has not marked yet
    (or one, when `live` — shared by the page's figures — covers this span)."""
    by = tuple(by)
    qs = SLADailyCompliance.objects.filter(day__gte=start, day__lte=end)
    if targets is not None:
        qs = qs.filter(target__in=list(targets))
    if team_id:
        qs = qs.filter(team=team_id)
    cells: dict[tuple, list[int]] = {}
    fields = [_CELL_FIELDS[k] for k in by]
    # Tuples, not dicts: the dashboard's grain is thousands of groups a month.
    rows = qs.values(*fields).annotate(n=Sum("decided"), m=Sum("met")).order_by().values_list(*fields, "n", "m")
    width = len(fields)
    for row in rows:
        n = row[width]
        if n:
            cell = cells.setdefault(row[:width], [0, 0])
            cell[0] += row[width + 1]
            cell[1] += n
    if live is None or not live.covers(start, end, now, team_id) or not (live.has_fine or live.needs_fine(by)):
        # Nothing fine read yet and none needed: a read of just this span is the cheaper one.
        live = UnsweptMissed(start=start, end=end, now=now, team_id=team_id)
    wanted = set(targets) if targets is not None else None
    at = {k: UnsweptMissed.GRAIN.index(k) for k in ("day", "target", *by)}
    for values, n in live.rows(by):
        day = values[at["day"]]
        if day is None or not start <= day <= end or (wanted is not None and values[at["target"]] not in wanted):
            continue
        cells.setdefault(tuple(values[at[k]] for k in by), [0, 0])[1] += n
    return cells


def rate(met: int, counted: int) -> dict:
    """{"met", "missed", "counted", "pct"}: how every page shows one compliance figure."""
    return {"met": met, "missed": counted - met, "counted": counted,
            "pct": round(100 * met / counted, 1) if counted else None}


def compliance_summary(*, ranges: dict, now: datetime, team_id: int | None = None, targets=None) -> dict:
    """{range key: {target: rate(), "all": rate()}} for several (start, end) day ranges in the same
    two queries (e.g. a report period and the previous one)."""
    targets = list(targets) if targets is not None else list(rollup.REPORTED_TARGETS)
    lo = min(r[0] for r in ranges.values())
    hi = max(r[1] for r in ranges.values())
    cells = compliance_cells(start=lo, end=hi, now=now, team_id=team_id, targets=targets, by=("day", "target"))
    out = {}
    for key, (start, end) in ranges.items():
        sums = {t: [0, 0] for t in targets}
        for (day, target), (met, n) in cells.items():
            if start <= day <= end and target in sums:
                sums[target][0] += met
                sums[target][1] += n
        out[key] = {t: rate(*sums[t]) for t in targets}
        out[key]["all"] = rate(sum(v[0] for v in sums.values()), sum(v[1] for v in sums.values()))
    return out


def breach_counts(*, now: datetime, team_id: int | None = None, live: UnsweptMissed | None = None) -> dict:
    """Clocks (any target) missed whose deadline fell today and this week (Monday onwards), local
    zone: the "missed" of compliance_cells over those days, so it always matches the compliance
    figures (a clock still running past its deadline is a breach before the sweep marks it)."""
    today = timezone.localtime(now).date()
    week = today - timedelta(days=today.weekday())
    cells = compliance_cells(start=week, end=today, now=now, team_id=team_id, by=("day",), live=live)
    missed = {day: n - met for (day,), (met, n) in cells.items()}
    return {"week": sum(missed.values()), "today": missed.get(today, 0)}


def _decided(filters: DashboardFilters, now: datetime | None = None):
    """The dashboard's drill-down: the clocks its compliance figures count (see clocks_due)."""
    return clocks_due(start=filters.start, end=filters.end, now=now or timezone.now(), team_id=filters.team_id,
                      targets=REPORTED_TARGETS)


def _rollup_range(model, filters: DashboardFilters, start: date | None = None):
    qs = model.objects.filter(target__in=REPORTED_TARGETS, day__gte=start or filters.start, day__lte=filters.end)
    return qs.filter(team=filters.team_id) if filters.team_id else qs


def compliance(filters: DashboardFilters, now: datetime | None = None, live: UnsweptMissed | None = None) -> dict:
    """{target: {"all": (met, total), dimension: {value: (met, total)}}}: compliance_cells (the one definition)
    by target and each dimension alone, in two grouped queries, never over the decided clocks themselves.

    The decided part comes from SLADailyComplianceDim, the rollup summed per single dimension (~40 groups a
    month instead of compliance_cells' ~3,800 every-dimension groups, which cost the cold dashboard ~20 ms at
    100,000 tickets); the unswept part from the same running-clock read as compliance_cells. The rollup tests
    hold it equal to the figures computed from the clocks."""
    now = now or timezone.now()
    qs = SLADailyComplianceDim.objects.filter(day__gte=filters.start, day__lte=filters.end, target__in=REPORTED_TARGETS)
    if filters.team_id:
        qs = qs.filter(team=filters.team_id)
    out = {t: {"all": [0, 0], **{d: {} for d in DIMENSIONS}} for t in REPORTED_TARGETS}

    def add(cells, value, met, total):
        cell = cells.setdefault(value or None, [0, 0])  # "" / 0 = none
        cell[0] += met
        cell[1] += total

    rows = (qs.values("target", "team", "dim", "value").annotate(n=Sum("decided"), m=Sum("met")).order_by()
            .values_list("target", "team", "dim", "value", "n", "m"))
    for target_key, team, dim, value, total, met in rows:
        if not total:
            continue
        target = out[target_key]
        add(target[dim], int(value) if dim == "agent" else value, met, total)
        if dim == "kind":  # every decided clock has exactly one kind row: the team's and the target's totals
            add(target["team"], team, met, total)
            target["all"][0] += met
            target["all"][1] += total
    if live is None or not live.covers(filters.start, filters.end, now, filters.team_id):
        live = UnsweptMissed(start=filters.start, end=filters.end, now=now, team_id=filters.team_id)
    at = {k: UnsweptMissed.GRAIN.index(k) for k in UnsweptMissed.GRAIN}
    for values, n in live.rows(UnsweptMissed.GRAIN):
        day, target_key = values[at["day"]], values[at["target"]]
        if day is None or not filters.start <= day <= filters.end or target_key not in out:
            continue
        target = out[target_key]
        target["all"][1] += n
        for dim in DIMENSIONS:
            add(target[dim], values[at[dim]], 0, n)
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


def trend(filters: DashboardFilters, days: int = 30, now: datetime | None = None,
          live: UnsweptMissed | None = None) -> dict:
    """Daily compliance % per target for the `days` days ending at filters.end, by deadline day
    (compliance_cells: the same definition as every other compliance figure)."""
    end = filters.end
    start = end - timedelta(days=days - 1)
    cells = compliance_cells(start=start, end=end, now=now or timezone.now(), team_id=filters.team_id,
                             targets=REPORTED_TARGETS, by=("day", "target"), live=live)
    labels = [start + timedelta(days=i) for i in range(days)]
    series = {t: [None] * days for t in REPORTED_TARGETS}
    for (day, target), (met, total) in cells.items():
        index = (day - start).days
        if 0 <= index < days and total:
            series[target][index] = round(100 * met / total, 1)
    return {"labels": [d.isoformat() for d in labels], "series": series}


TREND_DAYS = 30


def dashboard_live(filters: DashboardFilters, now: datetime) -> UnsweptMissed:
    """The unswept-missed clocks for every figure of the dashboard: its period, the trend's 30 days
    and this week's breach counts, read (if at all) in one query."""
    today = timezone.localtime(now).date()
    start = min(filters.start, filters.end - timedelta(days=TREND_DAYS - 1), today - timedelta(days=today.weekday()))
    return UnsweptMissed(start=start, end=max(filters.end, today), now=now, team_id=filters.team_id)


def dashboard_figures(filters: DashboardFilters, now: datetime | None = None, live: UnsweptMissed | None = None) -> dict:
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
    now = now or timezone.now()
    figures = {"compliance": compliance(filters, now, live=live), "percentiles": percentiles(filters),
               "trend": trend(filters, days=TREND_DAYS, now=now, live=live)}
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
