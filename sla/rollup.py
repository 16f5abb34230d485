"""Daily rollup of decided clocks, so the dashboard and the reports never read the clocks themselves.

What is counted (the one definition, sla.selectors.compliance_cells): a clock of any target whose
outcome is decided (`met` is not NULL: stopped in time, stopped late, or marked missed by the sweep
at its deadline), on the day its DEADLINE falls in the department's zone ("clocks due in the
period"), under the segment its ticket is in when the outcome is decided (kind, tier, channel,
team, agent). A running clock the sweep has not yet marked (met still NULL, deadline passed) is not
in the rollup: the selectors add those live from the running-clock index, on their deadline day.
A clock marked missed by the sweep that stops late later keeps one contribution: its old state
(met, time taken, deadline) is subtracted and the new one added. Its clock time taken (`elapsed`,
when stopped) goes into a log-scale histogram per deadline day, target and team (count and summed
seconds per bucket): median and p90 are the mean time of the bucket holding that rank (within a
bucket times differ by at most 5 %).

Kept in the same transaction as every change of a clock's outcome (services._apply: stop, restart,
pause/resume; the sweep's breaches): the old contribution is subtracted and the new one added with
INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n — one statement per table, atomic under
concurrency on PostgreSQL, keys in sorted order so two writers never wait on each other crosswise.

SLADailyComplianceDim holds the same counts summed per single dimension (the dashboard's breakdowns), written
with them (`dim_rows`).

`rebuild()` recomputes the tables from the clocks (data migration, bench, demo): run it when no
clocks are being decided, or after re-attributing tickets in bulk (a reassigned ticket's earlier
decided clocks stay counted under the agent/team they were decided under until a rebuild).
"""
from __future__ import annotations

import math
import zoneinfo
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from .models import POLICY_TARGET_CHOICES

# The ticket's targets (a department's hand-off clocks are its own promise, never in compliance): the
# dashboard shows first response and resolution, the reports all four. compliance_summary counts these.
REPORTED_TARGETS = tuple(value for value, _label in POLICY_TARGET_CHOICES)
BUCKETS_PER_E = 20  # bucket width: a factor e^(1/20) ≈ 1.051 of the time taken (in minutes, log1p)


def department_zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def bucket_of(elapsed: timedelta) -> int:
    minutes = max(elapsed.total_seconds(), 0) / 60
    return int(math.floor(BUCKETS_PER_E * math.log1p(minutes)))


def seconds_of(elapsed: timedelta) -> int:
    return round(elapsed.total_seconds())


def state(clock) -> tuple:
    """What the rollup holds of a clock: outcome, time taken, and the deadline that picks its day."""
    return (clock.met, clock.elapsed, clock.deadline)


def ticket_dims(ticket_ids) -> dict[int, tuple]:
    """{ticket id: (kind, tier, channel, team, agent)} read now, in one query."""
    from tickets.models import Ticket

    rows = Ticket.objects.filter(pk__in=list(ticket_ids)).values_list(
        "pk", "kind", "customer__tier", "channel", "team_id", "assignee_id")
    return {pk: (kind or "", tier or "", channel or "", team or 0, agent or 0)
            for pk, kind, tier, channel, team, agent in rows}


class Deltas:
    """Collects +1/-1 contributions and writes them in at most two statements."""

    def __init__(self):
        self.tz = department_zone()
        self.compliance: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        self.durations: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, *, target: str, deadline: datetime, met, elapsed, dims: tuple, sign: int) -> None:
        if target not in REPORTED_TARGETS or met is None:
            return
        day = deadline.astimezone(self.tz).date()
        cell = self.compliance[(day, target, *dims)]
        cell[0] += sign
        cell[1] += sign if met else 0
        if elapsed is not None:
            cell = self.durations[(day, target, dims[3], bucket_of(elapsed))]
            cell[0] += sign
            cell[1] += sign * seconds_of(elapsed)

    def change(self, clock, old: tuple, dims: tuple) -> None:
        """Replace the clock's contribution under `old` (met, elapsed, deadline) by its current one."""
        new = state(clock)
        if new == old:
            return
        self.add(target=clock.target, deadline=old[2], met=old[0], elapsed=old[1], dims=dims, sign=-1)
        self.add(target=clock.target, deadline=new[2], met=new[0], elapsed=new[1], dims=dims, sign=1)

    def flush(self) -> None:
        from .models import SLADailyCompliance, SLADailyComplianceDim, SLADailyDuration

        comp = sorted((k, v) for k, v in self.compliance.items() if v != [0, 0])
        dur = sorted((k, v) for k, v in self.durations.items() if v != [0, 0])
        self.compliance.clear()
        self.durations.clear()
        _upsert(SLADailyCompliance, ["day", "target", "kind", "tier", "channel", "team", "agent"], ["decided", "met"],
                [(*k, *v) for k, v in comp])
        _upsert(SLADailyComplianceDim, ["day", "target", "team", "dim", "value"], ["decided", "met"], dim_rows(comp))
        _upsert(SLADailyDuration, ["day", "target", "team", "bucket"], ["n", "seconds"], [(*k, *v) for k, v in dur])


def dim_rows(comp: list[tuple[tuple, list[int]]]) -> list[tuple]:
    """The fine cells' changes [((day, target, kind, tier, channel, team, agent), [decided, met])] as changes of
    SLADailyComplianceDim: (day, target, team, dim, value, decided, met), summed, in key order."""
    from .models import SLADailyComplianceDim

    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (day, target, kind, tier, channel, team, agent), (decided, met) in comp:
        values = {"kind": kind, "tier": tier, "channel": channel, "agent": str(agent)}
        for dim in SLADailyComplianceDim.DIMS:
            cell = sums[(day, target, team, dim, values[dim])]
            cell[0] += decided
            cell[1] += met
    return [(*k, *v) for k, v in sorted(sums.items()) if v != [0, 0]]


def rebuild_dims(*, apps=None) -> int:
    """Recompute SLADailyComplianceDim from SLADailyCompliance in the database (rebuild(), the data migration)."""
    from .models import SLADailyComplianceDim  # its DIMS (a historical model from `apps` has no class constants)

    get = (apps.get_model if apps else __import__("django.apps", fromlist=["apps"]).apps.get_model)
    fine = get("sla", "SLADailyCompliance")._meta.db_table
    Dim = get("sla", "SLADailyComplianceDim")
    table = Dim._meta.db_table
    Dim.objects.all().delete()
    with connection.cursor() as cursor:
        for dim in SLADailyComplianceDim.DIMS:
            value = "CAST(agent AS VARCHAR(20))" if dim == "agent" else dim
            cursor.execute(
                f"INSERT INTO {table} (day, target, team, dim, value, decided, met) "
                f"SELECT day, target, team, %s, {value}, SUM(decided), SUM(met) FROM {fine} "
                f"GROUP BY day, target, team, {value} HAVING SUM(decided) <> 0 OR SUM(met) <> 0", [dim])
    return Dim.objects.count()


def _upsert(model, key: list[str], counts: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    ops = connection.ops
    table = model._meta.db_table
    qn = ops.quote_name
    cols = [*key, *counts]
    placeholder = "(" + ", ".join(["%s"] * len(cols)) + ")"
    params = []
    for row in rows:
        params.append(ops.adapt_datefield_value(row[0]))
        params.extend(row[1:])
    sets = ", ".join(f"{qn(c)} = {table}.{qn(c)} + excluded.{qn(c)}" for c in counts)
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in cols)}) VALUES {', '.join([placeholder] * len(rows))} "
        f"ON CONFLICT ({', '.join(qn(c) for c in key)}) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def record(clocks_with_old: list[tuple]) -> None:
    """[(clock, old_state)] → update the rollup for those whose outcome changed (0 or 3 queries)."""
    changed = [(c, old) for c, old in clocks_with_old if state(c) != old and c.target in REPORTED_TARGETS]
    if not changed:
        return
    dims = ticket_dims({c.ticket_id for c, _old in changed})
    deltas = Deltas()
    for clock, old in changed:
        deltas.change(clock, old, dims[clock.ticket_id])
    deltas.flush()


def rebuild(*, apps=None, stdout=None) -> dict:
    """Recompute the tables from the clocks, in one transaction. Returns the row counts."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncDate

    get = (apps.get_model if apps else __import__("django.apps", fromlist=["apps"]).apps.get_model)
    Clock = get("sla", "SLAClock")
    Compliance = get("sla", "SLADailyCompliance")
    Duration = get("sla", "SLADailyDuration")
    tz = department_zone()
    decided = Clock.objects.filter(target__in=REPORTED_TARGETS, met__isnull=False)
    with transaction.atomic():
        Compliance.objects.all().delete()
        Duration.objects.all().delete()
        grouped = (
            decided.annotate(day=TruncDate("deadline", tzinfo=tz))
            .values("day", "target", "ticket__kind", "ticket__customer__tier", "ticket__channel",
                    "ticket__team_id", "ticket__assignee_id")
            .annotate(decided=Count("id"), met_count=Count("id", filter=Q(met=True)))
            .order_by()
        )
        comp = [
            Compliance(day=r["day"], target=r["target"], kind=r["ticket__kind"] or "",
                       tier=r["ticket__customer__tier"] or "", channel=r["ticket__channel"] or "",
                       team=r["ticket__team_id"] or 0, agent=r["ticket__assignee_id"] or 0,
                       decided=r["decided"], met=r["met_count"])
            for r in grouped.iterator(chunk_size=10000)
        ]
        Compliance.objects.bulk_create(comp, batch_size=5000)
        hist: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        rows = (decided.filter(elapsed__isnull=False).annotate(day=TruncDate("deadline", tzinfo=tz))
                .values_list("day", "target", "ticket__team_id", "elapsed").order_by())
        for day, target, team, elapsed in rows.iterator(chunk_size=20000):
            cell = hist[(day, target, team or 0, bucket_of(elapsed))]
            cell[0] += 1
            cell[1] += seconds_of(elapsed)
        Duration.objects.bulk_create(
            (Duration(day=d, target=t, team=team, bucket=b, n=n, seconds=sec) for (d, t, team, b), (n, sec) in hist.items()),
            batch_size=5000,
        )
        try:
            get("sla", "SLADailyComplianceDim")
        except LookupError:  # an earlier migration's rebuild: the table comes with 0015, which fills it
            dims = 0
        else:
            dims = rebuild_dims(apps=apps)
    out = {"compliance_rows": len(comp), "duration_rows": len(hist), "dimension_rows": dims}
    if stdout is not None:
        stdout.write(f"SLA rollup: {out['compliance_rows']} compliance rows, {out['dimension_rows']} dimension rows, "
                     f"{out['duration_rows']} duration rows.")
    return out


def percentile_from_histogram(counts: list[tuple[int, int, int]], p: int) -> timedelta | None:
    """Nearest-rank percentile from [(bucket, n, seconds)] sorted by bucket: the mean time taken of
    the bucket that holds the rank."""
    total = sum(n for _b, n, _s in counts)
    if total <= 0:
        return None
    rank = (total * p + 99) // 100
    running = 0
    for _bucket, n, seconds in counts:
        running += n
        if running >= rank:
            return timedelta(seconds=round(seconds / n))
    return None

