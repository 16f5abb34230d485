"""Benchmark: the renewal-reminder sweep at N contracts (default 1,000,000 on PostgreSQL, 100,000 on SQLite):
`manage.py bench_contracts [--n N] [--due D]`.

Builds (once; a rerun tops up) N/4 customers with one account manager and N contracts whose ends are
spread over the three years after the largest reminder offset, so nothing is due. Then times
1. the sweep with nothing due (an index range probe of the ~empty window per rule),
2. D contracts (default min(10,000, N/10)) moved to end in 30 days: the sweep opens D renewal tasks and
   rings the bell once per task,
3. the sweep again (the D rows are in the window but already reminded: nothing to do),
4. "My renewals" for the account manager (queries must not depend on D),
and prints the EXPLAIN of the sweep's query, then one JSON object as its last line.
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

from servicedesk import roles
from servicedesk.bench import claim_bench_database, time_requests

PREFIX = "bench-contracts"
SPREAD_DAYS = 3 * 365


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
        horizon = max([r.days_before for r in ReminderRule.objects.filter(active=True)] or [0])
        t0 = time.perf_counter()
        built = self._build(n, am=am, level=ContractLevel.objects.order_by("order").first(), today=today,
                            start=horizon + 1, batch=batch)
        build_s = time.perf_counter() - t0
        # A rerun starts from "nothing due": earlier reminders go, every bench contract ends past the window.
        ids = list(ServiceContract.objects.filter(customer__name__startswith=PREFIX).order_by("pk")
                   .values_list("pk", flat=True)[:n])
        Reminder.objects.filter(customer__name__startswith=PREFIX).delete()
        Notification.objects.filter(recipient=am).delete()
        for i in range(0, due, batch):
            chunk = ids[i:min(i + batch, due)]
            ServiceContract.objects.filter(pk__in=chunk).update(end_date=today + timedelta(days=horizon + 1 + i % 97))
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE contracts_servicecontract; ANALYZE contracts_reminder; ANALYZE customers_customer;")

        steps = {}

        def timed(label, call):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                result = call()
                steps[label] = {"ms": round((time.perf_counter() - start) * 1000, 1),
                                "queries": len(ctx.captured_queries), "result": result}

        timed("sweep, nothing due", reminders_sweep)
        for i in range(0, due, batch):
            ServiceContract.objects.filter(pk__in=ids[i:min(i + batch, due)]).update(end_date=today + timedelta(days=30))
        timed(f"sweep, {due:,} due", reminders_sweep)
        timed(f"sweep again ({due:,} reminded)", reminders_sweep)
        tasks = Reminder.objects.filter(assignee=am, action="task", done_at__isnull=True).count()

        client = Client()
        client.force_login(am)
        url = reverse("contracts:renewals")
        client.get(url)
        page = time_requests(lambda _i: client.get(url), requests)

        rule = ReminderRule.objects.filter(active=True, target="contract", action="task").order_by("-days_before").first()
        plan = ""
        if rule is not None:
            from contracts.services import due_targets_query

            with transaction.atomic(), connection.cursor() as cur:
                sql, params = due_targets_query(rule, today=today, after=None, limit=500)[0].query.sql_with_params()
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
                cur.execute(prefix + sql, params)
                plan = "\n".join(" ".join(str(c) for c in row) if connection.vendor != "postgresql" else row[0]
                                 for row in cur.fetchall())

        total = ServiceContract.objects.filter(customer__name__startswith=PREFIX).count()
        self.stdout.write(f"\nContract reminders — {total:,} contracts, {due:,} made due ({connection.vendor})"
                          f"{' (built ' + format(built, ',') + ' in ' + str(round(build_s, 1)) + ' s)' if built else ''}")
        self.stdout.write(f"{'step':<40}{'ms':>10}{'queries':>10}  result")
        for label, s in steps.items():
            self.stdout.write(f"{label:<40}{s['ms']:>10}{s['queries']:>10}  {s['result']}")
        q = page["queries"] if page["queries"] == page["queries_min"] else f"{page['queries_min']}–{page['queries']}"
        self.stdout.write(f"{'My renewals (' + format(tasks, ',') + ' open tasks)':<40}{page['median_ms']:>10}{str(q):>10}"
                          f"  p95 {page['p95_ms']} ms")
        self.stdout.write(f"\n-- EXPLAIN: the sweep's query (rule: {rule}; contract_end_idx range + reminder unique index)\n{plan}")
        self.stdout.write(json.dumps({
            "bench": "contracts", "vendor": connection.vendor, "n": total, "due": due, "open_tasks": tasks,
            "steps": {k: {"ms": v["ms"], "queries": v["queries"], "result": v["result"]} for k, v in steps.items()},
            "renewals_page": page,
        }))

    def _build(self, n, *, am, level, today, start, batch) -> int:
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
            Customer.objects.bulk_create([Customer(name=f"{PREFIX} {i + j}", account_manager=am)
                                          for j in range(min(batch, need_customers - i))], batch_size=batch)
        customer_ids = list(Customer.objects.filter(name__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
        todo = n - have
        for i in range(0, todo, batch):
            rows = []
            for j in range(i, min(todo, i + batch)):
                k = have + j
                end = today + timedelta(days=start + k % SPREAD_DAYS)
                rows.append(ServiceContract(customer_id=customer_ids[k // per_customer % len(customer_ids)], level=level,
                                            start_date=end - timedelta(days=365), end_date=end,
                                            price=Decimal("1000.00"), created_by=creator))
            ServiceContract.objects.bulk_create(rows, batch_size=batch)
        return todo
