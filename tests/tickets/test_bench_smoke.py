"""bench_tickets runs end to end on a tiny n and ends with its JSON line (the real run is manual)."""
import io
import json

import pytest
from django.core.management import call_command

from tickets.models import Ticket, TicketCounter


@pytest.mark.django_db
def test_bench_tickets_smoke(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("bench_tickets", n=120, customers=20, requests=2, batch=50, no_explain=True, stdout=out,
                 stderr=io.StringIO())
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["tickets"] == 120 and set(figures["cases"]) >= {"list_default", "list_status_assignee",
                                                                   "search_common_word", "detail", "detail_3",
                                                                   "detail_50+panels", "create"}
    assert all(len(c["queries"]) == 1 for k, c in figures["cases"].items() if k != "detail")
    # numbers match the counters; a rerun reuses the data
    assert sum(TicketCounter.objects.filter(year=2098).values_list("last", flat=True)) == 120
    samples = Ticket.objects.filter(subject__startswith="Bench detail page").count()
    call_command("bench_tickets", n=120, customers=20, requests=1, batch=50, no_explain=True,
                 stdout=io.StringIO(), stderr=io.StringIO())
    assert Ticket.objects.filter(number__contains="-2098-").count() == 120
    assert Ticket.objects.filter(subject__startswith="Bench detail page").count() == samples == 2
