"""Report figures, every one computed in the database (domain.md §8).

One function per section; each returns a plain dict and runs a FIXED number of queries whatever
the data (aggregates, conditional Count/Sum with filter=Q(...), window functions). Percentiles use
the nearest-rank method: percentile_disc on PostgreSQL; on SQLite the values computed in SQL are read
out and the rank ceil(p·n) picked in Python (cheaper there than its window sort; the portable
window form, ROW_NUMBER() next to COUNT(*) OVER (), stays as method="window"). Python otherwise only
labels and formats the handful of aggregated rows.

On PostgreSQL the heaviest figures are summed from counts the database keeps in the same statement as each write
(tickets' flow and backlog, response-time buckets, complaints, contacts: see each section); every one of them has
its direct computation beside it, which SQLite and the tests use.
"""
import math
from datetime import timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Aggregate, BooleanField, Case, Count, DurationField, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Sum,
    Value, When,
)
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _, pgettext, pgettext_lazy

from customers import selectors as customers_selectors
from customers.models import Channel, Contact
from dispatch.models import PartUsage, WorkOrder
from followups import selectors as fu_selectors
from followups.models import Callback
from servicedesk.lookups import Elapsed, localized_name, localized_name_expression
from sla import selectors as sla_selectors
from sla.models import POLICY_TARGET_CHOICES
from tickets import selectors as ticket_selectors
from tickets.models import Complaint, Ticket

from .periods import Period, local_tz

SECTIONS = {
    "contacts": _("Contacts"),
    "tickets": _("Tickets"),
    "sla": _("Response times and SLA"),
    "complaints": _("Complaints"),
    "callbacks": _("Callbacks"),
    "surveys": _("Satisfaction"),
    "technicians": _("Technicians"),
    "faults": _("Recurring faults"),
    "staff": _("Staff assessment"),
    "improvement": _("Problems and measures"),
    "first_inquiry": _("First-inquiry ownership"),
}
PERCENTILES = (0.5, 0.9)
FIRST_TIME_FIX_DAYS = 30
TOP_FAULTS = 10
TOP_PARTS = 10
# These two tables show the top rows only, and say so (lists never cut silently).
PARTS_TITLE = format_lazy(_("Parts used (top {count})"), count=TOP_PARTS)
FAULTS_TITLE = format_lazy(_("Recurring faults (top {count})"), count=TOP_FAULTS)


# --- helpers ------------------------------------------------------------------------------------
def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _team(qs, team, path: str):
    return qs.filter(**{path: team}) if team is not None else qs


def _ratio(part, whole):
    return None if not whole else round(100.0 * part / whole, 1)


def _hours(value):
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 3600, 1)
    return round(float(value) / 3_600_000_000, 1)  # microseconds (a raw SQLite duration)


def _mean(total, count):
    """A sum over its count (a duration or a number), None when there is nothing to average."""
    return total / count if count and total is not None else None


def change(current, previous):
    """▲/▼ with % against the previous period; None when there is nothing to compare with."""
    if current is None or previous is None:
        return None
    if current == previous:
        return {"direction": "flat", "pct": 0.0}
    direction = "up" if current > previous else "down"
    pct = None if not previous else round(abs(current - previous) * 100.0 / abs(previous), 1)
    return {"direction": direction, "pct": pct}


class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentiles, all fractions in one sort:
    percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY value) — the smallest value whose
    cumulative share reaches p, i.e. the row of rank ceil(p·n), the same as the portable form."""

    function = "percentile_disc"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions, output_field):
        from django.contrib.postgres.fields import ArrayField

        super().__init__(expression, output_field=ArrayField(output_field),
                         fractions=", ".join(repr(float(p)) for p in fractions))


def percentiles(qs, value, *, ps=PERCENTILES, output_field=None, method=None) -> dict:
    """{p: value} for the nearest-rank percentiles of `value` over `qs`, in ONE query.

    PostgreSQL: percentile_disc (one sort, no window). SQLite: "fetch" (see below). method="window" keeps
    the rank arithmetic in SQL: a row is the p-th percentile when ceil(p·n) = rank, i.e. p·n <= rank < p·n + 1, with
    ROW_NUMBER() and COUNT() OVER () over an inner query that computes the value once per row.
    """
    output_field = output_field or DurationField()
    method = method or ("disc" if connection.vendor == "postgresql" else "fetch")
    if method == "disc":
        got = qs.aggregate(_p=PercentileDisc(value, ps, output_field))["_p"]
        return {} if got is None else dict(zip(ps, got))
    raw_duration = isinstance(output_field, DurationField) and not connection.features.has_native_duration_field
    if method == "fetch":
        # SQLite: its window sort cost 2.6× reading the values out (a month at 100,000 tickets, 6,566
        # resolutions: 13.2 vs 5.0 ms), so the values come back in one query and the rank of ceil(p·n) —
        # the window's rule, in the same floating point — is picked here.
        # (NULLs are dropped here: a WHERE on the annotation would compute the value twice per row)
        inner = qs.annotate(_v=ExpressionWrapper(value, output_field=output_field)).order_by().values_list("_v")
        try:
            sql, params = inner.query.sql_with_params()
        except EmptyResultSet:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            values = sorted(v for (v,) in cursor.fetchall() if v is not None)
        n = len(values)
        if not n:
            return {}
        return {p: (timedelta(microseconds=int(v)) if raw_duration else v)
                for p in ps for v in [values[math.ceil(p * n) - 1]]}
    # The value is computed once per row in an inner query; the window and the rank filter read it
    # by name (a Django Window over the annotation repeats the expression in the ORDER BY and the
    # NULL filter: three evaluations per row, most of the monthly report's SQL time on SQLite).
    inner = qs.annotate(_k=F("pk"), _v=ExpressionWrapper(value, output_field=output_field)).values_list("_k", "_v")
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:
        return {}
    ranks = " OR ".join("(_rn >= _n * %s AND _rn < _n * %s + 1)" for _p in ps)
    sql = (f"SELECT _v, _rn, _n FROM (SELECT _v, ROW_NUMBER() OVER (ORDER BY _v, _k) AS _rn, COUNT(*) OVER () AS _n "
           f"FROM ({inner_sql}) AS _values WHERE _v IS NOT NULL) AS _ranked WHERE {ranks}")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, *(x for p in ps for x in (p, p))))
        rows = cursor.fetchall()
    out: dict = {}
    for v, rn, n in rows:
        for p in ps:
            if p * n <= rn < p * n + 1:
                out[p] = timedelta(microseconds=int(v)) if raw_duration else v
    return out


def _duration(end: str, start: str):
    return Elapsed(F(end), F(start))


def _label(choices, value):
    return str(dict(choices).get(value, value or "—"))


# --- sections -----------------------------------------------------------------------------------
def _contact_totals(period, team):
    qs = _team(Contact.objects.filter(_in("started_at", period)), team, "handled_by__profile__team")
    return qs.aggregate(
        total=Count("id"),
        walk_ins=Count("id", filter=Q(channel=Channel.WALK_IN)),
        calls=Count("id", filter=Q(channel=Channel.PHONE)),
        inbound=Count("id", filter=Q(direction=Contact.Direction.INBOUND)),
        outbound=Count("id", filter=Q(direction=Contact.Direction.OUTBOUND)),
    )


def _contact_figures(period: Period, team, source: str = "auto"):
    """This period's and the previous one's totals, this period's contacts by channel (most first) and by local hour
    of day. From the contacts' hourly counts in one query (customers.selectors.contact_hour_rows: PostgreSQL, periods
    on whole UTC hours), else — or with source="direct" — counted from the contacts in 4."""
    prev_period = period.previous()
    rows = None if source == "direct" else customers_selectors.contact_hour_rows(
        start=prev_period.start, split=period.start, end=period.end, team=team, tz=local_tz())
    if rows is None:
        qs = _team(Contact.objects.filter(_in("started_at", period)), team, "handled_by__profile__team")
        by_channel = [(r["channel"], r["n"]) for r in
                      qs.values("channel").annotate(n=Count("id")).order_by("-n", "channel")]
        by_hour = dict(
            qs.annotate(h=ExtractHour("started_at", tzinfo=local_tz())).values("h").annotate(n=Count("id"))
            .order_by("h").values_list("h", "n")
        )
        return (_contact_totals(period, team), _contact_totals(prev_period, team), by_channel,
                [by_hour.get(h, 0) for h in range(24)])

    def totals(part):
        return {"total": sum(r["n"] for r in part),
                "walk_ins": sum(r["n"] for r in part if r["channel"] == Channel.WALK_IN),
                "calls": sum(r["n"] for r in part if r["channel"] == Channel.PHONE),
                "inbound": sum(r["n"] for r in part if r["direction"] == Contact.Direction.INBOUND),
                "outbound": sum(r["n"] for r in part if r["direction"] == Contact.Direction.OUTBOUND)}

    cur_rows = [r for r in rows if r["cur"]]
    channels, hours = {}, [0] * 24
    for r in cur_rows:
        channels[r["channel"]] = channels.get(r["channel"], 0) + r["n"]
        hours[r["h"]] += r["n"]
    by_channel = sorted(channels.items(), key=lambda kv: (-kv[1], kv[0]))
    return totals(cur_rows), totals([r for r in rows if not r["cur"]]), by_channel, hours


def contacts_section(*, period: Period, team=None) -> dict:
    """Front-desk load: contacts by channel and hour of day (local), walk-ins vs calls. 1 query on PostgreSQL
    (the contacts' hourly counts), else 4."""
    cur, prev, by_channel, hours = _contact_figures(period, team)
    by_channel = [{"channel": c, "n": n} for c, n in by_channel]
    return {
        "figures": {k: {"value": cur[k], "previous": prev[k], "change": change(cur[k], prev[k])} for k in cur},
        "by_channel": [{"channel": _label(Channel.choices, r["channel"]), "count": r["n"]} for r in by_channel],
        "by_hour": hours,
        "tables": {
            "contacts_by_channel": {
                "title": _("Contacts by channel"),
                "headers": [_("Channel"), _("Contacts")],
                "rows": [[_label(Channel.choices, r["channel"]), r["n"]] for r in by_channel],
            },
            "contacts_by_hour": {
                "title": _("Contacts by hour of day"),
                "headers": [_("Hour"), _("Contacts")],
                "rows": [[f"{h:02d}:00", n] for h, n in enumerate(hours)],
            },
        },
    }


def backlog_at(moment, team=None) -> int:
    return ticket_selectors.backlog_at(moment=moment, team=team)


def tickets_section(*, period: Period, team=None) -> dict:
    """Opened / resolved / closed by kind and priority, backlog at period end. 2 queries (3 for a period not on
    whole UTC hours).

    This period's and the previous one's flows come from ONE grouped query (tickets.selectors.ticket_flow_rows:
    the hourly rollup the database keeps, or the tickets themselves for a period not on whole UTC hours); the
    previous totals are added up from it. Both backlogs from one more (tickets.selectors.backlogs_at: the same
    rollup, or a count per period end)."""
    prev_period = period.previous()
    both = ticket_selectors.ticket_flow_rows(current=(period.start, period.end),
                                             previous=(prev_period.start, prev_period.end), team=team)
    keys = ("opened", "resolved", "closed")
    prev = {k: sum(r[f"prev_{k}"] for r in both) for k in keys}
    rows = [r for r in both if any(r[k] for k in keys)]
    cur = {k: sum(r[k] for r in rows) for k in keys}
    cur["backlog"], prev["backlog"] = ticket_selectors.backlogs_at(moments=[period.end, prev_period.end], team=team)
    by_kind = {}
    for r in rows:
        k = by_kind.setdefault(r["kind"], {"kind": _label(Ticket.Kind.choices, r["kind"]), "opened": 0,
                                           "resolved": 0, "closed": 0})
        for f in ("opened", "resolved", "closed"):
            k[f] += r[f]
    kinds = [by_kind[k] for k in Ticket.Kind.values if k in by_kind]
    return {
        "figures": {k: {"value": cur[k], "previous": prev[k], "change": change(cur[k], prev[k])} for k in cur},
        "by_kind": kinds,
        "tables": {
            "tickets_by_kind_priority": {
                "title": _("Tickets by kind and priority"),
                "text_columns": 2,
                "headers": [_("Kind"), _("Priority"), pgettext("count", "Opened"), pgettext("count", "Resolved"), pgettext("count", "Closed")],
                "rows": [[_label(Ticket.Kind.choices, r["kind"]), _label(Ticket.Priority.choices, r["priority"]),
                          r["opened"], r["resolved"], r["closed"]] for r in rows],
            },
        },
    }


def _response_times(periods: dict, team, source: str = "auto") -> dict:
    """Median and p90 first-response and resolution times of each named period. PostgreSQL: from the tickets'
    duration counts (tickets.selectors.response_time_percentiles, 2 queries for all the periods); elsewhere, or
    with source="direct": percentile_disc / the values read out, 2 queries per period."""
    if source == "auto" and connection.vendor == "postgresql":
        got = ticket_selectors.response_time_percentiles(
            ranges={k: (p.start, p.end) for k, p in periods.items()}, team=team, ps=PERCENTILES)
    else:
        base = _team(Ticket.objects.all(), team, "team")
        got = {k: {"first_response": percentiles(base.filter(_in("first_response_at", p)),
                                                 _duration("first_response_at", "created_at")),
                   "resolution": percentiles(base.filter(_in("resolved_at", p)), _duration("resolved_at", "created_at"))}
               for k, p in periods.items()}
    return {k: {"first_response_median": _hours(g["first_response"].get(0.5)),
                "first_response_p90": _hours(g["first_response"].get(0.9)),
                "resolution_median": _hours(g["resolution"].get(0.5)),
                "resolution_p90": _hours(g["resolution"].get(0.9))} for k, g in got.items()}


def sla_section(*, period: Period, team=None, now=None) -> dict:
    """First-response and resolution time (median, p90, wall-clock hours from opening) and SLA
    compliance per target from sla.selectors.compliance_summary — the one definition the SLA
    dashboard shows too: clocks due in the period, including those still running past their
    deadline (missed). 4 queries on PostgreSQL (the four percentiles from the tickets' duration counts in two), 6
    elsewhere."""
    now = now or timezone.now()
    prev_period = period.previous()
    times = _response_times({"cur": period, "prev": prev_period}, team)
    cur, prev = times["cur"], times["prev"]
    summary = sla_selectors.compliance_summary(
        ranges={"cur": (period.first, period.last), "prev": (prev_period.first, prev_period.last)},
        now=now, team_id=getattr(team, "pk", team),
    )
    targets = []
    for value, label in POLICY_TARGET_CHOICES:  # the ticket's targets: departments' clocks are not in compliance
        r = summary["cur"][value]
        targets.append({"target": str(label), "met": r["met"], "breached": r["missed"], "compliance": r["pct"]})
    cur["compliance"] = summary["cur"]["all"]["pct"]
    prev["compliance"] = summary["prev"]["all"]["pct"]
    # the two targets the SLA dashboard shows, per target: the same figure in the report e-mail
    for value in sla_selectors.REPORTED_TARGETS:
        cur[f"compliance_{value}"] = summary["cur"][value]["pct"]
        prev[f"compliance_{value}"] = summary["prev"][value]["pct"]
    return {
        "figures": {k: {"value": cur[k], "previous": prev[k], "change": change(cur[k], prev[k])} for k in cur},
        "targets": targets,
        "counts": sla_selectors.COMPLIANCE_COUNTS,
        "tables": {
            "sla_by_target": {
                "title": _("SLA compliance per target"),
                "headers": [_("Target"), _("Met"), _("Breached"), _("Compliance (%)")],
                "rows": [[t["target"], t["met"], t["breached"], t["compliance"]] for t in targets],
            },
        },
    }


def _complaint_rows(period: Period, team, source: str = "auto") -> list[dict]:
    """This period's and the previous one's complaints by (in this period?, category, department) with counts and
    duration sums. PostgreSQL: from the complaints' daily counts (tickets.selectors.complaint_count_rows); elsewhere,
    or with source="direct": ONE grouped query over both periods' complaints (contiguous periods: one range)."""
    prev_period = period.previous()
    if source == "auto" and connection.vendor == "postgresql":
        rows = ticket_selectors.complaint_count_rows(
            ranges={"cur": (period.start, period.end), "prev": (prev_period.start, prev_period.end)}, team=team)
        return [{"cur": r.pop("range") == "cur", **r} for r in rows]
    qs = Complaint.objects.filter(ticket__created_at__gte=prev_period.start, ticket__created_at__lt=period.end,
                                  ticket__kind=Ticket.Kind.COMPLAINT)
    in_period = Case(When(ticket__created_at__gte=period.start, then=Value(True)), default=Value(False),
                     output_field=BooleanField())
    return list(_team(qs, team, "ticket__team").annotate(cur=in_period).values(
        "cur", "category", "department__name", "department__name_en").annotate(
        n=Count("pk"),
        inv_sum=Sum(_duration("investigated_at", "ticket__created_at")), inv_n=Count("investigated_at"),
        sol_sum=Sum(_duration("solution_sent_at", "ticket__created_at")), sol_n=Count("solution_sent_at"),
    ).order_by())


def complaints_section(*, period: Period, team=None) -> dict:
    """Complaints opened in the period by category and responsible department, with the average
    time from opening to investigation finished and to the solution sent to the customer.

    ONE query over both periods (_complaint_rows: the complaints' daily counts on PostgreSQL, else a grouped
    count over the complaints) by (in this period?, category, department) returns counts and duration sums; the
    category and department tables and both periods' totals are added up from those few rows, and
    an average is sum / count of the answered complaints (the same for both periods). 1 query."""
    all_rows = _complaint_rows(period, team)
    rows = [r for r in all_rows if r["cur"]]

    def avg(total, count):
        return _hours(_mean(total, count))

    def add(acc, r):
        acc["n"] += r["n"]
        acc["inv_n"] += r["inv_n"]
        acc["sol_n"] += r["sol_n"]
        for k in ("inv_sum", "sol_sum"):
            if r[k] is not None:
                acc[k] = r[k] if acc[k] is None else acc[k] + r[k]
        return acc

    def zero():
        return {"n": 0, "inv_n": 0, "sol_n": 0, "inv_sum": None, "sol_sum": None}

    total, prev_total, by_cat, by_dept = zero(), zero(), {}, {}
    for r in all_rows:
        if not r["cur"]:
            add(prev_total, r)
    for r in rows:
        add(total, r)
        add(by_cat.setdefault(r["category"], zero()), r)
        dept = localized_name(r["department__name"], r["department__name_en"]) if r["department__name"] else None
        add(by_dept.setdefault(dept, zero()), r)

    def figures(acc):
        return {"total": acc["n"], "investigation_hours": avg(acc["inv_sum"], acc["inv_n"]),
                "solution_hours": avg(acc["sol_sum"], acc["sol_n"])}

    cur, prev = figures(total), figures(prev_total)
    categories = sorted(by_cat.items(), key=lambda kv: (-kv[1]["n"], kv[0]))
    departments = sorted(by_dept.items(), key=lambda kv: (-kv[1]["n"], kv[0] is None, kv[0] or ""))
    no_dept = str(_("Not yet assigned"))
    return {
        "figures": {k: {"value": cur[k], "previous": prev[k], "change": change(cur[k], prev[k])} for k in cur},
        "by_category": [{"category": _label(Complaint.Category.choices, c), "count": a["n"]} for c, a in categories],
        "tables": {
            "complaints_by_category": {
                "title": _("Complaints by category"),
                "headers": [pgettext("complaint", "Category"), _("Complaints")],
                "rows": [[_label(Complaint.Category.choices, c), a["n"]] for c, a in categories],
            },
            "complaints_by_department": {
                "title": _("Complaints by responsible department"),
                "headers": [_("Department"), _("Complaints"), _("Hours to investigation (avg)"),
                            _("Hours to solution (avg)")],
                "rows": [[d or no_dept, a["n"], avg(a["inv_sum"], a["inv_n"]), avg(a["sol_sum"], a["sol_n"])]
                         for d, a in departments],
            },
        },
    }


def callbacks_section(*, period: Period, team=None, now=None) -> dict:
    """Callbacks due in the period: done on time, done late, overdue (still pending past due),
    unreachable — followups.selectors.callback_figures, the one definition. 2 queries."""
    now = now or timezone.now()
    rows = fu_selectors.callback_figures(start=period.start, end=period.end, now=now, team=team, by="reason")
    prev_period = period.previous()
    prev = fu_selectors.callback_figures(start=prev_period.start, end=prev_period.end, now=now, team=team)
    keys = ("due", "done_on_time", "done_late", "overdue", "unreachable")
    cur = {k: sum(r[k] for r in rows) for k in keys}
    cur["on_time_rate"] = _ratio(cur["done_on_time"], cur["due"])
    prev["on_time_rate"] = _ratio(prev["done_on_time"], prev["due"])
    return {
        "figures": {k: {"value": cur[k], "previous": prev[k], "change": change(cur[k], prev[k])} for k in cur},
        "counts": fu_selectors.CALLBACK_FIGURES_COUNT,
        "tables": {
            "callbacks_by_reason": {
                "title": _("Callbacks by reason"),
                "headers": [_("Reason"), pgettext("count", "Due"), _("Done on time"), _("Done late"), _("Overdue"), _("Unreachable")],
                "rows": [[_label(Callback.Reason.choices, r["reason"]), *[r[k] for k in keys]] for r in rows],
            },
        },
    }


DIMENSIONS = {
    "overall": _("Overall satisfaction"),
    "reliability": _("Reliability"),
    "responsiveness": _("Responsiveness"),
    "assurance": _("Professional skill"),
    "empathy": _("Attitude"),
    "tangibles": _("Appearance and tidiness"),
}


def _survey_figures(stats):
    fig = {"answers": stats.n, "csat": stats.csat, "nps": stats.nps}
    for d in [*DIMENSIONS, "recommend"]:
        fig[f"avg_{d}"] = stats.avg(d)
    return fig


def surveys_section(*, period: Period, team=None) -> dict:
    """CSAT (% of 4–5 overall), NPS (% 9–10 minus % 0–6), per-dimension averages, from
    followups.selectors.survey_stats (the satisfaction page's definition). 3 queries."""
    prev_period = period.previous()
    cur = _survey_figures(fu_selectors.survey_stats(start=period.start, end=period.end, team=team))
    prev = _survey_figures(fu_selectors.survey_stats(start=prev_period.start, end=prev_period.end, team=team))
    by_kind = fu_selectors.survey_stats(start=period.start, end=period.end, team=team, by="ticket_kind")
    return {
        "figures": {k: {"value": cur[k], "previous": prev[k], "change": change(cur[k], prev[k])} for k in cur},
        "dimensions": [{"key": d, "label": str(label), "value": cur[f"avg_{d}"]} for d, label in DIMENSIONS.items()],
        "counts": fu_selectors.SURVEY_FIGURES_COUNT,
        "tables": {
            "surveys_by_dimension": {
                "title": _("Average score per dimension (1–5)"),
                "headers": [_("Dimension"), _("This period"), _("Previous period")],
                "rows": [[str(label), cur[f"avg_{d}"], prev[f"avg_{d}"]] for d, label in DIMENSIONS.items()],
            },
            "surveys_by_kind": {
                "title": _("Satisfaction by ticket kind"),
                "headers": [_("Ticket kind"), _("Answers"), _("CSAT (%)"), _("Average overall")],
                "rows": [[_label(Ticket.Kind.choices, kind), st.n, st.csat, st.avg("overall")] for kind, st in by_kind],
            },
        },
    }


def _jobs(period, team):
    """Jobs done in the period: signed off by the customer (done or closed)."""
    qs = WorkOrder.objects.filter(_in("signed_at", period), status__in=[WorkOrder.Status.DONE, WorkOrder.Status.CLOSED])
    return _team(qs, team, "ticket__team")


def _job_parts(start, end, team):
    """Parts used on the jobs signed off in [start, end): the same rows as
    work_order__in=_jobs(…), as a plain join (one hash join instead of IN (subquery) + a second join)."""
    qs = PartUsage.objects.filter(work_order__signed_at__gte=start, work_order__signed_at__lt=end,
                                  work_order__status__in=[WorkOrder.Status.DONE, WorkOrder.Status.CLOSED])
    return _team(qs, team, "work_order__ticket__team")


def _revisited():
    """A later visit (a new work order) for the same asset within 30 days of the sign-off."""
    return Exists(
        WorkOrder.objects.filter(
            asset_id=OuterRef("asset_id"),
            created_at__gt=OuterRef("signed_at"),
            created_at__lte=OuterRef("signed_at") + timedelta(days=FIRST_TIME_FIX_DAYS),
        ).exclude(status=WorkOrder.Status.CANCELLED)
    )


def _job_aggregates():
    return {
        "jobs": Count("id"),
        "judged": Count("id", filter=Q(asset__isnull=False)),
        "fixed_first_time": Sum(Case(When(asset__isnull=True, then=Value(0)), When(_revisited(), then=Value(0)),
                                     default=Value(1), output_field=IntegerField())),
        # time on site as a sum and a count, so that the period's average is summed from the technicians' rows
        "onsite_sum": Sum(_duration("signed_at", "arrived_at")), "onsite_n": Count("arrived_at"),
    }


def technicians_section(*, period: Period, team=None) -> dict:
    """Per technician: jobs signed off, first-time-fix rate (jobs on an asset with no new work order
    for that asset within 30 days; jobs without an asset cannot be judged and are left out of the
    rate), average time on site (arrival → sign-off), parts used. 4 queries: the period's totals are added
    up from the technicians' rows (the first-time-fix test is a subquery per job, the dearest part)."""
    jobs = _jobs(period, team)
    prev_jobs = _jobs(period.previous(), team)
    rows = list(
        jobs.values("technician_id", "technician__user__username", "technician__user__first_name",
                    "technician__user__last_name").annotate(**_job_aggregates()).order_by("-jobs", "technician_id")
    )
    # Parts per technician this period and in total last period: ONE query over both periods' jobs
    # (contiguous periods: one signed_at range), grouped by (this period?, technician).
    in_period = Case(When(work_order__signed_at__gte=period.start, then=Value(True)), default=Value(False),
                     output_field=BooleanField())
    parts_rows = list(
        _job_parts(period.previous().start, period.end, team).annotate(cur=in_period)
        .values("cur", "work_order__technician_id").annotate(q=Sum("quantity")).order_by()
    )
    parts_by_tech = {r["work_order__technician_id"]: r["q"] for r in parts_rows if r["cur"]}
    prev_parts = sum(r["q"] or 0 for r in parts_rows if not r["cur"])
    top_parts = list(
        _job_parts(period.start, period.end, team).values("part__sku", "part__name", "part__name_en")
        .annotate(q=Sum("quantity")).order_by("-q", "part__sku")[:TOP_PARTS]
    )

    def totals(agg, parts):
        return {
            "jobs": agg["jobs"],
            "first_time_fix": _ratio(agg["fixed_first_time"] or 0, agg["judged"]),
            "onsite_hours": _hours(_mean(agg["onsite_sum"], agg["onsite_n"])),
            "parts": parts or 0,
        }

    summed = {k: sum(r[k] or 0 for r in rows) for k in ("jobs", "judged", "fixed_first_time", "onsite_n")}
    onsite = [r["onsite_sum"] for r in rows if r["onsite_sum"] is not None]  # durations: no 0 to start from
    summed["onsite_sum"] = sum(onsite[1:], onsite[0]) if onsite else None
    cur = totals(summed, sum(parts_by_tech.values()))
    prev = totals(prev_jobs.aggregate(**_job_aggregates()), prev_parts)
    techs = []
    for r in rows:
        name = " ".join(x for x in (r["technician__user__first_name"], r["technician__user__last_name"]) if x)
        techs.append({
            "name": name or r["technician__user__username"], "jobs": r["jobs"],
            "first_time_fix": _ratio(r["fixed_first_time"] or 0, r["judged"]),
            "onsite_hours": _hours(_mean(r["onsite_sum"], r["onsite_n"])),
            "parts": parts_by_tech.get(r["technician_id"], 0),
        })
    return {
        "figures": {k: {"value": cur[k], "previous": prev[k], "change": change(cur[k], prev[k])} for k in cur},
        "technicians": techs,
        "tables": {
            "technicians": {
                "title": _("Technicians"),
                "headers": [_("Technician"), _("Jobs done"), _("First-time fix (%)"), _("Hours on site (avg)"),
                            _("Parts used")],
                "rows": [[t["name"], t["jobs"], t["first_time_fix"], t["onsite_hours"], t["parts"]] for t in techs],
            },
            "parts_used": {
                "title": PARTS_TITLE,
                "text_columns": 2,
                "headers": [_("Part number"), _("Part"), _("Quantity")],
                "rows": [[p["part__sku"], localized_name(p["part__name"], p["part__name_en"]), p["q"]] for p in top_parts],
            },
        },
    }


def _faults(period, team):
    qs = Ticket.objects.filter(_in("resolved_at", period), fault_cause__isnull=False)
    return _team(qs, team, "team")


def faults_section(*, period: Period, team=None) -> dict:
    """Top fault causes by product/model among tickets resolved in the period, with last period's
    count for the same product/model/cause. 2 queries."""
    top = list(
        _faults(period, team).values("asset__product", "asset__model", "fault_cause_id", "fault_cause__name", "fault_cause__name_en")
        .annotate(n=Count("id")).order_by("-n", "asset__product", "asset__model", "fault_cause__name")[:TOP_FAULTS]
    )
    prev_counts = {}
    if top:
        # Last period's counts for the causes on top, grouped by product and model too; the rows of the
        # top (product, model, cause) keys are picked here. An OR of one (product, model, cause) match per
        # row took PostgreSQL ~40 ms to plan at 1,000,000 tickets, for a ~20 ms query.
        prev_counts = {
            (p["asset__product"], p["asset__model"], p["fault_cause_id"]): p["n"]
            for p in _faults(period.previous(), team).filter(fault_cause_id__in={r["fault_cause_id"] for r in top})
            .values("asset__product", "asset__model", "fault_cause_id").annotate(n=Count("id")).order_by()
        }
    faults = []
    for r in top:
        prev = prev_counts.get((r["asset__product"], r["asset__model"], r["fault_cause_id"]), 0)
        faults.append({
            "product": r["asset__product"] or "", "model": r["asset__model"] or "", "cause_id": r["fault_cause_id"],
            "cause": localized_name(r["fault_cause__name"], r["fault_cause__name_en"]), "count": r["n"], "previous": prev, "change": change(r["n"], prev),
        })
    total = sum(f["count"] for f in faults)
    return {
        "figures": {"top_total": {"value": total, "previous": sum(f["previous"] for f in faults),
                                  "change": change(total, sum(f["previous"] for f in faults))}},
        "faults": faults,
        "tables": {
            "recurring_faults": {
                "title": FAULTS_TITLE,
                "text_columns": 3,
                "headers": [_("Product"), _("Model"), _("Fault cause"), _("Tickets"), _("Previous period")],
                "rows": [[f["product"], f["model"], f["cause"], f["count"], f["previous"]] for f in faults],
            },
        },
    }


def fault_tickets(*, period: Period, cause_id: int, product: str, model: str, team=None):
    """The tickets behind one recurring-fault row (a queryset: the view paginates it)."""
    qs = _faults(period, team).filter(fault_cause_id=cause_id)
    qs = qs.filter(asset__product=product, asset__model=model) if product else qs.filter(asset__isnull=True)
    return qs.select_related("customer", "asset", "fault_cause").order_by("-resolved_at", "-id")


STAFF_FIGURES = ("people", "average", "full", "from_90", "from_80", "below", "flagged", "rose", "fell")


def staff_section(*, period: Period, team=None) -> dict:
    """The month's closed assessment results (assessment.selectors.staff_summary, the one definition),
    against the month before: figures only, no names. Scores are monthly: any other period, or a month
    whose cycle is not closed, says so instead of showing partial figures. Up to 4 queries."""
    from assessment import selectors as assessment_selectors

    if period.kind != "month":
        return {"note": _("Scores are monthly: choose a month to see them."), "figures": {}, "tables": {}}
    cur = assessment_selectors.staff_summary(month=period.first, team=team)
    if cur is None:
        return {"note": _("No closed assessment for this month yet: scores are final only once a manager closes it."),
                "figures": {}, "tables": {}}
    prev = assessment_selectors.staff_summary(month=period.previous().first, team=team) or {}
    def num(v):  # the average is a Decimal; the report's figures are plain numbers
        return float(v) if v is not None and not isinstance(v, int) else v

    figures = {k: {"value": num(cur[k]), "previous": num(prev.get(k)), "change": change(num(cur[k]), num(prev.get(k)))}
               for k in STAFF_FIGURES}
    return {
        "note": "",
        "cycle_id": cur["cycle_id"],
        "figures": figures,
        "counts": format_lazy(_("Results of the closed month; bands by score; below = under the month's threshold "
                                "({threshold}); movers = a change of {points} points or more against the person's "
                                "own result of the month before ({compared} people had both)."),
                              threshold=cur["threshold"], points=assessment_selectors.MOVER_POINTS,
                              compared=cur["compared"]),
        "tables": {
            "staff_bands": {
                "title": _("People per score band"),
                "headers": [_("Score"), _("This period"), _("Previous period")],
                "rows": [[str(FIGURE_LABELS[k]), cur[k], prev.get(k)] for k in ("full", "from_90", "from_80", "below")],
            },
        },
    }


def improvement_section(*, period: Period, team=None) -> dict:
    """Problems and measures (issue 17 item 9): improvement actions opened, done and carried over to the next
    month in the period (improvement.selectors.period_summary, the one definition). The register is the
    department's, not a team's: the team filter does not apply. 3 queries."""
    from improvement import selectors as improvement_selectors

    return improvement_selectors.period_summary(start=period.start, end=period.end, first=period.first,
                                                last=period.last)


def first_inquiry_section(*, period: Period, team=None) -> dict:
    """Closures per first-inquiry owner (issue 17, 首问责任制): tickets closed in the period, counted for the
    staff member who first took each request, whoever closed it. One query; every owner with a closure is
    listed (no cut)."""
    qs = _team(Ticket.objects.filter(_in("closed_at", period), first_inquiry_owner__isnull=False), team, "team")
    rows = list(qs.order_by().values("first_inquiry_owner_id", "first_inquiry_owner__username",
                                     "first_inquiry_owner__first_name", "first_inquiry_owner__last_name")
                .annotate(n=Count("id")))
    people = sorted(
        ([f"{r['first_inquiry_owner__first_name']} {r['first_inquiry_owner__last_name']}".strip()
          or r["first_inquiry_owner__username"], r["n"]] for r in rows),
        key=lambda row: (-row[1], row[0]))
    return {
        "figures": {"closed": {"value": sum(r[1] for r in people), "previous": None, "change": None}},
        "tables": {
            "first_inquiry_closures": {
                "title": _("Closures per first-inquiry owner"),
                "headers": [_("First-inquiry owner"), pgettext_lazy("count", "Closed")],
                "rows": people,
            },
        },
    }


SECTION_FUNCS = {
    "contacts": contacts_section,
    "tickets": tickets_section,
    "sla": sla_section,
    "complaints": complaints_section,
    "callbacks": callbacks_section,
    "surveys": surveys_section,
    "technicians": technicians_section,
    "faults": faults_section,
    "staff": staff_section,
    "improvement": improvement_section,
    "first_inquiry": first_inquiry_section,
}


def report(*, period: Period, team=None, sections=None) -> dict:
    keys = [k for k in SECTION_FUNCS if sections is None or k in sections]
    return {k: SECTION_FUNCS[k](period=period, team=team) for k in keys}


def tickets_detail_rows(*, period: Period, team=None):
    """Row-level export: every ticket opened in the period (customer names: confidential, logged).

    The team is its display name in the active language (English name to an English reader when there is
    one), computed in the same single query — the export streams rows, so no per-row lookups."""
    qs = _team(Ticket.objects.filter(_in("created_at", period)), team, "team")
    return qs.order_by("created_at", "id").annotate(team_display=localized_name_expression("team")).values_list(
        "number", "kind", "priority", "status", "channel", "customer__name", "team_display", "created_at",
        "first_response_at", "resolved_at", "closed_at",
    )


FIGURE_LABELS = {
    "total": _("Total"), "walk_ins": _("Walk-ins"), "calls": _("Calls"), "inbound": _("Inbound"),
    "outbound": _("Outbound"), "opened": pgettext_lazy("count", "Opened"), "resolved": pgettext_lazy("count", "Resolved"), "closed": pgettext_lazy("count", "Closed"),
    "backlog": _("Backlog at period end"), "first_response_median": _("First response, median (h)"),
    "first_response_p90": _("First response, 90th percentile (h)"), "resolution_median": _("Resolution, median (h)"),
    "resolution_p90": _("Resolution, 90th percentile (h)"), "compliance": _("SLA compliance (%)"),
    "compliance_first_response": _("First response compliance (%)"),
    "compliance_resolution": _("Resolution compliance (%)"),
    "investigation_hours": _("Hours to investigation (avg)"), "solution_hours": _("Hours to solution (avg)"),
    "due": pgettext_lazy("count", "Due"), "done_on_time": _("Done on time"), "done_late": _("Done late"), "overdue": _("Overdue"),
    "unreachable": _("Unreachable"), "on_time_rate": _("On time (%)"), "answers": _("Answers"),
    "csat": _("CSAT (%)"), "nps": _("NPS"), "avg_overall": _("Overall satisfaction (avg)"),
    "avg_reliability": _("Reliability (avg)"), "avg_responsiveness": _("Responsiveness (avg)"),
    "avg_assurance": _("Professional skill (avg)"), "avg_empathy": _("Attitude (avg)"),
    "avg_tangibles": _("Appearance and tidiness (avg)"), "avg_recommend": _("Likelihood to recommend (avg)"),
    "jobs": _("Jobs done"), "first_time_fix": _("First-time fix (%)"), "onsite_hours": _("Hours on site (avg)"),
    "parts": _("Parts used"), "top_total": _("Tickets with the top fault causes"),
    "people": _("People assessed"), "average": _("Average score"), "full": _("Full score (100)"),
    "from_90": _("90 to 99"), "from_80": _("80 to 89"), "below": _("Below the threshold"),
    "flagged": _("Flagged for review (3 months below)"), "rose": _("Rose 5 points or more"),
    "fell": _("Fell 5 points or more"),
}
