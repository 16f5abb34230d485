"""Time the auto-dispatch decision with many technicians and open work orders.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_dispatch manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_dispatch manage.py bench_dispatch --n 50000

Builds its data once (bulk; reused on the next run when it is already there), then times, for
--runs random unassigned work orders: the decision alone (eligibility + fairness, read only) and
the whole auto-dispatch (locks, recount, offer, explanation), each rolled back so every run sees
the same state. Prints a table, query counts, EXPLAIN on PostgreSQL, and a JSON line last.
"""
import json
import os
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer, Region
from dispatch import services
from dispatch.models import DispatchSettings, LeaveDay, Level, Offer, Skill, Technician, WorkOrder
from servicedesk.bench import claim_bench_database

PREFIX = "bench"


class _Rollback(Exception):
    pass


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Command(BaseCommand):
    help = "Benchmark the auto-dispatch decision (500 technicians, 50,000 open work orders by default)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=50_000, help="open work orders")
        parser.add_argument("--technicians", type=int, default=500)
        parser.add_argument("--runs", type=int, default=200)

    def handle(self, *args, n, technicians, runs, **options):
        claim_bench_database(command="bench_dispatch")  # before any write: never on demo or real data
        rng = random.Random(42)
        now = timezone.now()
        built = self._build(n=n, n_tech=technicians, rng=rng, now=now)
        pool = list(
            WorkOrder.objects.filter(status=WorkOrder.Status.UNASSIGNED, number__startswith="WB-")
            .values_list("pk", flat=True)[: max(runs * 5, 50)]
        )
        sample = [WorkOrder.objects.get(pk=pk) for pk in rng.sample(pool, min(runs, len(pool)))]
        DispatchSettings.load()  # the single settings row exists before timing starts

        rank_ms, rank_cpu, full_ms, rank_q, full_q, chosen = [], [], [], set(), set(), 0
        load_before = os.getloadavg()[0]
        for wo in sample:
            with CaptureQueriesContext(connection) as ctx:
                t0, c0 = time.perf_counter(), time.process_time()
                services.dispatch_rank(work_order=wo, now=now)
                rank_ms.append((time.perf_counter() - t0) * 1000)
                rank_cpu.append((time.process_time() - c0) * 1000)
            rank_q.add(len(ctx.captured_queries))
            try:
                with transaction.atomic():
                    with CaptureQueriesContext(connection) as ctx:
                        t0 = time.perf_counter()
                        decision = services.workorder_auto_dispatch(work_order=wo, now=now)
                        full_ms.append((time.perf_counter() - t0) * 1000)
                    full_q.add(len(ctx.captured_queries))
                    chosen += decision.chosen_id is not None
                    raise _Rollback
            except _Rollback:
                pass

        figures = {
            "technicians": Technician.objects.filter(user__username__startswith=PREFIX).count(),
            "open_work_orders": WorkOrder.objects.filter(status__in=WorkOrder.OPEN_STATUSES).count(),
            "offers": Offer.objects.count(),
            "runs": len(sample),
            "decision_median_ms": round(statistics.median(rank_ms), 2),
            "decision_p95_ms": round(_pct(rank_ms, 95), 2),
            "decision_queries": sorted(rank_q),
            "decision_python_cpu_median_ms": round(statistics.median(rank_cpu), 2),
            "auto_dispatch_median_ms": round(statistics.median(full_ms), 2),
            "auto_dispatch_p95_ms": round(_pct(full_ms, 95), 2),
            "auto_dispatch_queries": sorted(full_q),
            "offered_share": round(chosen / max(len(sample), 1), 2),
            "build_seconds": built,
            "database": connection.vendor,
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        self.stdout.write("")
        self.stdout.write(f"{'measure':<28}{'median ms':>12}{'p95 ms':>10}{'queries':>10}")
        self.stdout.write(f"{'decision (rank only)':<28}{figures['decision_median_ms']:>12}"
                          f"{figures['decision_p95_ms']:>10}{str(figures['decision_queries']):>10}")
        self.stdout.write(f"{'auto-dispatch (full write)':<28}{figures['auto_dispatch_median_ms']:>12}"
                          f"{figures['auto_dispatch_p95_ms']:>10}{str(figures['auto_dispatch_queries']):>10}")
        self.stdout.write(f"{'  of which Python CPU':<28}{figures['decision_python_cpu_median_ms']:>12}")
        self.stdout.write(f"Machine load average before/after: {figures['load_average']} (wall times include waiting "
                          "for a CPU when the machine is busy).")
        self.stdout.write(f"{figures['technicians']} technicians, {figures['open_work_orders']} open work orders, "
                          f"{figures['offers']} offers; {figures['offered_share']:.0%} of sampled jobs found someone.")
        if connection.vendor == "postgresql" and sample:
            with CaptureQueriesContext(connection) as ctx:
                services.dispatch_rank(work_order=sample[0], now=now)
            for label, query in zip(("technicians", "contenders' load"), ctx.captured_queries[-2:]):
                self.stdout.write(f"\nEXPLAIN ANALYZE ({label} query):")
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN ANALYZE " + query["sql"])
                    self.stdout.write("\n".join(row[0] for row in cur.fetchall()))
        self.stdout.write(json.dumps(figures))

    def _build(self, *, n, n_tech, rng, now) -> float:
        t0 = time.perf_counter()
        User = get_user_model()
        have_tech = Technician.objects.filter(user__username__startswith=PREFIX).count()
        have_wo = WorkOrder.objects.filter(number__startswith="WB-").count()
        if have_tech >= n_tech and have_wo >= n:
            return 0.0
        regions = [Region.objects.get_or_create(name=f"Bench region {i}", defaults={"code": f"{PREFIX}-r{i}"})[0]
                   for i in range(20)]
        skills = [Skill.objects.get_or_create(code=f"{PREFIX}-s{i}", defaults={"name": f"Bench skill {i}"})[0]
                  for i in range(8)]
        # Technicians with 1–3 skills, 2–4 regions, a spread of levels and last jobs, some leave today.
        if have_tech < n_tech:
            users = User.objects.bulk_create(
                [User(username=f"{PREFIX}_tech_{i}", first_name=f"Tech {i}") for i in range(have_tech, n_tech)])
            techs = Technician.objects.bulk_create([
                Technician(user=u, level=rng.choice([Level.JUNIOR, Level.JUNIOR, Level.SENIOR, Level.CHIEF]),
                           last_assigned_at=now - timedelta(hours=rng.randint(1, 400)))
                for u in users])
            Technician.skills.through.objects.bulk_create([
                Technician.skills.through(technician=t, skill=s) for t in techs for s in rng.sample(skills, rng.randint(1, 3))])
            Technician.regions.through.objects.bulk_create([
                Technician.regions.through(technician=t, region=r) for t in techs for r in rng.sample(regions, rng.randint(2, 4))])
            LeaveDay.objects.bulk_create([LeaveDay(technician=t, day=timezone.localdate(now) + timedelta(days=d))
                                          for t in techs for d in range(3) if rng.random() < 0.05])
        techs = list(Technician.objects.filter(user__username__startswith=PREFIX))
        creator = User.objects.filter(username=f"{PREFIX}_tech_0").first()
        customer = Customer.objects.filter(name="Bench customer").first() or Customer.objects.create(
            name="Bench customer", address="1 Bench Rd", region=regions[0])
        from tickets.models import Ticket

        tickets = list(Ticket.objects.filter(number__startswith="SR-BENCH-"))
        if not tickets:
            tickets = Ticket.objects.bulk_create([
                Ticket(number=f"SR-BENCH-{i:05d}", kind=Ticket.Kind.REPAIR, subject="Bench", customer=customer,
                       created_by=creator) for i in range(200)])
        # Open work orders: each technician holds 0–3 accepted jobs; the rest wait on the board.
        batch, held = [], 0
        for i in range(have_wo, n):
            tech = techs[i % len(techs)] if i < len(techs) * 2 and rng.random() < 0.6 else None
            held += tech is not None
            start = now + timedelta(hours=rng.randint(1, 240))
            value = Decimal(rng.choice([800, 5000, 20000, 35000, 45000, 60000]))
            batch.append(WorkOrder(
                number=f"WB-{i:07d}", ticket=tickets[i % len(tickets)], customer=customer, address="1 Bench Rd",
                region=rng.choice(regions), skill=rng.choice(skills), window_start=start,
                window_end=start + timedelta(hours=2), estimated_value=value,
                value_tier=("large" if value > 50000 else "medium" if value >= 30000 else "small"),
                status=WorkOrder.Status.ACCEPTED if tech else WorkOrder.Status.UNASSIGNED, technician=tech,
                created_by=creator, created_at=now - timedelta(days=rng.randint(0, 30)),
            ))
            if len(batch) >= 5000:
                WorkOrder.objects.bulk_create(batch)
                batch = []
        WorkOrder.objects.bulk_create(batch)
        # Offer history: ~60 per technician over the past 10 weeks (accepted, declined, expired), plus
        # offers for the held jobs made this week, so the cap counts scan realistic rows.
        if not Offer.objects.filter(technician__user__username__startswith=PREFIX).exists():
            history = list(WorkOrder.objects.filter(number__startswith="WB-").values_list("pk", flat=True)[:5000])
            offers = []
            for t in techs:
                for _ in range(60):
                    at = now - timedelta(hours=rng.randint(24 * 8, 24 * 70))
                    offers.append(Offer(work_order_id=rng.choice(history), technician=t, offered_at=at,
                                        expires_at=at + timedelta(minutes=30), answered_at=at + timedelta(minutes=5),
                                        answer=rng.choice(["accepted", "accepted", "declined", "expired"]),
                                        decline_reason="busy"))
            for wo in WorkOrder.objects.filter(number__startswith="WB-", technician__isnull=False):
                at = now - timedelta(hours=rng.randint(0, 60))
                offers.append(Offer(work_order=wo, technician_id=wo.technician_id, offered_at=at,
                                    expires_at=at + timedelta(minutes=30), answered_at=at, answer="accepted"))
            Offer.objects.bulk_create(offers, batch_size=5000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        return round(time.perf_counter() - t0, 1)
