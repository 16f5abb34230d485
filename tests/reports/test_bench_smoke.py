"""bench_reports runs end to end on a tiny n (the real run is manual, on PostgreSQL)."""
import io
import json

import pytest
from django.core.management import call_command

from tickets.models import Ticket


@pytest.mark.django_db
def test_bench_reports_smoke():
    out = io.StringIO()
    call_command("bench_reports", n=200, runs=1, explain=0, stdout=out)
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["bench"] == "reports" and last["n_tickets"] == 200 == Ticket.objects.count()
    assert last["page_queries"] <= 40 and set(last["sections"]) >= {"tickets", "sla", "faults"}
    # Run again: the data is reused, nothing is added.
    call_command("bench_reports", n=200, runs=1, explain=0, stdout=io.StringIO())
    assert Ticket.objects.count() == 200
