"""The REST API at scale: `manage.py bench_api [--n N] [--customers C] [--requests R]`.

Builds (or reuses) bench_search's customers with phones (C, default n/5 up to 200,000) and
bench_tickets' tickets (N, default 1,000,000 on PostgreSQL, 100,000 on SQLite), makes one token, then
times through Django's test Client with `Authorization: Bearer …` — the whole stack: authentication,
scope, rate limit, the call log's INSERT, JSON:

* `phone_full`: customer lookup by a whole number as a phone system sends it (+86 186 …);
* `phone_typed`: the same number as a person types it (186 1234 5678);
* `phone_suffix`: the last 4 digits (尾号);
* `tickets_page1`: the newest 50 tickets; `tickets_page2`: the next cursor page;
* `tickets_status`: open tickets of one status; `tickets_customer`: one customer's tickets;
* `tickets_assignee`: one agent's in-progress tickets;
* `call_ringing`: the phone system's "ringing" (POST /api/v1/calls/ringing/) for a known caller;
* `pop_unchanged` / `pop_card`: a signed-in desk's poll of /calls/pop/ — nothing changed (204), and the
  caller's card (customer, open tickets, contacts, warranty).

Median/p95 ms and queries per case; the last line is one JSON object.
"""
import json
import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client

from api.models import Scope
from api.services import token_create
from customers.management.commands.bench_search import BENCH_NOTE, Command as SearchBench, bench_national
from customers.models import Customer
from servicedesk.bench import claim_bench_database, time_requests
from tickets.management.commands.bench_tickets import Command as TicketsBench
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Benchmark the REST API's phone lookup and ticket list on large tables."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=None, help="tickets (default 1,000,000 PostgreSQL / 100,000 SQLite)")
        parser.add_argument("--customers", type=int, default=None, help="customers with phones (default n/5, max 200,000)")
        parser.add_argument("--requests", type=int, default=100, help="timed requests per case")
        parser.add_argument("--batch", type=int, default=10_000)

    def handle(self, *args, n, customers, requests, batch, **options):
        claim_bench_database(command="bench_api")
        pg = connection.vendor == "postgresql"
        n = n or (1_000_000 if pg else 100_000)
        customers = customers or max(100, min(200_000, n // 5))
        t0 = time.perf_counter()
        search = SearchBench(stdout=self.stdout, stderr=self.stderr)
        user = search._bench_user()
        search._build_customers(n=customers, user=user, rng=random.Random(42))
        cust_ids = list(Customer.objects.filter(notes=BENCH_NOTE).order_by("pk").values_list("pk", flat=True)[:customers])
        tickets = TicketsBench(stdout=self.stdout, stderr=self.stderr)
        agents = tickets._agents()
        tickets._tickets(n, cust_ids, agents, batch)
        if pg:
            with connection.cursor() as c:
                c.execute("ANALYZE tickets_ticket; ANALYZE customers_customer; ANALYZE customers_customerphone;")
        ticket_count = Ticket.objects.count() if not pg else n
        self.stdout.write(f"\nvendor={connection.vendor} tickets≈{ticket_count} customers={len(cust_ids)} "
                          f"(data ready in {time.perf_counter() - t0:.0f} s)")

        issued = token_create(name="bench_api", scopes=list(Scope.values), created_by=user,
                              rate_limit_per_minute=10**9)
        client = Client(headers={"Authorization": f"Bearer {issued.secret}"})
        rng = random.Random(7)
        picks = [rng.randrange(len(cust_ids)) for _ in range(requests)]

        def spaced(i):
            d = bench_national(i)
            return f"{d[:3]} {d[3:7]} {d[7:]}"

        first = client.get("/api/v1/tickets/").json()
        page2 = first["next"]
        some_customers = [cust_ids[p] for p in picks]
        cases = {
            "phone_full": lambda i: ("/api/v1/customers/", {"phone": f"+86 {spaced(picks[i])}"}),
            "phone_typed": lambda i: ("/api/v1/customers/", {"phone": spaced(picks[i])}),
            "phone_suffix": lambda i: ("/api/v1/customers/", {"phone": bench_national(picks[i])[-4:]}),
            "tickets_page1": lambda i: ("/api/v1/tickets/", {}),
            "tickets_page2": lambda i: (page2, {}),
            "tickets_status": lambda i: ("/api/v1/tickets/", {"status": ("new", "in_progress", "waiting")[i % 3]}),
            "tickets_customer": lambda i: ("/api/v1/tickets/", {"customer": some_customers[i]}),
            "tickets_assignee": lambda i: ("/api/v1/tickets/", {"assignee": agents[i % len(agents)].pk,
                                                                "status": "in_progress"}),
        }
        results = {}
        for name, build in cases.items():
            for i in range(3):  # warm-up
                client.get(*build(i))
            results[name] = self._time(client, build, requests, check_found=name.startswith("phone_full"))
        results.update(self._screen_pop(issued.secret, [bench_national(p) for p in picks], requests))
        self.stdout.write(f"\n{'case':<18} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
        for name, r in results.items():
            self.stdout.write(f"{name:<18} {r['median_ms']:>10.1f} {r['p95_ms']:>10.1f} {r['queries']:>8}")
        self.stdout.write(json.dumps({"vendor": connection.vendor, "tickets": ticket_count, "customers": len(cust_ids),
                                      "requests": requests, **results}))

    def _screen_pop(self, secret: str, numbers: list[str], count: int) -> dict:
        """The phone system's ring through the API, and the desk's poll: unchanged (204) and the card."""
        import uuid

        from django.contrib.auth.models import Group

        from servicedesk import roles
        from servicedesk.models import StaffProfile

        desk, _ = get_user_model().objects.get_or_create(username="bench-desk")
        desk.groups.add(Group.objects.get(name=roles.FRONT_DESK))
        StaffProfile.objects.filter(extension="8777").exclude(user=desk).update(extension="")  # the bench's desk phone
        StaffProfile.objects.update_or_create(user=desk, defaults={"extension": "8777"})
        exchange = Client(headers={"Authorization": f"Bearer {secret}"})
        browser = Client()
        browser.force_login(desk)
        out = {}

        def timed(name, send, expect):
            out[name] = time_requests(send, count, expect=expect)

        timed("call_ringing", lambda i: exchange.post("/api/v1/calls/ringing/", {
            "call_id": f"bench-{uuid.uuid4().hex}", "from": f"+86 {numbers[i]}", "extension": "8777"},
            content_type="application/json"), 200)
        card = browser.get("/calls/pop/")
        state = card.content.decode().split('name="shown" value="', 1)[1].split('"', 1)[0]
        timed("pop_unchanged", lambda i: browser.get("/calls/pop/", {"shown": state}), 204)
        timed("pop_card", lambda i: browser.get("/calls/pop/"), 200)
        return out

    def _time(self, client, build, count, check_found=False) -> dict:
        def one_customer(response):
            found = len(response.json()["results"])
            return None if found == 1 else f"expected exactly one customer, got {found}"

        return time_requests(lambda i: client.get(*build(i)), count, check=one_customer if check_found else None)
