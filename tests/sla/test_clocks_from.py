"""clocks_start(clocks_from=…): clocks that start later than the ticket (planned work) measure from then;
a pause or a stop before the start does not move their deadlines."""
from datetime import timedelta

import pytest

from sla.models import SLAClock
from sla.services import clocks_pause, clocks_resume, clocks_start
from tests.sla.slatime import at
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

OPENED = at(2026, 11, 23, 9)
START = at(2026, 11, 30, 9)


def _ticket(open_ticket):
    ticket = open_ticket(now=OPENED)
    SLAClock.objects.filter(ticket=ticket).delete()  # restart them below with a later start
    return ticket


def test_clocks_from_later_than_now_starts_every_clock_then(open_ticket):
    ticket = _ticket(open_ticket)
    clocks = clocks_start(ticket=ticket, now=OPENED, clocks_from=START)
    assert clocks and all(c.started_at == START and c.deadline > START for c in clocks)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == min(c.deadline for c in clocks)


def test_clocks_from_in_the_past_changes_nothing(open_ticket):
    ticket = _ticket(open_ticket)
    clocks = clocks_start(ticket=ticket, now=OPENED, clocks_from=OPENED - timedelta(days=1))
    assert all(c.started_at == OPENED for c in clocks)


def test_a_pause_before_the_start_does_not_move_the_deadlines(open_ticket):
    ticket = _ticket(open_ticket)
    clocks_start(ticket=ticket, now=OPENED, clocks_from=START)
    before = dict(SLAClock.objects.filter(ticket=ticket).values_list("target", "deadline"))
    # waiting on the customer from the day it was opened until one hour into the visit
    clocks_pause(ticket=ticket, now=OPENED + timedelta(days=1))
    clocks_resume(ticket=ticket, now=START + timedelta(hours=1))
    after = {c.target: c for c in SLAClock.objects.filter(ticket=ticket)}
    for target, deadline in before.items():
        clock = after[target]
        # only the hour after the start counts as paused (Monday 09:00–10:00: working time too), not the
        # week before it; the deadline moves by that hour of clock time only
        assert clock.paused_total == timedelta(hours=1)
        assert clock.deadline > deadline and clock.paused_at is None
