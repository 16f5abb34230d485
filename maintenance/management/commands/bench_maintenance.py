"""Benchmark the planned-maintenance sweep: `manage.py bench_maintenance [--n N] [--due D]`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_maint manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_maint manage.py bench_maintenance --n 1000000

Builds N plans once (bulk; a rerun tops up) over 1,000 bench customers, every plan's next visit far
ahead. Then times the beat job (visits_create_due + visits_escalate_missed):
  1. with nothing due (the idle tick: one index probe each);
  2. with D plans due within the lead time (default min(10,000, N)): each gets its visit, ticket and
     work order (dispatch: no bench technician covers the region, so each goes to the board — the
     dispatch decision still runs).
Phase 2 runs inside a transaction that is rolled back, so every run sees the same state. Prints the
sweep probe's EXPLAIN (ANALYZE on PostgreSQL, QUERY PLAN on SQLite), a table, and one JSON line last.
"""
import json
import time
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Customer, Region
from dispatch.models import Skill
from maintenance import services
from maintenance.models import MaintenancePlan
from servicedesk.bench import claim_bench_database

TITLE = "bench plan"
CUSTOMERS = 1000
FAR = date(2099, 1, 1)


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark the maintenance sweep with nothing due and with up to 10,000 plans due, at N plans."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=None,
                            help="plans (default 1,000,000 on PostgreSQL, 100,000 on SQLite)")
        parser.add_argument("--due", type=int, default=None, help="plans due in phase 2 (default min(10,000, N))")
        parser.add_argument("--batch", type=int, default=50, help="plans per sweep transaction")

    def handle(self, *args, n, due, batch, **options):
        claim_bench_database(command="bench_maintenance")  # before any write: never on demo or real data
        n = n if n is not None else (1_000_000 if connection.vendor == "postgresql" else 100_000)
        due = min(n, due if due is not None else 10_000)
        t0 = time.perf_counter()
        built = self._build(n)
        build_s = time.perf_counter() - t0
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE maintenance_maintenanceplan; ANALYZE maintenance_maintenancevisit;")
        now = timezone.now()
        # Nothing due: every bench plan's next visit is far ahead.
        MaintenancePlan.objects.filter(title=TITLE).exclude(next_due_on=FAR).update(next_due_on=FAR)

        services.maintenance_user()  # its first use creates the account: not part of a tick
        idle = self._sweep(now, batch)
        self.stdout.write("\nSweep probe (active plans due within the lead time, earliest first):")
        plan = self._explain(now, batch)
        self.stdout.write(plan)

        ids = list(MaintenancePlan.objects.filter(title=TITLE).order_by("pk").values_list("pk", flat=True)[:due])
        busy = {}
        try:
            with transaction.atomic():
                MaintenancePlan.objects.filter(pk__in=ids).update(next_due_on=timezone.localdate(now) + timedelta(days=1))
                busy = self._sweep(now, batch)
                raise _Rollback
        except _Rollback:
            pass

        rows = [("phase", "plans due", "visits", "ms", "queries"),
                ("nothing due", 0, idle["visits"], idle["ms"], idle["queries"]),
                (f"{due:,} due", due, busy["visits"], busy["ms"], busy["queries"])]
        self.stdout.write(f"\nbench_maintenance on {connection.vendor}: {n:,} plans (built {built:,} now, "
                          f"{build_s:.1f} s)")
        for row in rows:
            self.stdout.write("  {:<14} {:>10} {:>8} {:>10} {:>9}".format(*row))
        per_visit = round(busy["ms"] / busy["visits"], 2) if busy["visits"] else None
        per_visit_q = round(busy["queries"] / busy["visits"], 1) if busy["visits"] else None
        self.stdout.write(f"  per visit (ticket + work order + dispatch decision): {per_visit} ms, {per_visit_q} queries")
        self.stdout.write(json.dumps({
            "bench": "maintenance", "vendor": connection.vendor, "plans": n, "due": due, "batch": batch,
            "idle_ms": idle["ms"], "idle_queries": idle["queries"], "idle_visits": idle["visits"],
            "due_ms": busy["ms"], "due_queries": busy["queries"], "due_visits": busy["visits"],
            "ms_per_visit": per_visit, "probe_uses_index": "maint_plan_due_idx" in plan,
        }))

    def _sweep(self, now, batch) -> dict:
        count = [0]

        def counter(execute, sql, params, many, context):  # CaptureQueriesContext keeps only 9,000
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            result = services.visits_create_due(now=now, batch=batch, max_batches=10**6)
            services.visits_escalate_missed(now=now)
            ms = round((time.perf_counter() - start) * 1000, 1)
        return {"ms": ms, "queries": count[0], "visits": result.visits}

    def _explain(self, now, batch) -> str:
        sql, params = services.sweep_probe(now=now, batch=batch).query.sql_with_params()
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cur:
            cur.execute(prefix + sql, params)
            return "\n".join("  " + " ".join(str(c) for c in row) for row in cur.fetchall())

    def _build(self, n: int) -> int:
        User = get_user_model()
        creator = User.objects.filter(username="bench_maintenance").first() or User.objects.create_user(
            username="bench_maintenance", is_active=False)
        region, _ = Region.objects.get_or_create(code="bench-maint", defaults={"name": "Bench maintenance region"})
        skill, _ = Skill.objects.get_or_create(code="bench-maint", defaults={"name": "Bench maintenance skill"})
        customers = list(Customer.objects.filter(name__startswith="Bench maintenance customer").order_by("pk"))
        if len(customers) < CUSTOMERS:
            Customer.objects.bulk_create([
                Customer(name=f"Bench maintenance customer {i}", address=f"{i} Bench Rd", region=region)
                for i in range(len(customers), CUSTOMERS)], batch_size=1000)
            customers = list(Customer.objects.filter(name__startswith="Bench maintenance customer").order_by("pk"))
        have = MaintenancePlan.objects.filter(title=TITLE).count()
        start = date(2026, 1, 1)
        for lo in range(have, n, 10_000):
            MaintenancePlan.objects.bulk_create([
                MaintenancePlan(customer=customers[i % len(customers)], title=TITLE, kind="quarterly", start_on=start,
                                checklist="Clean filters\nCheck pressure", skill=skill, next_due_on=FAR,
                                created_by=creator)
                for i in range(lo, min(n, lo + 10_000))], batch_size=10_000)
        return max(0, n - have)
