"""Benchmark: the satisfaction dashboard over N survey answers (default 200,000).

Builds the data in bulk (once: re-running reuses it), then renders the dashboard through Django's
test Client as a supervisor and prints median/p95 server time, the query count (which must not
depend on N), EXPLAIN plans of the key aggregates on PostgreSQL, and, as its last line, one JSON
object with the figures.
"""
import json
import random
import secrets
import statistics
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicedesk.bench import claim_bench_database

BENCH_MARK = "bench-"


class Command(BaseCommand):
    help = "Measure the satisfaction dashboard with N survey answers."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=200_000)
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, n, runs, **options):
        claim_bench_database(command="bench_surveys")  # before any write: never on demo or real data
        from servicedesk import roles

        roles.sync_roles()
        User = get_user_model()
        sup, _created = User.objects.get_or_create(username="bench_supervisor", defaults={"first_name": "Bench"})
        sup.groups.add(Group.objects.get(name=roles.SUPERVISOR))
        t0 = time.perf_counter()
        built = self._build(n)
        from followups.models import SatisfactionRollup
        from followups.services import satisfaction_rollup_rebuild

        if built or not SatisfactionRollup.objects.exists():
            # Bulk rows bypass the services that keep the rollup current: rebuild it once.
            satisfaction_rollup_rebuild()
        build_s = time.perf_counter() - t0
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE followups_surveyresponse; ANALYZE followups_surveyinvitation;")

        client = Client()
        client.force_login(sup)
        url = reverse("followups:satisfaction")
        variants = {
            "default (12 months, by tier)": url,
            "by agent, comments ≤ 2": url + "?segment=agent&max_overall=2",
            "filtered: gold tier, by region": url + "?tier=gold&segment=region",
        }
        client.get(url)  # warm-up (policy row, template cache)
        results = {}
        for label, target in variants.items():
            times, queries = [], set()
            for _i in range(runs):
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    response = client.get(target)
                    elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, response.status_code
                times.append(elapsed)
                queries.add(len(ctx.captured_queries))
            times.sort()
            results[label] = {
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                "queries": sorted(queries),
            }

        total = self._count()
        self.stdout.write(f"\nSatisfaction dashboard — {total:,} answers ({connection.vendor}), {runs} runs each"
                          f"{' (built ' + format(built, ',') + ' rows in ' + str(round(build_s, 1)) + ' s)' if built else ''}")
        self.stdout.write(f"{'page':<36}{'median ms':>10}{'p95 ms':>10}{'queries':>10}")
        for label, r in results.items():
            self.stdout.write(f"{label:<36}{r['median_ms']:>10}{r['p95_ms']:>10}{str(r['queries']):>10}")
        if connection.vendor == "postgresql":
            self._explain()
        default = results["default (12 months, by tier)"]
        self.stdout.write(json.dumps({
            "bench": "surveys", "vendor": connection.vendor, "answers": total, "runs": runs,
            "median_ms": default["median_ms"], "p95_ms": default["p95_ms"], "queries": default["queries"],
            "variants": results,
        }, ensure_ascii=False))

    def _count(self):
        from followups.models import SurveyResponse

        return SurveyResponse.objects.count()

    def _build(self, n: int) -> int:
        from customers.models import Customer, Region
        from followups.models import SurveyInvitation, SurveyResponse

        have = SurveyResponse.objects.filter(invitation__nonce__startswith=BENCH_MARK).count()
        missing = n - have
        if missing <= 0:
            return 0
        rng = random.Random(n + have)
        User = get_user_model()
        regions = [Region.objects.get_or_create(name=f"Bench region {i}", defaults={"code": f"bench-{i}"})[0]
                   for i in range(8)]
        agents = [User.objects.get_or_create(username=f"bench_agent{i}")[0] for i in range(20)]
        techs = [User.objects.get_or_create(username=f"bench_tech{i}")[0] for i in range(15)]
        customers = list(Customer.objects.filter(name__startswith="Bench customer").order_by("pk")[:2000])
        if len(customers) < 2000:
            Customer.objects.bulk_create(
                Customer(name=f"Bench customer {i}", tier=rng.choice(["diamond", "gold", "silver", "basic"]),
                         region=rng.choice(regions)) for i in range(len(customers), 2000))
            customers = list(Customer.objects.filter(name__startswith="Bench customer").order_by("pk")[:2000])
        now = timezone.now()
        batch = 5000
        made = 0
        while made < missing:
            size = min(batch, missing - made)
            invitations, specs = [], []
            for _i in range(size):
                customer = rng.choice(customers)
                created = now - timedelta(days=rng.randint(0, 364), minutes=rng.randint(0, 1440))
                submitted = created + timedelta(hours=rng.randint(1, 48))
                invitations.append(SurveyInvitation(
                    customer=customer, nonce=f"{BENCH_MARK}{secrets.token_hex(8)}", created_at=created,
                    expires_at=created + timedelta(days=14), used_at=submitted, delivery_status="sent"))
                specs.append((customer, submitted))
            with transaction.atomic():
                created_inv = SurveyInvitation.objects.bulk_create(invitations)
                rows = []
                for inv, (customer, submitted) in zip(created_inv, specs):
                    good = rng.random() < 0.75
                    score = (lambda: rng.choice([4, 5, 5])) if good else (lambda: rng.choice([1, 2, 3, 4]))
                    rows.append(SurveyResponse(
                        invitation=inv, customer=customer, submitted_at=submitted,
                        month=timezone.localtime(submitted).date().replace(day=1), tier=customer.tier,
                        region_id=customer.region_id, channel=rng.choice(["phone", "walk_in", "web", "email"]),
                        ticket_kind=rng.choice(["repair", "repair", "inquiry", "suggestion"]),
                        agent=rng.choice(agents), technician=rng.choice(techs) if rng.random() < 0.6 else None,
                        overall=score(), reliability=score(), responsiveness=score(), assurance=score(),
                        empathy=score(), tangibles=score(),
                        recommend=rng.choice([9, 10, 8]) if good else rng.randint(0, 8),
                        comment=rng.choice(["", "", "", "Quick and polite", "等了太久", "很满意"])))
                SurveyResponse.objects.bulk_create(rows)
            made += size
            self.stdout.write(f"  built {have + made:,} / {n:,}", ending="\r")
        self.stdout.write("")
        return made

    def _explain(self):
        from datetime import date

        from followups.models import SurveyResponse
        from django.db.models import Sum

        from followups.models import SatisfactionRollup

        today = timezone.localtime().date().replace(day=1)
        start = date(today.year - 1, today.month, 1)
        qs = SurveyResponse.objects.filter(month__gte=start, month__lte=today)
        cells = SatisfactionRollup.objects.filter(month__gte=start, month__lte=today)
        for label, query in (
            ("rollup: months", cells.filter(dimension="all").values()),
            ("rollup: by tier", cells.filter(dimension="tier", n__gt=0).values("key").annotate(n_=Sum("n")).order_by()),
            ("latest comments", qs.exclude(comment="").order_by("-submitted_at", "-id")[:21]),
        ):
            self.stdout.write(f"\nEXPLAIN ANALYZE — {label}")
            sql, params = query.query.sql_with_params()
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
                for (line,) in cur.fetchall()[:12]:
                    self.stdout.write("  " + line)
