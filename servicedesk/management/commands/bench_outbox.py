"""`manage.py bench_outbox --n 10000`: drain N pending outbox messages with 2 worker processes, and the
cost of an idle sweep (one index probe: its plan is printed). A table, then one JSON line.

The workers are forked processes running the same function the Celery task runs (outbox_sweep), each
with its own database connection, racing for rows with FOR UPDATE SKIP LOCKED; mail goes to Django's
locmem backend (in memory: the figure is the outbox's own cost, not an SMTP server's).
"""
import json
import multiprocessing
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, connections, transaction
from django.utils import timezone

from servicedesk.models import OutboxMessage
from servicedesk.outbox import DUE_STATUSES, outbox_deliver, outbox_sweep

KIND = "bench"


def _drain(queue):
    connections.close_all()  # never share the parent's connection
    from django.core import mail

    claimed = 0
    while True:
        counts = outbox_sweep(batch=100, budget_seconds=3600)
        claimed += counts["claimed"]
        if counts["claimed"] == 0:
            break
    queue.put({"claimed": claimed, "sent_here": len(getattr(mail, "outbox", []))})
    connections.close_all()


class Command(BaseCommand):
    help = "Benchmark the outbox: drain N messages with 2 worker processes; idle sweep cost and plan."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=10000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, n: int, workers: int, **options):
        from servicedesk.bench import claim_bench_database

        claim_bench_database(command="bench_outbox")  # before any write: never on demo or real data
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        OutboxMessage.objects.filter(kind=KIND).delete()
        now = timezone.now()
        started = time.perf_counter()
        OutboxMessage.objects.bulk_create(
            (OutboxMessage(kind=KIND, channel="email", to=f"customer{i}@example.com", subject=f"Bench {i}",
                           body="Your technician arrives at 15:00.", idempotency_key=uuid.uuid4().hex,
                           status="pending", next_attempt_at=now, created_at=now) for i in range(n)),
            batch_size=2000)
        build_s = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # steady state: earlier runs' dead rows out of the index
                cursor.execute("VACUUM ANALYZE servicedesk_outboxmessage")

        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        procs = [ctx.Process(target=_drain, args=(results,)) for _ in range(workers)]
        started = time.perf_counter()
        for p in procs:
            p.start()
        per_worker = [results.get(timeout=3600) for _ in procs]
        for p in procs:
            p.join()
        drain_s = time.perf_counter() - started
        sent = OutboxMessage.objects.filter(kind=KIND, status="sent").count()
        claimed = sum(r["claimed"] for r in per_worker)

        # The idle sweep: nothing due → one probe of outbox_due_idx.
        runs = 50
        started = time.perf_counter()
        for _ in range(runs):
            outbox_deliver(batch=100)
        idle_ms = (time.perf_counter() - started) * 1000 / runs
        due = OutboxMessage.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=timezone.now())
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        with transaction.atomic():
            plan = due.order_by("next_attempt_at").values_list("pk", flat=True)[:100].explain(
                **({"analyze": True} if connection.vendor == "postgresql" else {}))
        OutboxMessage.objects.filter(kind=KIND).delete()
        load = ""
        try:
            import os

            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        except OSError:
            pass

        rate = sent / drain_s if drain_s else 0.0
        rows = [
            ("messages", f"{n}"),
            ("workers (processes)", f"{workers}"),
            ("build (bulk insert)", f"{build_s:.2f} s"),
            ("drain", f"{drain_s:.2f} s"),
            ("delivered", f"{sent} of {n} (claimed {claimed}: {'no' if claimed == n else 'SOME'} duplicate claims)"),
            ("per worker", ", ".join(str(r["claimed"]) for r in per_worker)),
            ("messages/second", f"{rate:.0f}"),
            ("idle sweep (nothing due)", f"{idle_ms:.2f} ms"),
            ("machine load (1/5/15 min)", load),
        ]
        width = max(len(k) for k, _ in rows)
        self.stdout.write(f"Outbox benchmark on {connection.vendor}")
        for key, value in rows:
            self.stdout.write(f"  {key:<{width}}  {value}")
        self.stdout.write("Idle sweep plan:")
        for line in plan.splitlines():
            self.stdout.write(f"  {line}")
        self.stdout.write(json.dumps({
            "bench": "outbox", "vendor": connection.vendor, "n": n, "workers": workers, "drain_s": round(drain_s, 3),
            "delivered": sent, "claimed": claimed, "per_worker": [r["claimed"] for r in per_worker],
            "messages_per_s": round(rate, 1), "idle_sweep_ms": round(idle_ms, 3),
            "idle_plan_uses_index": "outbox_due_idx" in plan,
        }))
