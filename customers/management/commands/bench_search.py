"""Front-desk search at scale: `manage.py bench_search [--n 200000] [--queries 200]`.

Builds N customers with phones (bulk, in a batch marked BENCH_NOTE so reruns only top it up), a
few thousand tickets to search by number, then times ~`--queries` searches of each kind through the
selector (and a sample through the view with Django's test client), printing median/p95 in ms,
query counts and, on PostgreSQL, EXPLAIN ANALYZE of the name and phone queries. Last line: JSON.
"""
import json
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import selectors
from customers.models import Customer, CustomerPhone, Region
from servicedesk.bench import claim_bench_database

BENCH_NOTE = "bench_search batch"
BENCH_USER = "bench_search"
TICKET_YEAR = 2099  # bench tickets never collide with real numbering
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰华红玉萍建国志文辉斌波宇浩凯鹏飞鑫"
FIRST = ["James", "Mary", "Wei", "Lin", "Robert", "Linda", "Michael", "Susan", "David", "Karen", "Chen", "Anna", "Peter", "Grace"]
LAST = ["Smith", "Johnson", "Brown", "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin", "Thompson", "Moore"]
TRADES = ["Trading", "Technology", "Hotel", "Hospital", "Property", "Logistics", "Foods", "Printing"]


def bench_national(i: int) -> str:
    return f"186{i:08d}"  # 186 xxxx xxxx: valid China Unicom mobile numbers, unique per i


def bench_name(i: int, rng: random.Random) -> str:
    bucket = i % 10
    if bucket < 7:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    if bucket < 9:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return f"{rng.choice(LAST)} {rng.choice(TRADES)} Co. {i}"


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = "Benchmark the front-desk customer search (phone, name, Chinese name, ticket number)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=200_000, help="customers in the bench batch")
        parser.add_argument("--queries", type=int, default=200, help="searches per kind")
        parser.add_argument("--view-sample", type=int, default=50, help="searches per kind also timed through the view")
        parser.add_argument("--tickets", type=int, default=5000, help="bench tickets to search by number")
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args, n, queries, view_sample, tickets, seed, **options):
        claim_bench_database(command="bench_search")  # before any write: never on demo or real data
        rng = random.Random(seed)
        user = self._bench_user()
        built = self._build_customers(n=n, user=user, rng=random.Random(seed))
        built_tickets = self._build_tickets(count=min(tickets, n), user=user)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE customers_customer; ANALYZE customers_customerphone; ANALYZE tickets_ticket;")

        cases = self._queries(n=n, per_kind=queries, rng=rng)
        client = Client()
        client.force_login(user)
        results = {}
        self.stdout.write(f"\nvendor={connection.vendor} customers={Customer.objects.count()} (bench batch n={n}, "
                          f"{built} new; {built_tickets} new tickets)\n")
        header = f"{'kind':<14}{'n':>5}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}{'queries':>9}{'hits/q':>8}{'view med':>10}{'view p95':>10}{'view q':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for kind, qs in cases.items():
            times, hits, query_counts = [], 0, set()
            for q in qs:
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    result = selectors.customers_search(query=q)
                    times.append((time.perf_counter() - t0) * 1000)
                query_counts.add(len(ctx.captured_queries))
                hits += len(result.customers)
            view_times, view_queries = [], set()
            for q in qs[:view_sample]:
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    response = client.get(reverse("customers:search"), {"q": q}, headers={"HX-Request": "true"})
                    view_times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.status_code
                view_queries.add(len(ctx.captured_queries))
            row = {
                "n": len(qs),
                "median_ms": round(statistics.median(times), 2),
                "p95_ms": round(pct(times, 95), 2),
                "max_ms": round(max(times), 2),
                "queries": sorted(query_counts),
                "hits_per_query": round(hits / len(qs), 2),
                "view_median_ms": round(statistics.median(view_times), 2) if view_times else None,
                "view_p95_ms": round(pct(view_times, 95), 2) if view_times else None,
                "view_queries": sorted(view_queries),
            }
            results[kind] = row
            self.stdout.write(
                f"{kind:<14}{row['n']:>5}{row['median_ms']:>11}{row['p95_ms']:>9}{row['max_ms']:>9}"
                f"{'/'.join(map(str, row['queries'])):>9}{row['hits_per_query']:>8}{row['view_median_ms']:>10}"
                f"{row['view_p95_ms']:>10}{'/'.join(map(str, row['view_queries'])):>8}"
            )

        if connection.vendor == "postgresql":
            sample_name = next((c for c in cases["chinese_name"] if len(c) >= 3), cases["chinese_name"][0])
            sample_short = next((c for c in cases["chinese_name"] if len(c) == 2), sample_name)
            sample_latin = cases["name"][0]
            sample_phone = cases["phone_prefix"][0]
            sample_suffix = cases["phone_suffix4"][0]
            for title, qs in (
                (f"name contains {sample_latin!r}", selectors.name_search_queryset(sample_latin)),
                (f"Chinese name contains {sample_name!r}", selectors.name_search_queryset(sample_name)),
                (f"Chinese name starts with {sample_short!r} (1-2 characters)", selectors.name_search_queryset(sample_short)),
                (f"phone prefix {sample_phone!r}", selectors.phone_search_queryset(selectors.digits_for_search(sample_phone))),
                (
                    f"phone start or end {sample_suffix!r}",
                    selectors.phone_search_queryset(
                        selectors.digits_for_search(sample_suffix), suffix=selectors.phone_suffix_digits(sample_suffix)
                    ),
                ),
            ):
                self.stdout.write(f"\nEXPLAIN ANALYZE — {title}")
                self.stdout.write(qs.explain(analyze=True))
        self.stdout.write("")
        self.stdout.write(json.dumps({
            "bench": "search",
            "vendor": connection.vendor,
            "customers": Customer.objects.count(),
            "n": n,
            "kinds": results,
        }, ensure_ascii=False))

    # --- data -----------------------------------------------------------------------------------
    def _bench_user(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=BENCH_USER, defaults={"first_name": "Bench"})
        if created:
            user.set_unusable_password()
            user.is_superuser = True  # only to pass the view's permission check in this process
            user.save()
        return user

    def _build_customers(self, *, n, user, rng) -> int:
        have = Customer.objects.filter(notes=BENCH_NOTE).count()
        if have >= n:
            return 0
        regions = list(Region.objects.all()) or [Region.objects.create(name="Bench district", code="bench")]
        # Names are drawn in order so that the batch is the same whatever the earlier size was.
        for _ in range(have):
            bench_name(_, rng)
        batch = 5000
        created = 0
        for start in range(have, n, batch):
            stop = min(n, start + batch)
            with transaction.atomic():
                customers = Customer.objects.bulk_create([
                    Customer(
                        name=bench_name(i, rng),
                        kind=Customer.Kind.ORGANISATION if i % 10 == 9 else Customer.Kind.PERSON,
                        tier=("diamond", "gold", "silver", "basic", "basic", "basic")[i % 6],
                        region=regions[i % len(regions)],
                        notes=BENCH_NOTE,
                        owner=user,
                        first_contact_by=user,
                    )
                    for i in range(start, stop)
                ])
                CustomerPhone.objects.bulk_create(
                    CustomerPhone(customer=c, number=f"+86{bench_national(i)}", national=bench_national(i), is_primary=True)
                    for i, c in zip(range(start, stop), customers)
                )
            created += stop - start
            self.stderr.write(f"  built {stop}/{n} customers")
        return created

    def _build_tickets(self, *, count, user) -> int:
        from tickets.models import Ticket

        prefix = f"IQ-{TICKET_YEAR}-"
        have = Ticket.objects.filter(number__startswith=prefix).count()
        if have >= count:
            return 0
        customer_ids = list(Customer.objects.filter(notes=BENCH_NOTE).order_by("pk").values_list("pk", flat=True)[: count])
        Ticket.objects.bulk_create(
            Ticket(number=f"{prefix}{i + 1:06d}", kind=Ticket.Kind.INQUIRY, subject=f"Bench inquiry {i + 1}",
                   customer_id=customer_ids[i % len(customer_ids)], created_by=user)
            for i in range(have, count)
        )
        return count - have

    def _queries(self, *, n, per_kind, rng) -> dict:
        from tickets.models import Ticket

        idx = [rng.randrange(n) for _ in range(per_kind)]
        sampled = CustomerPhone.objects.filter(national__in=[bench_national(i) for i in idx]).values_list("customer__name", flat=True)
        chinese = [name for name in sampled if not name[0].isascii()] or ["王"]
        chinese = (chinese * (per_kind // len(chinese) + 1))[:per_kind]
        numbers = list(Ticket.objects.filter(number__startswith=f"IQ-{TICKET_YEAR}-").values_list("number", flat=True)[:5000])
        return {
            "phone_full": [f"{bench_national(i)[:3]} {bench_national(i)[3:7]} {bench_national(i)[7:]}" for i in idx],
            "phone_e164": [f"+86 {bench_national(i)}" for i in idx],
            "phone_prefix": [bench_national(i)[: rng.randint(5, 8)] for i in idx],
            # The last 4 digits (尾号), as callers give them at a Chinese front desk.
            "phone_suffix4": [bench_national(i)[-4:] for i in idx],
            "name": [rng.choice(LAST).lower()[: rng.randint(4, 6)] for _ in range(per_kind)],
            "chinese_name": chinese,
            "ticket_number": [rng.choice(numbers).lower() for _ in range(per_kind)] if numbers else [],
        }
