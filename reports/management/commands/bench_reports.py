"""Time the monthly report over many tickets.

    createdb -h 127.0.0.1 -U postgres sd_bench_reports
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_reports manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_reports manage.py bench_reports --n 1000000

Builds its data once with INSERT … SELECT over a generated series (reused on the next run when it
is there): n tickets over the 12 months before the report month, n/2 contacts, SLA clocks,
complaints, n/10 callbacks and survey answers, ~n/12 work orders with parts. Then renders the
monthly report page through the test Client (server time, query count), times each section's
selector, and prints EXPLAIN ANALYZE for the slowest queries on PostgreSQL. Last line: JSON.
"""
import json
import os
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from customers.models import Asset, Customer, Region
from dispatch.models import Part, Skill, Technician
from reports import selectors
from reports.periods import last_complete_period, local_midnight
from servicedesk.bench import claim_bench_database
from servicedesk.models import Team
from tickets.models import FaultCause, Ticket

PREFIX = "BR-"
SERIES = "WITH RECURSIVE s(g) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT g + 1 FROM s WHERE g < %s)"


def _pg():
    return connection.vendor == "postgresql"


def _ts(base: str, minutes: str) -> str:
    """SQL for `base` (a parameter placeholder) plus an integer number of minutes."""
    if _pg():
        return f"({base}::timestamptz + ({minutes}) * interval '1 minute')"
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {base}, '+' || ({minutes}) || ' minutes')"


def _pick(values, expr):
    """SQL choosing values[expr % len] (CASE works on both databases)."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE ({expr}) % {len(values)} {whens} END)"


def _esc(sql: str) -> str:
    """Escape SQL's modulo and LIKE '%' for the DB-API paramstyle, keeping %s placeholders."""
    return sql.replace("%%", "%").replace("%", "%%").replace("%%s", "%s")


def _insert(model, exprs: dict, source: str, params: list):
    """INSERT INTO model (…) SELECT … FROM source: listed columns from SQL expressions, every other
    non-key column from its Python default (so a column another area adds later does not break this)."""
    cols, values, defaults = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.column not in exprs:
            continue
        cols.append(connection.ops.quote_name(f.column))
        if f.column in exprs:
            values.append(exprs[f.column])
        else:
            values.append("%s")
            defaults.append(f.get_db_prep_save(f.get_default(), connection))
    # Placeholders in exprs come first in the SELECT list, then defaults; keep params in that order.
    head, _, tail = _esc(source).partition("|")
    e = iter(params)
    ordered = [next(e) for _ in range(head.count("%s"))]
    d = iter(defaults)
    for f in model._meta.concrete_fields:
        if f.primary_key and f.column not in exprs:
            continue
        if f.column in exprs:
            for _ in range(exprs[f.column].count("%s")):
                ordered.append(next(e))
        else:
            ordered.append(next(d))
    values = [_esc(v) for v in values]
    sql = f"{head} INSERT INTO {model._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(values)} {tail}"
    return sql, ordered


class Command(BaseCommand):
    help = "Benchmark the monthly report (default 1,000,000 tickets; use PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=1_000_000, help="tickets")
        parser.add_argument("--explain", type=int, default=3, help="EXPLAIN ANALYZE the N slowest queries")
        parser.add_argument("--runs", type=int, default=5, help="page renders timed (median reported)")

    def handle(self, *args, n, explain, runs, **options):
        claim_bench_database(command="bench_reports")  # before any write: never on demo or real data
        # Time the page as production serves it: with DEBUG off Django caches compiled templates;
        # the dev settings (DEBUG on) re-read them per request, which is not what we measure.
        from copy import deepcopy

        from django.conf import settings
        from django.test.utils import override_settings

        templates = deepcopy(settings.TEMPLATES)
        for engine in templates:
            if engine["BACKEND"].endswith("DjangoTemplates"):
                engine["APP_DIRS"] = False
                engine.setdefault("OPTIONS", {})["loaders"] = [("django.template.loaders.cached.Loader", [
                    "django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"])]
        with override_settings(TEMPLATES=templates):
            self._run(n=n, explain=explain, runs=runs)

    def _run(self, *, n, explain, runs):
        period = last_complete_period("month")
        t0 = time.perf_counter()
        built = self._build(n=n, period=period)
        build_s = time.perf_counter() - t0
        user, _ = get_user_model().objects.get_or_create(username="bench-reports", defaults={"is_superuser": True})
        if not user.is_superuser:
            user.is_superuser = True
            user.save()
        client = Client()
        client.force_login(user)
        url = f"/reports/?period=month&date={period.first.isoformat()}"
        client.get(url)  # warm-up (template compilation, session)
        samples, cpu, db = [], [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                start, cpu0 = time.perf_counter(), time.process_time()
                resp = client.get(url)
                samples.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - cpu0) * 1000)
                db.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            assert resp.status_code == 200, resp.status_code
        samples.sort()
        page_ms, page_min = samples[len(samples) // 2], samples[0]
        print_q = None
        with CaptureQueriesContext(connection) as pctx:
            start = time.perf_counter()
            client.get(f"/reports/print/?period=month&date={period.first.isoformat()}")
            print_ms = (time.perf_counter() - start) * 1000
            print_q = len(pctx.captured_queries)

        sections = {}
        slow = []
        for key, fn in selectors.SECTION_FUNCS.items():
            with CaptureQueriesContext(connection) as sctx:
                start = time.perf_counter()
                fn(period=period)
                ms = (time.perf_counter() - start) * 1000
            sections[key] = {"ms": round(ms, 1), "queries": len(sctx.captured_queries)}
            slow += [(float(q["time"]), key, q["sql"]) for q in sctx.captured_queries]

        w = self.stdout.write
        w(f"Monthly report {period.label} over {built['tickets']:,} tickets "
          f"({built['contacts']:,} contacts, {built['clocks']:,} SLA clocks, {built['work_orders']:,} work orders, "
          f"{built['surveys']:,} survey answers, {built['callbacks']:,} callbacks) on {connection.vendor}")
        w(f"data build: {build_s:.1f} s ({'reused' if built['reused'] else 'built'})")
        w(f"{'section':<14}{'ms':>10}{'queries':>10}")
        for key, s in sections.items():
            w(f"{key:<14}{s['ms']:>10.1f}{s['queries']:>10}")
        w(f"{'page (GET)':<14}{page_ms:>10.1f}{len(ctx.captured_queries):>10}   median of {runs}; "
          f"fastest {page_min:.1f} ms; app CPU {sorted(cpu)[len(cpu) // 2]:.0f} ms, SQL {sorted(db)[len(db) // 2]:.0f} ms; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        w(f"{'print view':<14}{print_ms:>10.1f}{print_q:>10}")
        slow.sort(reverse=True)
        w("\nslowest queries (ms, section):")
        for secs, key, sql in slow[:8]:
            w(f"{secs * 1000:>8.1f}  {key:<12} {sql[:110]}")
        if _pg() and explain:
            with connection.cursor() as cur:
                for secs, key, sql in slow[:explain]:
                    w(f"\n-- EXPLAIN ANALYZE ({key}, {secs * 1000:.1f} ms) --\n{sql[:600]}")
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    w("\n".join(r[0] for r in cur.fetchall()))
        w(json.dumps({
            "bench": "reports", "vendor": connection.vendor, "n_tickets": built["tickets"],
            "period": period.label, "page_ms": round(page_ms, 1), "page_min_ms": round(page_min, 1),
            "app_cpu_ms": round(sorted(cpu)[len(cpu) // 2], 1), "sql_ms": round(sorted(db)[len(db) // 2], 1),
            "load_avg": round(os.getloadavg()[0], 1), "page_queries": len(ctx.captured_queries),
            "print_ms": round(print_ms, 1), "sections": sections,
            "sections_total_ms": round(sum(s["ms"] for s in sections.values()), 1),
            "under_1s": page_ms < 1000,
        }))

    # --- data -----------------------------------------------------------------------------------
    def _build(self, *, n, period):
        from customers.models import Contact
        from dispatch.models import WorkOrder
        from followups.models import Callback, SurveyResponse
        from sla.models import SLAClock

        have = Ticket.objects.filter(number__startswith=PREFIX).count()
        counts = lambda: {  # noqa: E731
            "tickets": Ticket.objects.count(), "contacts": Contact.objects.count(),
            "clocks": SLAClock.objects.count(), "work_orders": WorkOrder.objects.count(),
            "surveys": SurveyResponse.objects.count(), "callbacks": Callback.objects.count(),
        }
        if have >= n:
            return {**counts(), "reused": True}
        if have:
            raise SystemExit(f"{have} bench tickets exist (fewer than --n {n}); use a fresh database.")
        User = get_user_model()
        with transaction.atomic():
            staff, _ = User.objects.get_or_create(username="bench-staff")
            teams = [Team.objects.get_or_create(name=f"Bench team {i}")[0] for i in range(3)]
            Customer.objects.bulk_create([Customer(name=f"Bench customer {i}") for i in range(1000)])
            cust = list(Customer.objects.filter(name__startswith="Bench customer").values_list("pk", flat=True))
            Asset.objects.bulk_create([Asset(customer_id=cust[i % len(cust)], product=f"Product {i % 10}",
                                             model=f"M-{i % 40}") for i in range(2000)])
            assets = list(Asset.objects.filter(product__startswith="Product ").values_list("pk", flat=True))
            causes = [FaultCause.objects.get_or_create(code=f"bench-{i}", defaults={"name": f"Bench cause {i}"})[0].pk
                      for i in range(20)]
            region, _ = Region.objects.get_or_create(code="bench", defaults={"name": "Bench region"})
            skill, _ = Skill.objects.get_or_create(code="bench", defaults={"name": "Bench skill"})
            techs = []
            for i in range(20):
                u, _ = User.objects.get_or_create(username=f"bench-tech{i}")
                techs.append(Technician.objects.get_or_create(user=u)[0].pk)
            parts = [Part.objects.get_or_create(sku=f"BP-{i}", defaults={"name": f"Bench part {i}"})[0].pk
                     for i in range(50)]

        # 12 months before the report month's end, in insertion order like real intake (ids grow
        # with time, so a month's rows sit together on disk), with up to an hour of jitter.
        base = local_midnight(period.last + timedelta(days=1)) - timedelta(days=365)
        year_min = 365 * 24 * 60
        minute = f"((g * {year_min}) / {n} + (g * 7919) % 60)"
        created = _ts("%s", minute)
        kinds = _pick(["inquiry", "repair", "complaint", "suggestion"], "g")
        c_first, a_first = min(cust), min(assets)
        statements = [
            _insert(Ticket, {
                "number": f"'{PREFIX}' || g", "kind": kinds, "priority": "g % 4",
                "status": "(CASE WHEN g % 20 = 0 THEN 'in_progress' WHEN g % 3 = 0 THEN 'closed' ELSE 'resolved' END)",
                "channel": _pick(["phone", "walk_in", "email", "web"], "g / 4"),
                "customer_id": f"{c_first} + g % {len(cust)}",
                "asset_id": f"(CASE WHEN g % 4 = 1 THEN {a_first} + g % {len(assets)} END)",
                "subject": "'Bench'", "created_by_id": str(staff.pk), "team_id": f"{teams[0].pk} + g % 3",
                "created_at": created, "updated_at": created,
                "first_response_at": f"(CASE WHEN g % 50 <> 0 THEN {_ts('%s', f'{minute} + 5 + g % 900')} END)",
                "resolved_at": f"(CASE WHEN g % 20 <> 0 THEN {_ts('%s', f'{minute} + 60 + g % 4000')} END)",
                "closed_at": f"(CASE WHEN g % 20 <> 0 AND g % 3 = 0 THEN {_ts('%s', f'{minute} + 3000 + g % 4000')} END)",
                "fault_cause_id": f"(CASE WHEN g % 4 = 1 AND g % 20 <> 0 THEN {causes[0]} + (g / 4) % 20 END)",
            }, f"{SERIES} | FROM s", [n, base, base, base, base, base]),
        ]
        with transaction.atomic(), connection.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
            self._children(cur, n=n, base=base, staff=staff, techs=techs, parts=parts, region=region, skill=skill)
        # The tickets' triggers appended one ticket-flow row per contribution; the nightly fold
        # (tickets-flow-compact) would have left one per hour and group by now: the steady state the report reads.
        from tickets.services import flow_rollup_compact

        flow_rollup_compact(time_budget=3600)
        if _pg():
            with connection.cursor() as cur:
                # VACUUM sets the visibility map (index-only scans on the covering indexes); it cannot
                # run inside a transaction (the test suite's smoke run), where ANALYZE has to do.
                cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        return {**counts(), "reused": False}

    def _children(self, cur, *, n, base, staff, techs, parts, region, skill):
        from customers.models import Contact
        from dispatch.models import PartUsage, WorkOrder
        from followups.models import Callback, SurveyInvitation, SurveyResponse
        from sla.models import SLAClock
        from tickets.models import Complaint

        year_min = 365 * 24 * 60
        t = Ticket._meta.db_table
        dur = "86400000000" if not _pg() else "interval '24 hours'"
        fr_elapsed_ok = ("(julianday(first_response_at) - julianday(created_at)) * 86400 <= 86400" if not _pg()
                         else "first_response_at - created_at <= interval '24 hours'")
        res_ok = ("(julianday(resolved_at) - julianday(created_at)) * 86400 <= 172800" if not _pg()
                  else "resolved_at - created_at <= interval '48 hours'")
        deadline = "created_at" if not _pg() else "created_at + interval '24 hours'"
        started = _ts("%s", f"((g * {year_min}) / {max(n // 2, 1)} + (g * 7919) % 60)")
        wo_from = f"FROM {t} WHERE number LIKE '{PREFIX}%%' AND kind = 'repair' AND id % 3 = 0 AND resolved_at IS NOT NULL"
        jobs = [
            _insert(Contact, {
                "customer_id": "NULL", "caller_name": "'Bench'", "channel": _pick(["phone", "walk_in", "email", "web"], "g"),
                "direction": "(CASE WHEN g % 5 = 0 THEN 'out' ELSE 'in' END)",
                "purpose": _pick(["inquiry", "repair", "complaint", "other"], "g"), "handled_by_id": str(staff.pk),
                "started_at": started, "created_at": started,
            }, f"{SERIES} | FROM s", [n // 2, base, base]),
            _insert(SLAClock, {
                "ticket_id": "id", "target": "'first_response'", "duration": dur, "clock": "'all_day'",
                "started_at": "created_at", "deadline": deadline, "stopped_at": "first_response_at",
                "met": f"(CASE WHEN first_response_at IS NULL THEN NULL WHEN {fr_elapsed_ok} THEN TRUE ELSE FALSE END)",
            }, f"| FROM {t} WHERE number LIKE '{PREFIX}%%'", []),
            _insert(SLAClock, {
                "ticket_id": "id", "target": "'resolution'", "duration": dur, "clock": "'all_day'",
                "started_at": "created_at", "deadline": deadline, "stopped_at": "resolved_at",
                "met": f"(CASE WHEN resolved_at IS NULL THEN NULL WHEN {res_ok} THEN TRUE ELSE FALSE END)",
            }, f"| FROM {t} WHERE number LIKE '{PREFIX}%%' AND id % 2 = 0", []),
            _insert(Complaint, {
                "ticket_id": "id", "category": _pick(["attitude", "quality", "timeliness", "price", "other"], "id"),
                "investigated_at": "first_response_at", "solution_sent_at": "resolved_at",
            }, f"| FROM {t} WHERE number LIKE '{PREFIX}%%' AND kind = 'complaint'", []),
            _insert(Callback, {
                "customer_id": "customer_id", "ticket_id": "id", "reason": "'manual'",
                "status": "(CASE WHEN id % 7 = 0 THEN 'unreachable' WHEN id % 11 = 0 THEN 'pending' ELSE 'done' END)",
                "due_at": "resolved_at", "owner_id": str(staff.pk), "created_at": "resolved_at",
                "completed_at": "(CASE WHEN id % 11 = 0 THEN NULL ELSE resolved_at END)",
            }, f"| FROM {t} WHERE number LIKE '{PREFIX}%%' AND id % 10 = 0 AND resolved_at IS NOT NULL", []),
            _insert(SurveyInvitation, {
                "customer_id": "customer_id", "ticket_id": "id", "nonce": "'bench'", "created_at": "resolved_at",
                "expires_at": "resolved_at", "used_at": "resolved_at",
            }, f"| FROM {t} WHERE number LIKE '{PREFIX}%%' AND id % 10 = 5 AND resolved_at IS NOT NULL", []),
            _insert(SurveyResponse, {
                "invitation_id": "i.id", "overall": "1 + i.id % 5", "reliability": "1 + i.id % 5",
                "responsiveness": "1 + (i.id / 2) % 5", "assurance": "1 + (i.id / 3) % 5", "empathy": "1 + (i.id / 5) % 5",
                "tangibles": "1 + (i.id / 7) % 5", "recommend": "i.id % 11", "submitted_at": "i.created_at",
                "month": "i.created_at", "customer_id": "i.customer_id", "ticket_id": "i.ticket_id",
                "ticket_kind": "'repair'",
            }, f"| FROM {SurveyInvitation._meta.db_table} i WHERE i.nonce = 'bench'", []),
            _insert(WorkOrder, {
                "number": "'BW-' || id", "ticket_id": "id", "customer_id": "customer_id", "asset_id": "asset_id",
                "address": "'Bench road'", "region_id": str(region.pk), "window_start": "created_at",
                "window_end": "resolved_at", "skill_id": str(skill.pk), "estimated_value": "100",
                "value_tier": "'small'", "status": "'closed'", "technician_id": f"{min(techs)} + id % {len(techs)}",
                "arrived_at": "first_response_at", "signed_at": "resolved_at", "closed_at": "resolved_at",
                "created_by_id": str(staff.pk), "created_at": "created_at", "updated_at": "created_at",
            }, f"| {wo_from} AND first_response_at IS NOT NULL AND first_response_at <= resolved_at", []),
            _insert(PartUsage, {
                "work_order_id": "w.id", "part_id": f"{min(parts)} + w.id % {len(parts)}", "quantity": "1 + w.id % 3",
                "recorded_by_id": str(staff.pk), "recorded_at": "w.signed_at",
            }, f"| FROM {WorkOrder._meta.db_table} w WHERE w.number LIKE 'BW-%%'", []),
        ]
        for sql, params in jobs:
            cur.execute(sql, params)
