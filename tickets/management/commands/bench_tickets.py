"""Ticket list/search/detail/create at scale: `manage.py bench_tickets [--n N] [--requests R]`.

Builds N tickets (default 1,000,000 on PostgreSQL, 100,000 on SQLite) with their events, in
bulk_create batches, as a bench batch numbered in year 2098 (never collides with real numbering;
the counters are set to match) — rerunning reuses what is there and only tops it up. Then times
requests through Django's test Client as a signed-in agent: the list's default view, the list
filtered by status + assignee, text searches (common word, rare word, customer name, number), the
detail page of a random bench ticket, and of two tickets opened through the services with 3 and with
50 replies — alone (`detail_3`) and with every panel the page loads on `hx-trigger="load"`
(`detail_3+panels`: summed, as the side-by-side peer comparison counts it) — and staff ticket
creation (`create`: a POST of the staff form, per ticket). Prints median/p95 ms and query counts,
EXPLAIN ANALYZE of the list queries on PostgreSQL, and as its last line one JSON object.
"""
import json
import random
import re
import uuid
from html import unescape
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

from customers.models import Customer
from servicedesk import roles
from servicedesk.bench import claim_bench_database, pct
from tickets.filters import TicketFilter
from tickets.models import Ticket, TicketCounter, TicketEvent, TicketReply
from tickets.selectors import ticket_list_base
from tickets.services import ticket_create, ticket_reply

YEAR = 2098
NOTE = "bench_tickets batch"
AGENTS = 20
WORDS = ["compressor", "noise", "leak", "printer", "jam", "display", "error", "power", "fan", "door", "sensor",
         "remote", "filter", "pump", "valve", "heater", "cooling", "motor", "cable", "screen", "空调", "漏水",
         "噪音", "不制冷", "打印机", "卡纸", "显示", "故障", "电源", "遥控器"]
STATUSES_OLD = ["closed"] * 17 + ["resolved", "cancelled"]
STATUSES_NEW = ["new", "acknowledged", "in_progress", "in_progress", "waiting", "reopened", "resolved"]
PREFIXES = Ticket.NUMBER_PREFIX


class Command(BaseCommand):
    help = "Benchmark the ticket list, search and detail pages on a large table."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=None, help="tickets (default 1,000,000 PostgreSQL / 100,000 SQLite)")
        parser.add_argument("--customers", type=int, default=None, help="bench customers (default n/20, max 50,000)")
        parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
        parser.add_argument("--batch", type=int, default=10_000)
        parser.add_argument("--no-explain", action="store_true")

    def handle(self, *args, n, customers, requests, batch, no_explain, **options):
        claim_bench_database(command="bench_tickets")  # before any write: never on demo or real data
        pg = connection.vendor == "postgresql"
        n = n or (1_000_000 if pg else 100_000)
        customers = customers or max(100, min(50_000, n // 20))
        t0 = time.perf_counter()
        agents = self._agents()
        cust_ids = self._customers(customers, batch)
        built = self._tickets(n, cust_ids, agents, batch)
        load_s = time.perf_counter() - t0
        if pg:
            with connection.cursor() as c:
                c.execute("ANALYZE tickets_ticket; ANALYZE tickets_ticketevent; ANALYZE customers_customer;")
        self.stdout.write(f"\nvendor={connection.vendor} tickets={n} (built {built} now, {load_s:.0f} s incl. reuse), "
                          f"customers={len(cust_ids)}, events≈{2 * n}")

        me = agents[0]
        client = Client()
        client.force_login(me)
        rng = random.Random(7)
        bench_ids = list(Ticket.objects.filter(number__contains=f"-{YEAR}-").order_by("-pk")
                         .values_list("pk", flat=True)[:5000])
        sample_customer = Customer.objects.filter(pk__in=cust_ids[:50]).values_list("name", flat=True)
        some_numbers = list(Ticket.objects.filter(pk__in=bench_ids[:200]).values_list("number", flat=True))
        url = reverse("tickets:list")
        cases = {
            "list_default": lambda i: url,
            "list_status_assignee": lambda i: f"{url}?status=in_progress&assignee={agents[i % AGENTS].pk}",
            "search_common_word": lambda i: f"{url}?status=&q={WORDS[i % 20]}",
            "search_rare_word": lambda i: f"{url}?status=&q=unit-{rng.randrange(n // 10 or 1):06d}",
            "search_customer": lambda i: f"{url}?status=&q={sample_customer[i % len(sample_customer)][:6]}",
            "search_number": lambda i: f"{url}?status=&q={some_numbers[i % len(some_numbers)]}",
            "queue_mine": lambda i: reverse("tickets:queue"),
            # issue 17: key accounts first at equal urgency (both sorts), and "my first-inquiry tickets"
            "queue_mine_priority": lambda i: reverse("tickets:queue") + "?tab=mine&sort=priority",
            "queue_first_inquiry": lambda i: reverse("tickets:queue") + "?tab=first_inquiry",
            "detail": lambda i: reverse("tickets:detail", args=[bench_ids[rng.randrange(len(bench_ids))]]),
        }
        samples = {replies: self._sample_ticket(replies, cust_ids[0], me) for replies in (3, 50)}
        for replies, pk in samples.items():
            cases[f"detail_{replies}"] = lambda i, pk=pk: reverse("tickets:detail", args=[pk])
            cases[f"detail_{replies}+panels"] = lambda i, pk=pk: ("panels", reverse("tickets:detail", args=[pk]))
        # A key account's repair rings its account manager (or notes on the timeline that it has none):
        # a fixed extra for those, so the two kinds of customer are timed as two cases.
        key_ids = set(Customer.objects.filter(pk__in=cust_ids[:1000], is_key_account=True).values_list("pk", flat=True))
        create_customers = [pk for pk in cust_ids[:1000] if pk not in key_ids][:500]
        create_key = sorted(key_ids)[:500]
        cases["create"] = lambda i: ("create", create_customers[i % len(create_customers)])
        if create_key:
            cases["create_key_account"] = lambda i: ("create", create_key[i % len(create_key)])
        results = {}
        header = f"{'case':<22}{'n':>4}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}{'cpu ms':>8}{'queries':>9}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, make in cases.items():
            self._request(client, make(-1))  # warm-up (caches, plan)
            times, cpus, counts = [], [], set()
            for i in range(requests):
                ms, cpu, queries = self._request(client, make(i))
                times.append(ms)
                cpus.append(cpu)
                counts.add(queries)
            row = {"median_ms": round(statistics.median(times), 1), "p95_ms": round(pct(times, 95), 1),
                   "max_ms": round(max(times), 1), "cpu_ms": round(statistics.median(cpus), 1),
                   "queries": sorted(counts)}
            results[name] = row
            self.stdout.write(f"{name:<22}{requests:>4}{row['median_ms']:>11}{row['p95_ms']:>9}{row['max_ms']:>9}"
                              f"{row['cpu_ms']:>8}"
                              f"{'/'.join(map(str, row['queries'])):>9}")

        if pg and not no_explain:
            for title, params in (("list default (open, newest first)", {}),
                                  ("all open of one agent", {"status": "open", "assignee": str(agents[1].pk)}),
                                  ("status + assignee", {"status": "in_progress", "assignee": str(agents[1].pk)}),
                                  ("text search 'compressor'", {"status": "", "q": "compressor"}),
                                  ("text search rare 'unit-000123'", {"status": "", "q": "unit-000123"})):
                from django.http import QueryDict

                qd = QueryDict(mutable=True)
                qd.update(params)
                # The page reads its ids from the tickets table alone, then those rows by id
                # (tickets.selectors.slice_page): the first query is the one whose plan matters.
                qs = TicketFilter(qd, queryset=ticket_list_base()).qs.values_list("pk", flat=True)[:26]
                self.stdout.write(f"\nEXPLAIN ANALYZE — {title} (the page's ids)")
                self.stdout.write(qs.explain(analyze=True))
            from tickets.selectors import queue_tickets

            for tab in ("mine", "first_inquiry"):
                qs = queue_tickets(user=me, tab=tab, sort="due").values_list("pk", flat=True)[:26]
                self.stdout.write(f"\nEXPLAIN ANALYZE — queue tab {tab}, SLA due then key accounts (the page's ids)")
                self.stdout.write(qs.explain(analyze=True))
        self.stdout.write("")
        self.stdout.write(json.dumps({"bench": "tickets", "vendor": connection.vendor, "tickets": n,
                                      "customers": len(cust_ids), "requests": requests, "load_seconds": round(load_s),
                                      "cases": results}, ensure_ascii=False))

    def _request(self, client, what) -> tuple[float, float, int]:
        """One timed case (wall ms, CPU ms — steadier on a shared machine —, queries): a GET, a page with
        its hx-trigger="load" panels (summed), or a staff create POST."""
        if isinstance(what, str):
            return self._timed(client, "get", what, expect=200)[:3]
        op, arg = what
        if op == "create":
            data = {"customer": str(arg), "kind": "repair", "channel": "phone", "priority": "2",
                    "subject": "Bench staff ticket", "description": "Customer phoned: error E42 after the update.",
                    "asset": "", "client_token": uuid.uuid4().hex}
            return self._timed(client, "post", reverse("tickets:create"), data, expect=302)[:3]
        ms, cpu, queries, response = self._timed(client, "get", arg, expect=200)
        for tag in re.findall(r'<[^>]*hx-trigger="load"[^>]*>', response.content.decode()):
            m = re.search(r'hx-get="([^"]+)"', tag)
            if m:
                more_ms, more_cpu, more_q, _r = self._timed(client, "get", unescape(m.group(1)), expect=200,
                                                            HTTP_HX_REQUEST="true")
                ms, cpu, queries = ms + more_ms, cpu + more_cpu, queries + more_q
        return ms, cpu, queries

    def _timed(self, client, method, url, data=None, *, expect, **headers):
        with CaptureQueriesContext(connection) as ctx:
            s, c = time.perf_counter(), time.process_time()
            response = getattr(client, method)(url, data or {}, **headers)
            ms, cpu = (time.perf_counter() - s) * 1000, (time.process_time() - c) * 1000
        assert response.status_code == expect, (url, response.status_code)
        return ms, cpu, len(ctx.captured_queries), response

    def _sample_ticket(self, replies, customer_id, agent) -> int:
        """An open repair ticket opened through the services (so it has its SLA clocks and events) with
        `replies` replies; reused on reruns."""
        subject = f"Bench detail page, {replies} replies"
        found = Ticket.objects.filter(subject=subject).values_list("pk", flat=True).first()
        if found:
            return found
        ticket = ticket_create(customer=Customer.objects.get(pk=customer_id), kind=Ticket.Kind.REPAIR,
                               subject=subject, description="Printer jams on every page.", created_by=agent)
        for i in range(replies):
            ticket_reply(ticket=ticket, author=agent, body=f"Bench reply {i}", public=i % 3 != 2)
        return ticket.pk

    # --- data -----------------------------------------------------------------------------------
    def _agents(self):
        roles.sync_roles()
        User = get_user_model()
        group = Group.objects.get(name=roles.AGENT)
        out = []
        for i in range(AGENTS):
            u, created = User.objects.get_or_create(username=f"bench_agent_{i:02d}",
                                                    defaults={"first_name": f"Bench{i:02d}"})
            if created:
                u.set_unusable_password()
                u.save()
                u.groups.add(group)
            out.append(u)
        return out

    def _customers(self, count, batch):
        have = Customer.objects.filter(notes=NOTE).count()
        rng = random.Random(11)
        tiers = ["diamond", "gold", "silver", "basic", "basic", "basic"]
        for start in range(have, count, batch):
            stop = min(count, start + batch)
            Customer.objects.bulk_create([
                Customer(name=f"{rng.choice('王李张刘陈杨黄赵吴周')}{rng.choice(['伟', '芳', '娜', '敏', '静', '强'])}"
                              f"{i:05d}" if i % 3 else f"Bench Customer {i:05d}",
                         tier=tiers[i % 6], notes=NOTE, is_key_account=i % 20 == 0)
                for i in range(start, stop)
            ], batch_size=batch)
            self.stderr.write(f"  customers {stop}/{count}")
        return list(Customer.objects.filter(notes=NOTE).order_by("pk").values_list("pk", flat=True)[:count])

    def _tickets(self, n, cust_ids, agents, batch):
        kinds = [Ticket.Kind.REPAIR] * 5 + [Ticket.Kind.INQUIRY] * 3 + [Ticket.Kind.COMPLAINT, Ticket.Kind.SUGGESTION]
        counters = {k: TicketCounter.objects.get_or_create(kind=k, year=YEAR)[0] for k in Ticket.Kind.values}
        have = sum(c.last for c in counters.values())
        if have >= n:
            return 0
        creator = agents[0]
        key_customers = set(Customer.objects.filter(pk__in=cust_ids, is_key_account=True).values_list("pk", flat=True))
        now = timezone.now()
        span = timedelta(days=3 * 365)
        ts_field = Ticket._meta.get_field("created_at")
        up_field = Ticket._meta.get_field("updated_at")
        ts_field.auto_now_add, up_field.auto_now = False, False  # the bench sets its own timestamps
        try:
            for start in range(have, n, batch):
                stop = min(n, start + batch)
                rng = random.Random(start)  # per batch: a rerun builds the same rows
                tickets = []
                for i in range(start, stop):
                    kind = kinds[i % len(kinds)]
                    counters[kind].last += 1
                    # i=0 is the oldest; the newest tickets are mostly open, older ones mostly closed.
                    created = now - span + span * ((i + 1) / (n + 1))
                    recent = i > n * 0.97
                    status = rng.choice(STATUSES_NEW if recent else STATUSES_OLD)
                    assignee = None if (status == "new" and rng.random() < 0.6) else agents[rng.randrange(AGENTS)]
                    words = " ".join(rng.sample(WORDS, 3))
                    # drawn in the same order as before issue 17, so a rerun builds the same rows
                    priority = rng.choices([0, 1, 2, 3], weights=[3, 15, 70, 12])[0]
                    channel = rng.choice(["phone", "walk_in", "email", "web"])
                    customer_id = cust_ids[rng.randrange(len(cust_ids))]
                    tickets.append(Ticket(
                        number=f"{PREFIXES[kind]}-{YEAR}-{counters[kind].last:06d}", kind=kind, status=status,
                        priority=priority, channel=channel, customer_id=customer_id,
                        # the green channel's copy of the customer's flag (bench customers: every 20th), and the
                        # first-inquiry owner spread over the agents (issue 17)
                        is_key_account=customer_id in key_customers,
                        first_inquiry_owner=agents[i % AGENTS],
                        subject=f"{words} unit-{i // 10:06d}"[:200],
                        assignee=assignee, team=None, created_by=creator, created_at=created, updated_at=created,
                        first_response_at=created + timedelta(hours=2) if status != "new" else None,
                        resolved_at=created + timedelta(days=1) if status in ("resolved", "closed") else None,
                        closed_at=created + timedelta(days=3) if status == "closed" else None,
                    ))
                with transaction.atomic():
                    made = Ticket.objects.bulk_create(tickets, batch_size=batch)
                    events = []
                    for t in made:
                        events.append(TicketEvent(ticket_id=t.pk, actor=creator, kind="created",
                                                  after={"number": t.number, "kind": t.kind}, created_at=t.created_at))
                        if t.status != "new":
                            events.append(TicketEvent(ticket_id=t.pk, actor=t.assignee, kind="status", field="status",
                                                      before="new", after=t.status,
                                                      created_at=t.created_at + timedelta(hours=1)))
                    TicketEvent.objects.bulk_create(events, batch_size=batch)
                    if start % (batch * 10) == 0:  # a few replies, so detail pages have some
                        TicketReply.objects.bulk_create([
                            TicketReply(ticket_id=t.pk, author=creator, body="Bench reply", public=True,
                                        created_at=t.created_at + timedelta(hours=2), delivery_status="no_email")
                            for t in made[:500]
                        ])
                    for c in counters.values():
                        c.save(update_fields=["last"])
                self.stderr.write(f"  tickets {stop}/{n}")
        finally:
            ts_field.auto_now_add, up_field.auto_now = True, True
        return n - have
