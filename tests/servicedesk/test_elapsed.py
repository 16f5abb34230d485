"""servicedesk.lookups.Elapsed: end − start computed in SQL on SQLite (issue 14) gives exactly what
Python's subtraction gives — whole seconds, microseconds, none, across days and years."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.db.models import F

from servicedesk.lookups import Elapsed
from tickets.models import Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db
UTC = dt_timezone.utc

PAIRS = [
    (datetime(2026, 10, 1, 8, 0, 0, tzinfo=UTC), datetime(2026, 10, 1, 8, 0, 0, tzinfo=UTC)),
    (datetime(2026, 10, 1, 8, 0, 0, tzinfo=UTC), datetime(2026, 10, 1, 9, 30, 15, 250000, tzinfo=UTC)),
    (datetime(2026, 10, 1, 8, 0, 0, 999999, tzinfo=UTC), datetime(2026, 10, 1, 8, 0, 1, tzinfo=UTC)),
    (datetime(2026, 10, 1, 23, 59, 59, 1, tzinfo=UTC), datetime(2026, 10, 4, 0, 0, 0, 999998, tzinfo=UTC)),
    (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), datetime(2026, 3, 1, 1, 2, 3, 4, tzinfo=UTC)),
    # a quarter-century apart (julianday's double, rounded to whole seconds, must still be exact) and backwards
    (datetime(2001, 1, 1, 0, 0, 1, tzinfo=UTC), datetime(2026, 6, 30, 23, 59, 59, 500000, tzinfo=UTC)),
    (datetime(2026, 6, 30, 23, 59, 59, 500000, tzinfo=UTC), datetime(2026, 6, 30, 12, 0, 0, 1, tzinfo=UTC)),
]


@pytest.fixture
def ticket_factory(customer_factory, personas):
    def _make(subject="Printer jams"):
        return ticket_create(customer=customer_factory(), kind="repair", subject=subject, created_by=personas.frontdesk)

    return _make


def test_elapsed_is_exact(ticket_factory):
    tickets = [ticket_factory(subject=f"t{i}") for i in range(len(PAIRS))]
    for ticket, (start, end) in zip(tickets, PAIRS):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=start, first_response_at=end)
    got = dict(Ticket.objects.filter(pk__in=[t.pk for t in tickets])
               .annotate(d=Elapsed(F("first_response_at"), F("created_at"))).values_list("pk", "d"))
    assert [got[t.pk] for t in tickets] == [end - start for start, end in PAIRS]
    assert got[tickets[1].pk] == timedelta(hours=1, minutes=30, seconds=15, microseconds=250000)


def test_elapsed_of_a_missing_moment_is_none(ticket_factory):
    ticket = ticket_factory()
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=None)
    row = Ticket.objects.filter(pk=ticket.pk).annotate(d=Elapsed(F("first_response_at"), F("created_at"))).get()
    assert row.d is None
