"""tickets/demo.py: deterministic and idempotent (a small TOTAL keeps it fast)."""
import io

import pytest

from tickets import demo
from tickets.models import Ticket, TicketCounter, TicketEvent


@pytest.mark.django_db
def test_demo_is_idempotent_and_numbers_match_counters(monkeypatch, settings):
    from customers import demo as customers_demo
    from servicedesk import demo as staff_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(demo, "TOTAL", 15)
    out = io.StringIO()
    staff_demo.load(stdout=out, options={})
    customers_demo.load(stdout=out, options={"customers": 20})
    demo.load(stdout=out, options={})
    first = sorted(Ticket.objects.values_list("number", "status"))
    demo.load(stdout=out, options={})
    assert sorted(Ticket.objects.values_list("number", "status")) == first and len(first) == 15
    assert sum(TicketCounter.objects.values_list("last", flat=True)) == 15
    assert TicketEvent.objects.filter(kind="created", after__demo=True).count() == 15
    assert len({s for _n, s in first}) >= 3  # a spread of statuses
