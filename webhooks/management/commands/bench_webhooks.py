"""`manage.py bench_webhooks --n 200`: what webhooks add to opening a ticket, and what a delivery costs.

Opens 3·N tickets through tickets.services.ticket_create, taking turns between three set-ups: the
webhooks receiver disconnected (the cost before this feature), connected with 0 subscribed webhooks
(2 exist for other events), and with 3 webhooks subscribed to "ticket opened"; reports per ticket:
queries and wall time (median, p95), and what each set-up adds to the first. Then delivers the 3·N webhook rows through the outbox to a local HTTP
receiver (127.0.0.1, answers 200 at once) and reports the time per delivery. Publishing to Celery
is skipped (the queue's breaker is held open) so the figures are the database's and the sender's
cost, not the broker's. A table, then one JSON line.

Runs only on a bench database (servicedesk/bench.py), as every bench_* command.
"""
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk import queue
from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_deliver


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


class Command(BaseCommand):
    help = "Benchmark webhooks: cost added to ticket creation with 0 and 3 subscribed webhooks; delivery time."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=200)

    def handle(self, *args, n: int, **options):
        from customers.services import PhoneInput, customer_create
        from servicedesk.bench import claim_bench_database
        from tickets import signals as ticket_signals
        from tickets.services import ticket_create
        from webhooks import services
        from webhooks.models import Webhook

        claim_bench_database(command="bench_webhooks")
        settings.WEBHOOKS_ALLOW_PRIVATE = True  # our own receiver on loopback
        queue._state["open_until"] = float("inf")  # no broker: measure the database, not the publish
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        Webhook.objects.filter(name__startswith="bench-").delete()
        user, _ = get_user_model().objects.get_or_create(username="bench-webhooks")
        stamp = int(time.time()) % 10**6
        customer = customer_create(name="Bench webhooks", phones=[PhoneInput(f"137{stamp:06d}00"[:11])], created_by=user)

        def open_ticket(i, times, queries):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                ticket_create(customer=customer, kind="repair", subject=f"Bench {i}", created_by=user)
                times.append((time.perf_counter() - start) * 1000)
            queries.append(len(ctx.captured_queries))

        hooks = [Webhook.objects.create(name=f"bench-{i}", url=url, events="ticket.opened sla.breached",
                                        created_by=user, active=False) for i in range(3)]
        for i in range(2):
            Webhook.objects.create(name=f"bench-other-{i}", url=url, events="survey.answered", created_by=user)
        for i in range(5):
            open_ticket(i, [], [])  # warm caches (settings rows, calendars)
        # The three set-ups take turns ticket by ticket, so drift (caches, the file growing) hits each alike.
        rows = {label: ([], []) for label in ("no receiver", "0 webhooks", "3 webhooks")}
        by_pk = Webhook.objects.filter(pk__in=[h.pk for h in hooks])
        for i in range(n):
            ticket_signals.ticket_opened.disconnect(dispatch_uid="webhooks.opened")
            open_ticket(i, *rows["no receiver"])
            ticket_signals.ticket_opened.connect(services.on_ticket_opened, dispatch_uid="webhooks.opened")
            open_ticket(i, *rows["0 webhooks"])  # two webhooks exist, subscribed to something else
            by_pk.update(active=True)
            open_ticket(i, *rows["3 webhooks"])
            by_pk.update(active=False)

        by_pk.update(active=True)  # deactivated, their deliveries would (rightly) fail unsent
        pending = list(OutboxMessage.objects.filter(channel="webhook", status="pending", to__in=[str(h.pk) for h in hooks])
                       .values_list("pk", flat=True))
        start = time.perf_counter()
        sent = 0
        for i in range(0, len(pending), 100):
            sent += outbox_deliver(message_ids=pending[i:i + 100], batch=100)["sent"]
        deliver_ms = (time.perf_counter() - start) * 1000 / max(1, len(pending))
        server.shutdown()
        server.server_close()

        self.stdout.write(f"{'ticket_create':<16}{'queries':>9}{'median ms':>11}{'p95 ms':>9}")
        result = {"n": n, "database": connection.vendor}
        for label, (times, queries) in rows.items():
            q = statistics.median(queries)
            self.stdout.write(f"{label:<16}{q:>9.0f}{statistics.median(times):>11.2f}{_p95(times):>9.2f}")
            key = {"no receiver": "none", "0 webhooks": "0", "3 webhooks": "3"}[label]
            result[f"queries_{key}"] = q
            result[f"median_ms_{key}"] = round(statistics.median(times), 2)
            result[f"p95_ms_{key}"] = round(_p95(times), 2)
        for key in ("0", "3"):
            result[f"added_queries_{key}"] = result[f"queries_{key}"] - result["queries_none"]
            result[f"added_median_ms_{key}"] = round(result[f"median_ms_{key}"] - result["median_ms_none"], 2)
        result["deliveries"] = len(pending)
        result["delivered"] = sent
        result["ms_per_delivery"] = round(deliver_ms, 2)
        self.stdout.write(f"delivery to a local receiver: {sent}/{len(pending)} sent, {deliver_ms:.2f} ms each")
        self.stdout.write(json.dumps(result))
