"""Benchmark: the renewal-reminder sweep at N contracts (default 1,000,000 on PostgreSQL, 100,000 on SQLite):
`manage.py bench_contracts [--n N] [--due D]`.

Builds (once; a rerun tops up) N/4 customers with one account manager and N contracts whose ends are spread
evenly from 30 days ago to three years ahead — the steady state of a real book: every contract ending inside
a rule's window already has that rule's reminder (made in bulk here, tasks marked done), so nothing is due
although ~N/18 contracts sit in the 60-day window. Then times
1. the sweep with nothing due (the windows full of reminded contracts: index keys only),
2. D contracts (default min(10,000, N/10)) moved from beyond every window to end in 30 days: the sweep opens
   D renewal tasks and rings the bell once per task (reminders/s),
3. the sweep again right after (the D rows are in the window, already reminded: nothing to do),
4. (PostgreSQL) the same after VACUUM, as autovacuum leaves the tables (the visibility map set again),
5. "My renewals" for the account manager (queries must not depend on D),
and prints, per step, the contract and reminder rows read from the tables (PostgreSQL: heap fetches and
sequential reads of the step's transaction, pg_stat_xact_user_tables), the EXPLAIN (ANALYZE, BUFFERS) of the
sweep's due query for each contract rule, then one JSON object as its last line.
"""
import json
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.db.models import DateField, ExpressionWrapper, F

from servicedesk import roles
from servicedesk.bench import claim_bench_database, time_requests

PREFIX = "bench-contracts"
SPREAD_DAYS = 3 * 365
HOME_TERM = 365  # a bench contract's own end is its start + HOME_TERM days (a rerun puts moved ones back)


class Command(BaseCommand):
    help = "Benchmark the contract renewal-reminder sweep with nothing due and with D due, at N contracts."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=None, help="contracts (default 1,000,000 PostgreSQL / 100,000 SQLite)")
        parser.add_argument("--due", type=int, default=None, help="contracts made due (default min(10,000, N/10))")
        parser.add_argument("--requests", type=int, default=10)
        parser.add_argument("--batch", type=int, default=10_000)

    def handle(self, *args, n, due, requests, batch, **options):
        claim_bench_database(command="bench_contracts")  # before any write: never on demo or real data
        n = n if n is not None else (1_000_000 if connection.vendor == "postgresql" else 100_000)
        due = min(n, due if due is not None else min(10_000, max(1, n // 10)))
        roles.sync_roles()
        from contracts.models import ContractLevel, Reminder, ReminderRule, ServiceContract
        from contracts.services import reminders_sweep
        from servicedesk.models import Notification

        User = get_user_model()
        am, _created = User.objects.get_or_create(username=f"{PREFIX}-am", defaults={"first_name": "Bench"})
        am.groups.add(Group.objects.get(name=roles.AGENT))
        today = timezone.localdate()
        now = timezone.now()
        rules = list(ReminderRule.objects.filter(active=True, target="contract").order_by("-days_before"))
        horizon = max([r.days_before for r in ReminderRule.objects.filter(active=True)] or [0])
        t0 = time.perf_counter()
        built = self._build(n, am=am, level=ContractLevel.objects.order_by("order").first(), today=today, batch=batch)
        build_s = time.perf_counter() - t0
        bench = ServiceContract.objects.filter(customer__name__startswith=PREFIX)
        home_end = ExpressionWrapper(F("start_date") + timedelta(days=HOME_TERM), output_field=DateField())

        # A rerun starts from the steady state: contracts made due by an earlier run go back to their own end,
        # earlier reminders go, and every contract inside a rule's window gets that rule's reminder in bulk.
        t0 = time.perf_counter()
        bench.exclude(end_date=home_end).update(end_date=home_end)
        Reminder.objects.filter(customer__name__startswith=PREFIX).delete()
        Notification.objects.filter(recipient=am).delete()
        premade = self._premade_reminders(rules, am=am, today=today, now=now, batch=batch)
        due_ids = list(bench.filter(end_date__gt=today + timedelta(days=horizon)).order_by("pk")
                       .values_list("pk", flat=True)[:due])
        self._vacuum()
        prepare_s = time.perf_counter() - t0

        steps = {}

        def timed(label, call, count=None):
            with CaptureQueriesContext(connection) as ctx, transaction.atomic():
                # One outer transaction (the sweep's batches become savepoints) so that the step's own table
                # reads can be read from pg_stat_xact_user_tables before it commits (before/after: since
                # PostgreSQL 15 the view also holds earlier transactions' counts not yet flushed).
                before = self._rows_read()
                first = len(ctx.captured_queries)
                start = time.perf_counter()
                result = call()
                ms = (time.perf_counter() - start) * 1000
                queries = len(ctx.captured_queries) - first
                after = self._rows_read()
                read = None if after is None else {t: after[t] - before[t] for t in after}
            made = sum(v for k, v in result.items() if k != "not_sent")
            steps[label] = {"ms": round(ms, 1), "queries": queries, "result": result,
                            "reminders_per_s": round(made / ms * 1000) if made else 0, "rows_read": read}

        timed("sweep, nothing due", reminders_sweep)
        for i in range(0, len(due_ids), batch):
            ServiceContract.objects.filter(pk__in=due_ids[i:i + batch]).update(end_date=today + timedelta(days=30))
        timed(f"sweep, {len(due_ids):,} due", reminders_sweep)
        timed(f"sweep again ({len(due_ids):,} reminded)", reminders_sweep)
        if self._vacuum():
            timed("sweep again, after VACUUM", reminders_sweep)
        tasks = Reminder.objects.filter(assignee=am, action="task", done_at__isnull=True).count()

        client = Client()
        client.force_login(am)
        url = reverse("contracts:renewals")
        client.get(url)
        page = time_requests(lambda _i: client.get(url), requests)

        plans = []
        from contracts.services import SWEEP_BATCH, due_targets_query

        for rule in rules:  # the query exactly as the sweep's first batch sends it (LIMIT SWEEP_BATCH)
            with transaction.atomic(), connection.cursor() as cur:
                sql, params = due_targets_query(rule, today=today)[0].query.sql_with_params()
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
                cur.execute(prefix + sql, params)
                plan = "\n".join(" ".join(str(c) for c in row) if connection.vendor != "postgresql" else row[0]
                                 for row in cur.fetchall())
            window = bench.filter(end_date__gte=today, end_date__lte=today + timedelta(days=rule.days_before)).count()
            plans.append((rule, window, plan))

        total = bench.count()
        self.stdout.write(f"\nContract reminders — {total:,} contracts, {len(due_ids):,} made due ({connection.vendor})"
                          f"{' (built ' + format(built, ',') + ' in ' + str(round(build_s, 1)) + ' s)' if built else ''};"
                          f" {premade:,} reminders already made (windows and the last 30 days' ends) ({round(prepare_s, 1)} s)")
        self.stdout.write(f"{'step':<34}{'ms':>10}{'queries':>9}{'rem/s':>8}{'rows read*':>12}  result")
        for label, s in steps.items():
            read = "n/a" if s["rows_read"] is None else format(sum(s["rows_read"].values()), ",")
            self.stdout.write(f"{label:<34}{s['ms']:>10}{s['queries']:>9}{s['reminders_per_s']:>8}{read:>12}  {s['result']}")
        q = page["queries"] if page["queries"] == page["queries_min"] else f"{page['queries_min']}–{page['queries']}"
        self.stdout.write(f"{'My renewals (' + format(tasks, ',') + ' open tasks)':<34}{page['median_ms']:>10}{str(q):>9}"
                          f"  p95 {page['p95_ms']} ms")
        self.stdout.write("* rows read from the contracts and reminders tables (heap fetches + sequential reads), "
                          "PostgreSQL only; index entries are not rows")
        for rule, window, plan in plans:
            self.stdout.write(f"\n-- EXPLAIN: the sweep's due query, rule “{rule}” ({window:,} contracts in its window, "
                              f"all reminded)\n{plan}")
        self.stdout.write(json.dumps({
            "bench": "contracts", "vendor": connection.vendor, "n": total, "due": len(due_ids), "open_tasks": tasks,
            "premade_reminders": premade, "build_s": round(build_s, 1) if built else None,
            "steps": {k: {"ms": v["ms"], "queries": v["queries"], "result": v["result"],
                          "reminders_per_s": v["reminders_per_s"], "rows_read": v["rows_read"]}
                      for k, v in steps.items()},
            "renewals_page": page,
        }))

    @staticmethod
    def _vacuum() -> bool:
        """VACUUM ANALYZE the tables, as autovacuum would (PostgreSQL; not possible inside a transaction, e.g. the
        smoke test's: then only ANALYZE). True when vacuumed."""
        if connection.vendor != "postgresql":
            return False
        vacuum = not connection.in_atomic_block
        with connection.cursor() as cur:
            for table in ("contracts_servicecontract", "contracts_reminder", "customers_customer"):
                cur.execute(f"{'VACUUM ' if vacuum else ''}ANALYZE {table}")
        return vacuum

    @staticmethod
    def _rows_read():
        """Table rows the current transaction read from the contracts and reminders tables (PostgreSQL)."""
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cur:
            cur.execute("SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                        "FROM pg_stat_xact_user_tables WHERE relname IN ('contracts_servicecontract', 'contracts_reminder')")
            found = dict(cur.fetchall())
        return {t: found.get(t, 0) for t in ("contracts_servicecontract", "contracts_reminder")}

    def _premade_reminders(self, rules, *, am, today, now, batch) -> int:
        """Each rule's reminder for every bench contract in its window or ended in the last 30 days (bulk): the
        state after daily sweeps.
        Tasks are marked done (handled) so that My renewals lists only what this run opens."""
        from contracts.models import Reminder, ReminderRule, ServiceContract

        made = 0
        for rule in rules:
            rows = []
            # the window, and the history: contracts that ended in the last 30 days were reminded too
            window = (ServiceContract.objects.filter(customer__name__startswith=PREFIX, renewed_by__isnull=True,
                                                     end_date__gte=today - timedelta(days=30),
                                                     end_date__lte=today + timedelta(days=rule.days_before))
                      .values_list("pk", "customer_id", "end_date"))
            for pk, customer_id, end in window.iterator(chunk_size=batch):
                task = rule.action == ReminderRule.Action.TASK
                rows.append(Reminder(rule=rule, action=rule.action, contract_id=pk, customer_id=customer_id,
                                     ends_on=end, due_on=end - timedelta(days=rule.days_before),
                                     assignee=None if rule.action == ReminderRule.Action.SMS else am,
                                     outcome={"task": "task", "notice": "notified"}.get(rule.action, "no_mobile"),
                                     created_at=now, done_at=now if task else None, done_by=am if task else None))
                if len(rows) >= batch:
                    Reminder.objects.bulk_create(rows, batch_size=batch)
                    made += len(rows)
                    rows = []
            Reminder.objects.bulk_create(rows, batch_size=batch)
            made += len(rows)
        return made

    def _build(self, n, *, am, level, today, batch) -> int:
        from contracts.models import ServiceContract
        from customers.models import Customer

        User = get_user_model()
        creator = User.objects.filter(is_superuser=True).first() or am
        have = ServiceContract.objects.filter(customer__name__startswith=PREFIX).count()
        if have >= n:
            return 0
        per_customer = 4
        need_customers = -(-n // per_customer) - Customer.objects.filter(name__startswith=PREFIX).count()
        for i in range(0, max(0, need_customers), batch):
            with transaction.atomic():
                Customer.objects.bulk_create([Customer(name=f"{PREFIX} {i + j}", account_manager=am)
                                              for j in range(min(batch, need_customers - i))], batch_size=batch)
        customer_ids = list(Customer.objects.filter(name__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
        todo = n - have
        for i in range(0, todo, batch):
            rows = []
            for j in range(i, min(todo, i + batch)):
                k = have + j
                # ends spread evenly from 30 days ago to ~3 years ahead, whatever n is
                end = today + timedelta(days=-30 + (k * SPREAD_DAYS) // n)
                rows.append(ServiceContract(customer_id=customer_ids[k // per_customer % len(customer_ids)], level=level,
                                            start_date=end - timedelta(days=HOME_TERM), end_date=end,
                                            price=Decimal("1000.00"), created_by=creator))
            with transaction.atomic():
                ServiceContract.objects.bulk_create(rows, batch_size=batch)
        return todo
