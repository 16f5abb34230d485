"""Benchmarks refuse a database they would damage (issue 13 item 7).

Every bench_* command calls claim_bench_database() before it writes anything. A database is the
benchmarks' own when a BenchDatabase row says so; an empty one (migrated, no business rows yet)
becomes theirs on first use. Anything else — demo data, a copy of production — is refused with a
message that says what was found and what to do.
"""
from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection

# Rows people make. Users, groups, SLA defaults and settings rows exist right after `migrate`.
PEOPLES_DATA = [
    "customers.Customer",
    "tickets.Ticket",
    "knowledge.Article",
    "dispatch.WorkOrder",
    "followups.SurveyInvitation",
    "followups.Callback",
    "reports.ReportSubscription",
]


def foreign_data() -> list[str]:
    """The tables (of PEOPLES_DATA) that hold rows, as verbose plural names."""
    found = []
    for label in PEOPLES_DATA:
        model = apps.get_model(label)
        if model.objects.exists():
            found.append(str(model._meta.verbose_name_plural))
    return found


def claim_bench_database(*, command: str) -> None:
    """Go on if this is a bench database (or an empty one, which becomes one); else CommandError."""
    from servicedesk.models import BenchDatabase

    if BenchDatabase.objects.exists():
        return
    found = foreign_data()
    if found:
        name = connection.settings_dict.get("NAME")
        raise CommandError(
            f"{command}: refusing to run on database {name!r}: it holds data a benchmark did not create "
            f"({', '.join(found)}). Benchmarks add hundreds of thousands of rows. Point DATABASE_URL at a "
            f"new, empty database (createdb servicedesk_bench; manage.py migrate) and run it there."
        )
    BenchDatabase.objects.create(command=command)


def pct(values, p):
    """The p-th percentile of the values (nearest rank): what every bench_* command reports as p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_requests(call, count: int, *, expect: int = 200, check=None) -> dict:
    """Time ``call(i)`` for i in range(count) — one request each — with its queries.

    Returns median/p95 ms and the most/fewest queries a request made. A status other than ``expect``,
    or ``check(response)`` returning an error text, stops the bench: a figure for a wrong answer is no figure.
    """
    import statistics
    import time

    from django.test.utils import CaptureQueriesContext

    times, queries = [], []
    for i in range(count):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = call(i)
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code != expect:
            raise SystemExit(f"unexpected {response.status_code} (wanted {expect}): {response.content[:300]!r}")
        problem = check(response) if check else None
        if problem:
            raise SystemExit(problem)
        queries.append(len(ctx.captured_queries))
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(pct(times, 95), 2),
            "queries": max(queries), "queries_min": min(queries)}
