"""E-mail intake throughput: `manage.py bench_mailin [--n 1000]`.

Starts a throw-away dovecot on loopback (or uses the mailbox given with --host/--port/--user, whose
password is read from the environment variable MAILIN_BENCH_PASSWORD), fills it with N messages as
customers send them — half of the senders new, half writing a second time, one in ten with a photo,
one in five in GBK — and times ONE full poll of all N: fetch, parse, customer, ticket, SLA clocks,
acknowledgement outbox row, the original .eml, flag as seen. Prints a table; the last line is one
JSON object (messages per minute, queries per message).
"""
import imaplib
import json
import os
import shutil
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import override_settings

from mailin.models import InboundEmail, Mailbox
from mailin.services import mailbox_poll
from servicedesk.bench import claim_bench_database

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20_000


def bench_message(i: int, run: str) -> bytes:
    msg = EmailMessage()
    sender = i // 2  # every sender writes twice: one new customer, one known
    msg["From"] = f"Customer {sender} <c{sender}.{run}@bench.example.com>"
    msg["To"] = "service@bench"
    msg["Subject"] = f"空调不制冷 {i}" if i % 5 == 0 else f"Printer jams, request {i}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<{run}.{i}@bench.example.com>"
    if i % 5 == 0:
        msg.set_content("您好，办公室的空调从昨天开始不制冷，请派人来检查。型号 KFR-35GW。", charset="gbk")
    else:
        msg.set_content(f"The printer on floor {i % 9} jams on every second page.\nSerial LJ-{i:05d}.\n")
    if i % 10 == 3:
        msg.add_attachment(PNG, maintype="image", subtype="png", filename=f"photo{i}.png")
    return msg.as_bytes()


class Command(BaseCommand):
    help = "Benchmark e-mail intake: one poll of a mailbox holding N new messages."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=1000, help="messages in the mailbox (default 1000)")
        parser.add_argument("--host", default="", help="use this IMAP server instead of a throw-away dovecot")
        parser.add_argument("--port", type=int, default=993)
        parser.add_argument("--user", default="")
        parser.add_argument("--security", default="imaps", choices=["imaps", "starttls", "plain"])

    def handle(self, *args, n, host, port, user, security, **options):
        claim_bench_database(command="bench_mailin")
        root = proc = None
        if host:
            password = os.environ.get("MAILIN_BENCH_PASSWORD")
            if password is None:
                raise CommandError("Set MAILIN_BENCH_PASSWORD to the mailbox's password.")
        else:
            from mailin.testserver import DovecotMissing, start_dovecot

            root = Path(tempfile.mkdtemp(prefix="bench-mailin-"))
            user, password, host, security = "service@bench", "bench", "127.0.0.1", "plain"
            try:
                proc, port = start_dovecot(root, {user: password})
            except DovecotMissing as exc:
                shutil.rmtree(root, ignore_errors=True)
                raise CommandError(str(exc)) from None
        try:
            self._run(n=n, host=host, port=port, user=user, password=password, security=security)
        finally:
            if proc is not None:
                from mailin.testserver import stop_dovecot

                stop_dovecot(proc, root)

    def _run(self, *, n, host, port, user, password, security):
        run = uuid.uuid4().hex[:8]
        conn = imaplib.IMAP4_SSL(host, port) if security == "imaps" else imaplib.IMAP4(host, port)
        if security == "starttls":
            conn.starttls()
        conn.login(user, password)
        t0 = time.perf_counter()
        size = 0
        for i in range(n):
            raw = bench_message(i, run)
            size += len(raw)
            typ, data = conn.append("INBOX", None, None, raw)
            if typ != "OK":
                raise CommandError(f"APPEND failed: {data!r}")
        conn.logout()
        self.stdout.write(f"vendor={connection.vendor} filled {n} messages ({size / 1e6:.1f} MB) "
                          f"in {time.perf_counter() - t0:.1f} s")
        os.environ["MAILIN_BENCH_PASSWORD_RUN"] = password
        mailbox, _created = Mailbox.objects.update_or_create(name=f"bench {run}", defaults={
            "host": host, "port": port, "security": security, "username": user,
            "password_env": "MAILIN_BENCH_PASSWORD_RUN", "password": ""})
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        # Half the senders write twice within the minute: the throttle is not what is measured.
        with override_settings(MAILIN_SENDER_LIMIT_PER_MINUTE=10**6), connection.execute_wrapper(count):
            start = time.perf_counter()
            counts = mailbox_poll(mailbox=mailbox, limit=n)
            seconds = time.perf_counter() - start
        if counts.get("failure"):
            raise CommandError(f"The poll failed: {counts['failure']}")
        processed = InboundEmail.objects.filter(mailbox=mailbox).count()
        per_minute = processed / seconds * 60 if seconds else 0.0
        result = {"bench": "mailin", "vendor": connection.vendor, "messages": processed,
                  "seconds": round(seconds, 2), "messages_per_minute": round(per_minute),
                  "ms_per_message": round(seconds * 1000 / max(1, processed), 1),
                  "queries_per_message": round(queries[0] / max(1, processed), 1),
                  "outcomes": {k: v for k, v in counts.items() if k != "fetched"}}
        self.stdout.write(f"\n{'messages':>9} {'seconds':>8} {'msg/min':>8} {'ms/msg':>7} {'queries/msg':>12}")
        self.stdout.write(f"{processed:>9} {seconds:>8.1f} {per_minute:>8.0f} {result['ms_per_message']:>7.1f} "
                          f"{result['queries_per_message']:>12.1f}")
        self.stdout.write("outcomes: " + ", ".join(f"{k}={v}" for k, v in result["outcomes"].items()))
        self.stdout.write(json.dumps(result))
