"""Issue 11 item 11: the queue and the ticket list show when each ticket is due and sort by it
(the work queue by default), through the indexed Ticket.sla_due_at, with fixed query counts."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from sla.models import SLAClock
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=SH)  # a Tuesday


def running_min(ticket):
    clocks = SLAClock.objects.filter(ticket=ticket, stopped_at__isnull=True, paused_at__isnull=True)
    return min((c.deadline for c in clocks), default=None)


@pytest.fixture
def three(ticket_factory, personas):
    """Opened oldest first, but the newest is the most pressing (urgent)."""
    low = ticket_factory(subject="Low one", priority=Ticket.Priority.LOW, assignee=personas.agent, now=T0)
    normal = ticket_factory(subject="Normal one", assignee=personas.agent, now=T0 + timedelta(minutes=5))
    urgent = ticket_factory(subject="Urgent one", priority=Ticket.Priority.URGENT, assignee=personas.agent,
                            now=T0 + timedelta(minutes=10))
    return low, normal, urgent


def test_sla_due_is_the_earliest_running_deadline(three, personas):
    for t in three:
        t.refresh_from_db()
        assert t.sla_due_at is not None and t.sla_due_at == running_min(t)
    low = three[0]
    # waiting on the customer pauses the clocks: nothing is due, and the ticket sorts last
    for status, minutes in (("acknowledged", 20), ("waiting", 30)):
        low = services.ticket_transition(ticket=low, to_status=status, actor=personas.agent,
                                         now=T0 + timedelta(minutes=minutes))
    low.refresh_from_db()
    assert low.sla_due_at is None
    services.ticket_transition(ticket=low, to_status="in_progress", actor=personas.agent, now=T0 + timedelta(hours=1))
    low.refresh_from_db()
    assert low.sla_due_at is not None and low.sla_due_at == running_min(low)


def test_queue_sorts_by_sla_due_by_default(three, client_for):
    low, normal, urgent = three
    client = client_for("agent")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        response = client.get(reverse("tickets:queue"))
    rows = [t.pk for t in response.context["page"]]
    expected = [t.pk for t in sorted(Ticket.objects.filter(pk__in=rows), key=lambda t: t.sla_due_at)]
    assert rows == expected and rows[0] == urgent.pk
    body = response.content.decode()
    assert "SLA due" in body and "SLA due first" in body and 'aria-current="true"' in body
    # the other order is still there
    by_priority = [t.pk for t in client.get(reverse("tickets:queue") + "?sort=priority").context["page"]]
    assert by_priority == [urgent.pk, normal.pk, low.pk]


def test_overdue_ticket_shows_red_in_the_list(ticket_factory, client_for, personas):
    t = ticket_factory(subject="Late one", assignee=personas.agent, now=T0)
    t.refresh_from_db()
    with time_machine.travel(t.sla_due_at + timedelta(hours=2), tick=False):
        body = client_for("agent").get(reverse("tickets:list") + "?sort=due").content.decode()
    assert "overdue 2" in body and "text-danger" in body


def test_ticket_list_sorts_by_sla_due(three, client_for):
    low, normal, urgent = three
    page = client_for("agent").get(reverse("tickets:list") + "?sort=due").context["page"]
    pks = [t.pk for t in page]
    assert pks[0] == urgent.pk
    dues = [t.sla_due_at for t in page]
    assert dues == sorted(dues)


@pytest.mark.parametrize("url", ["tickets:queue", "tickets:list"])
def test_due_sort_keeps_a_fixed_query_count(url, ticket_factory, client_for, personas, django_assert_num_queries):
    client = client_for("agent")
    ticket_factory(assignee=personas.agent)
    query = "?sort=due"
    client.get(reverse(url) + query)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse(url) + query)
    for _ in range(6):
        ticket_factory(assignee=personas.agent)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(url) + query)
    assert len(many) == len(few)


@pytest.mark.postgres
def test_queue_due_order_uses_an_index(three, personas):
    from tickets.selectors import queue_tickets

    qs = queue_tickets(user=personas.agent, tab="mine", sort="due")[:26]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        # Three rows: left to itself the planner may take any index and sort. Forbid the sort too, so
        # the plan shows whether an index delivers the queue's order (CI once chose the FK index + sort).
        cur.execute("ANALYZE tickets_ticket")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    # An index on the due time delivers the order (on three rows the planner may prefer the all-tickets
    # one, filtered, over the agent's partial one: both read in due order); no full sort of the rows.
    assert "ticket_assignee_due_idx" in plan or "ticket_sla_due_idx" in plan, plan
    assert not re.search(r"^\s*(->\s+)?Sort\s+\(", plan, re.MULTILINE), plan
