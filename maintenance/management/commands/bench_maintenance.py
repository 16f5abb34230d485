"""Benchmark the planned-maintenance sweep: `manage.py bench_maintenance [--n N] [--due D]`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_maint_bench manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_maint_bench manage.py bench_maintenance --n 1000000

Builds N assets once (set-based; a rerun tops up): N/10 bench customers with 10 assets each, and one
maintenance plan per customer covering its assets, every plan's next visit far ahead. At --n 1000000:
1,000,000 assets, 100,000 customers, 100,000 plans, 1,000,000 plan-asset rows. Then times the beat job
(visits_create_due + visits_escalate_missed):
  1. with nothing due (the idle tick: one index probe each);
  2. with D plans due within the lead time (default min(10,000, plans)): each gets its visit, ticket
     (SLA clocks from the visit) and work order; dispatch runs per batch after its commit (no bench
     technician covers the region, so each goes to the board — the dispatch decision still runs).
Phase 2 runs inside a transaction that is rolled back, so every run sees the same state — except with
--commit, where each batch commits as the beat job's do (use it for thousands due on PostgreSQL: inside
one long transaction every update of the number counters leaves a row version the next read must walk,
which slows the run quadratically and measures the bench, not the sweep); the visits, tickets and work
orders it makes then stay, and the plans are put back far ahead afterwards. Prints the
sweep probe's EXPLAIN for both phases (ANALYZE on PostgreSQL, QUERY PLAN on SQLite), a table, and
one JSON line last.
"""
import json
import time
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Asset, Customer, Region
from dispatch.models import DispatchSettings, Skill
from maintenance import services
from maintenance.models import MaintenancePlan
from servicedesk.bench import claim_bench_database

TITLE = "bench plan"
ASSETS_PER_CUSTOMER = 10
CUSTOMER_PREFIX = "Bench maintenance customer"
FAR = date(2099, 1, 1)
CHUNK = 10_000


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = ("Benchmark the maintenance sweep with nothing due and with up to 10,000 plans due, at N assets "
            "(N/10 customers, one plan each).")

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=None,
                            help="assets (default 1,000,000 on PostgreSQL, 100,000 on SQLite); customers and "
                                 "plans = N/10")
        parser.add_argument("--due", type=int, default=None, help="plans due in phase 2 (default min(10,000, plans))")
        parser.add_argument("--batch", type=int, default=50, help="plans per sweep transaction")
        parser.add_argument("--commit", action="store_true",
                            help="phase 2 commits per batch like the beat job (its rows stay) instead of rolling back")

    def handle(self, *args, n, due, batch, commit=False, **options):
        claim_bench_database(command="bench_maintenance")  # before any write: never on demo or real data
        n = n if n is not None else (1_000_000 if connection.vendor == "postgresql" else 100_000)
        customers = max(1, n // ASSETS_PER_CUSTOMER)
        t0 = time.perf_counter()
        built = self._build(customers)
        build_s = time.perf_counter() - t0
        counts = {
            "customers": Customer.objects.filter(name__startswith=CUSTOMER_PREFIX).count(),
            "assets": Asset.objects.filter(customer__name__startswith=CUSTOMER_PREFIX).count(),
            "plans": MaintenancePlan.objects.filter(title=TITLE).count(),
        }
        plans_n = counts["plans"]
        due = min(plans_n, due if due is not None else 10_000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE maintenance_maintenanceplan; ANALYZE maintenance_maintenancevisit;")
        now = timezone.now()
        # Nothing due: every bench plan's next visit is far ahead.
        MaintenancePlan.objects.filter(title=TITLE).exclude(next_due_on=FAR).update(next_due_on=FAR)

        services.maintenance_user()  # its first use creates the account: not part of a tick
        DispatchSettings.load()  # likewise the settings row (created inside phase 2 it would be rolled back)
        idle = self._sweep(now, batch)
        self.stdout.write("\nSweep probe, nothing due (active plans due within the lead time, earliest first):")
        plan_idle = self._explain(now, batch)
        self.stdout.write(plan_idle)

        ids = list(MaintenancePlan.objects.filter(title=TITLE).order_by("pk").values_list("pk", flat=True)[:due])
        busy, plan_busy = {}, ""

        def phase2():
            nonlocal busy, plan_busy
            for lo in range(0, len(ids), CHUNK):
                MaintenancePlan.objects.filter(pk__in=ids[lo:lo + CHUNK]).update(
                    next_due_on=timezone.localdate(now) + timedelta(days=1))
            self.stdout.write(f"\nSweep probe, {due:,} due (first batch of {batch}):")
            plan_busy = self._explain(now, batch)
            self.stdout.write(plan_busy)
            busy = self._sweep(now, batch)

        if commit:
            phase2()
            MaintenancePlan.objects.filter(title=TITLE).exclude(next_due_on=FAR).update(next_due_on=FAR)
        else:
            try:
                with transaction.atomic():
                    phase2()
                    raise _Rollback
            except _Rollback:
                pass

        rows = [("phase", "plans due", "visits", "ms", "queries", "visits/s"),
                ("nothing due", 0, idle["visits"], idle["ms"], idle["queries"], "-"),
                (f"{due:,} due", due, busy["visits"], busy["ms"], busy["queries"],
                 round(busy["visits"] / busy["ms"] * 1000, 1) if busy["ms"] else "-")]
        self.stdout.write(f"\nbench_maintenance on {connection.vendor}: {counts['assets']:,} assets, "
                          f"{counts['customers']:,} customers, {plans_n:,} plans (built {built:,} customers now, "
                          f"{build_s:.1f} s)")
        for row in rows:
            self.stdout.write("  {:<14} {:>10} {:>8} {:>10} {:>9} {:>9}".format(*row))
        per_visit = round(busy["ms"] / busy["visits"], 2) if busy["visits"] else None
        per_visit_q = round(busy["queries"] / busy["visits"], 1) if busy["visits"] else None
        self.stdout.write(f"  per visit (ticket + SLA clocks + work order + dispatch decision): {per_visit} ms, "
                          f"{per_visit_q} queries")
        self.stdout.write(json.dumps({
            "bench": "maintenance", "vendor": connection.vendor, "assets": counts["assets"],
            "customers": counts["customers"], "plans": plans_n, "due": due, "batch": batch,
            "build_s": round(build_s, 1),
            "idle_ms": idle["ms"], "idle_queries": idle["queries"], "idle_visits": idle["visits"],
            "due_ms": busy["ms"], "due_queries": busy["queries"], "due_visits": busy["visits"],
            "due_dispatch_decisions": busy["decisions"],
            "visits_per_s": round(busy["visits"] / busy["ms"] * 1000, 1) if busy["ms"] else None,
            "ms_per_visit": per_visit, "queries_per_visit": per_visit_q,
            "probe_uses_index": "maint_plan_due_idx" in plan_idle and "maint_plan_due_idx" in plan_busy,
        }))

    def _sweep(self, now, batch) -> dict:
        from dispatch.models import DispatchDecision

        count = [0]

        def counter(execute, sql, params, many, context):  # CaptureQueriesContext keeps only 9,000
            count[0] += 1
            return execute(sql, params, many, context)

        decisions = DispatchDecision.objects.count()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            result = services.visits_create_due(now=now, batch=batch, max_batches=10**6)
            services.visits_escalate_missed(now=now)
            ms = round((time.perf_counter() - start) * 1000, 1)
        return {"ms": ms, "queries": count[0], "visits": result.visits,
                "decisions": DispatchDecision.objects.count() - decisions}

    def _explain(self, now, batch) -> str:
        sql, params = services.sweep_probe(now=now, batch=batch).query.sql_with_params()
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cur:
            cur.execute(prefix + sql, params)
            return "\n".join("  " + " ".join(str(c) for c in row) for row in cur.fetchall())

    def _build(self, customers: int) -> int:
        """Customers (bulk_create in chunks), then assets, plans and plan-asset rows set-based (INSERT …
        SELECT over the customers: no Python object per asset). Each step tops up what is missing."""
        User = get_user_model()
        creator = User.objects.filter(username="bench_maintenance").first() or User.objects.create_user(
            username="bench_maintenance", is_active=False)
        region, _ = Region.objects.get_or_create(code="bench-maint", defaults={"name": "Bench maintenance region"})
        skill, _ = Skill.objects.get_or_create(code="bench-maint", defaults={"name": "Bench maintenance skill"})
        have = Customer.objects.filter(name__startswith=CUSTOMER_PREFIX).count()
        for lo in range(have, customers, CHUNK):
            with transaction.atomic():
                Customer.objects.bulk_create([
                    Customer(name=f"{CUSTOMER_PREFIX} {i}", address=f"{i} Bench Rd", region=region)
                    for i in range(lo, min(customers, lo + CHUNK))], batch_size=2_000)
        now = timezone.now()
        qn = connection.ops.quote_name
        customer_t, asset_t = Customer._meta.db_table, Asset._meta.db_table
        plan_t = MaintenancePlan._meta.db_table
        through_t = MaintenancePlan.assets.through._meta.db_table
        ts = connection.ops.adapt_datetimefield_value(now)
        ks = ", ".join(f"({k})" for k in range(ASSETS_PER_CUSTOMER))
        bench = f"c.{qn('name')} LIKE %s"
        like = CUSTOMER_PREFIX + "%"
        with connection.cursor() as cur:
            # Ten assets per bench customer that has none yet.
            cur.execute(
                f"WITH k(i) AS (VALUES {ks}) "
                f"INSERT INTO {asset_t} (created_at, updated_at, customer_id, product, model, serial_number, "
                f"location, notes) "
                f"SELECT %s, %s, c.id, 'Chiller', 'CH-' || k.i, 'BM-' || c.id || '-' || k.i, '', '' "
                f"FROM {customer_t} c CROSS JOIN k WHERE {bench} "
                f"AND NOT EXISTS (SELECT 1 FROM {asset_t} a WHERE a.customer_id = c.id)", [ts, ts, like])
            # One quarterly plan per bench customer, its next visit far ahead.
            cur.execute(
                f"INSERT INTO {plan_t} (created_at, updated_at, customer_id, title, site, kind, month_days, "
                f"start_on, checklist, skill_id, estimated_value, active, notes, next_due_on, created_by_id) "
                f"SELECT %s, %s, c.id, %s, '', 'quarterly', %s, %s, %s, %s, 0, %s, '', %s, %s "
                f"FROM {customer_t} c WHERE {bench} "
                f"AND NOT EXISTS (SELECT 1 FROM {plan_t} p WHERE p.customer_id = c.id AND p.title = %s)",
                [ts, ts, TITLE, "[]", connection.ops.adapt_datefield_value(date(2026, 1, 1)),
                 "Clean filters\nCheck pressure", skill.pk, True,
                 connection.ops.adapt_datefield_value(FAR), creator.pk, like, TITLE])
            # Each plan covers its customer's assets.
            cur.execute(
                f"INSERT INTO {through_t} (maintenanceplan_id, asset_id) "
                f"SELECT p.id, a.id FROM {plan_t} p JOIN {asset_t} a ON a.customer_id = p.customer_id "
                f"WHERE p.title = %s AND NOT EXISTS (SELECT 1 FROM {through_t} t WHERE t.maintenanceplan_id = p.id)",
                [TITLE])
        return max(0, customers - have)
