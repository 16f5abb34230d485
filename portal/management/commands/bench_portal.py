"""The customer's door at scale: `manage.py bench_portal [--n N] [--requests R]`.

Builds (or reuses) bench_tickets' data set — N tickets, default 1,000,000 on PostgreSQL and 100,000 on
SQLite — then, as an anonymous customer through Django's test Client:

* `status`: the status page of random bench tickets through their links (median/p95 ms, queries);
* `status_50`: the status page of a ticket with 50 public replies (the query count must not grow);
* `message`: a customer's message posted on the status page (per message, median/p95);
* `request`: online request submissions, each a new ticket with its acknowledgement (per submission,
  and submissions per second) — when the online form is installed (portal.intake).

Rate limits are lifted for the run (the bench is one address). The last line is one JSON object.
"""
import json
import random
import time

from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from portal.services import status_token
from servicedesk.bench import claim_bench_database, time_requests
from tickets.management.commands.bench_tickets import Command as TicketsBench
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_reply


class Command(BaseCommand):
    help = "Benchmark the customer's status page and online intake on a large ticket table."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=None, help="tickets (default 1,000,000 PostgreSQL / 100,000 SQLite)")
        parser.add_argument("--requests", type=int, default=50, help="timed requests per case")
        parser.add_argument("--batch", type=int, default=10_000)

    def handle(self, *args, n, requests, batch, **options):
        claim_bench_database(command="bench_portal")
        pg = connection.vendor == "postgresql"
        n = n or (1_000_000 if pg else 100_000)
        builder = TicketsBench(stdout=self.stdout, stderr=self.stderr)
        t0 = time.perf_counter()
        agents = builder._agents()
        cust_ids = builder._customers(max(100, min(50_000, n // 20)), batch)
        builder._tickets(n, cust_ids, agents, batch)
        if pg:
            with connection.cursor() as c:
                c.execute("ANALYZE tickets_ticket; ANALYZE tickets_ticketreply;")
        self.stdout.write(f"\nvendor={connection.vendor} tickets={Ticket.objects.count()} "
                          f"(data ready in {time.perf_counter() - t0:.0f} s)")
        rng = random.Random(7)
        max_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
        # Customers look at recent tickets (a link expires some days after closing): the newest 3 %.
        recent = [rng.randint(int(max_id * 0.97), max_id) for _ in range(requests * 4)]
        ids = list(Ticket.objects.filter(pk__in=recent).exclude(status__in=["closed", "cancelled"])
                   .values_list("pk", flat=True)[:requests])
        big = self._ticket_with_replies(cust_ids[0], agents[0], 50)
        client = Client()
        results = {}
        with override_settings(PORTAL_RATE_LIMIT=(10**9, 60)):
            cache.clear()
            urls = [reverse("portal:status", args=[status_token(Ticket(pk=pk))]) for pk in ids]
            for url in urls[:3]:
                client.get(url)  # warm-up: settings row, templates, code paths
            results["status"] = self._time(lambda i: client.get(urls[i % len(urls)]), requests)
            big_url = reverse("portal:status", args=[status_token(Ticket(pk=big))])
            client.get(big_url)
            results["status_50"] = self._time(lambda i: client.get(big_url), requests)
            results["message"] = self._time(lambda i: client.post(urls[i % len(urls)], {
                "action": "message", "m-body": f"bench message {i}"}), requests, expect=302)
            results.update(self._requests(requests))
        self.stdout.write(f"\n{'case':<12} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
        for name, r in results.items():
            if "median_ms" in r:
                self.stdout.write(f"{name:<12} {r['median_ms']:>10.1f} {r['p95_ms']:>10.1f} {r['queries']:>8}")
        if "request" in results:
            self.stdout.write(f"online requests: {results['request']['per_second']:.1f} per second")
        self.stdout.write(json.dumps({"vendor": connection.vendor, "tickets": n, **results}))

    def _ticket_with_replies(self, customer_id, agent, replies) -> int:
        from customers.models import Customer

        subject = f"Bench status page, {replies} replies"
        found = Ticket.objects.filter(subject=subject).values_list("pk", flat=True).first()
        if found:
            return found
        ticket = ticket_create(customer=Customer.objects.get(pk=customer_id), kind=Ticket.Kind.REPAIR,
                               subject=subject, created_by=agent)
        for i in range(replies):
            ticket_reply(ticket=ticket, author=agent, body=f"Bench public reply {i}", public=True)
        return ticket.pk

    def _time(self, call, count, expect=200) -> dict:
        return time_requests(call, count, expect=expect)

    def _requests(self, count) -> dict:
        try:
            from portal import intake
        except ImportError:
            return {}
        return intake.bench_submissions(count=count, time_one=self._time)
