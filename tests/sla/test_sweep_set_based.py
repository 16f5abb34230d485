"""Breaches are carried out set-based (issue 14): a sweep batch issues a fixed handful of statements
whatever its size, and the tickets and their timelines end exactly as one ticket_set_priority call
per breach would have left them."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.models import Team
from sla.services import sla_sweep
from tests.sla.slatime import at
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_set_priority, ticket_transition, tickets_raise_priority_for_breach

pytestmark = pytest.mark.django_db

OPENED = at(2026, 11, 23, 9)  # Monday; first response warns Tuesday 03:00, breaches Tuesday 09:00
WARNED = at(2026, 11, 24, 3)
BREACHED = at(2026, 11, 24, 9, 1)  # first response only (resolution warns at 14:00)
EVENT_FIELDS = ("kind", "field", "before", "after", "message", "actor_id", "created_at")


@pytest.fixture
def team(personas):
    return Team.objects.create(name="Repairs", supervisor=personas.supervisor)


@pytest.fixture
def many_tickets(open_ticket, team, personas, customer_factory):
    customer = customer_factory(tier="basic")

    def _many(n, **kwargs):
        return [open_ticket(now=OPENED, team=team, assignee=personas.agent, customer=customer, **kwargs)
                for _ in range(n)]

    return _many


def priority_events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, kind="priority").order_by("id").values_list(*EVENT_FIELDS))


def _breach_sweep_queries(tickets):
    sla_sweep(now=WARNED)  # the warnings first, so the measured sweep carries breaches only
    with CaptureQueriesContext(connection) as ctx:
        result = sla_sweep(now=BREACHED)
    assert result.fired == {"warning": 0, "breach": len(tickets), "level2": 0} and result.batches == 1
    return [q["sql"] for q in ctx.captured_queries]


def test_a_batch_of_breaches_costs_the_same_statements_for_5_tickets_as_for_50(many_tickets):
    # given 5 tickets breaching in one batch, then 50 more
    small = _breach_sweep_queries(many_tickets(5))
    large = _breach_sweep_queries(many_tickets(50))
    # then the sweep issues the same number of statements, and one UPDATE raises all their priorities
    assert len(large) == len(small) <= 30
    raises = [sql for sql in large if sql.startswith('UPDATE "tickets_ticket"') and '"priority"' in sql]
    assert len(raises) == 1
    # the batch's own transaction and notify_many's, never one per row
    assert len([sql for sql in large if sql.startswith("SAVEPOINT")]) == len([sql for sql in small if sql.startswith("SAVEPOINT")]) <= 3
    assert Ticket.objects.filter(priority=Ticket.Priority.HIGH).count() == 55


def test_two_breaches_of_one_ticket_in_one_batch_raise_it_two_steps(many_tickets):
    # given beat was down until both clocks of the ticket had breached (catch-up: one batch)
    ticket, = many_tickets(1)
    version = Ticket.objects.get(pk=ticket.pk).version
    # when the sweep runs
    result = sla_sweep(now=at(2026, 11, 26, 12))
    # then normal → high → urgent, one event per breach with that breach's reason, version moved once
    assert result.fired["breach"] == 2 and result.batches == 1
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.URGENT and ticket.version == version + 1
    events = priority_events(ticket)
    assert [(e[2], e[3]) for e in events] == [(2, 1), (1, 0)]
    assert sorted(e[4] for e in events) == ["SLA breached: First response", "SLA breached: Resolution"]
    assert {(e[5], e[6]) for e in events} == {(None, at(2026, 11, 26, 12))}


def test_an_urgent_ticket_stays_urgent_and_records_no_priority_event(many_tickets):
    ticket, = many_tickets(1, priority=Ticket.Priority.URGENT)
    version = Ticket.objects.get(pk=ticket.pk).version
    assert sla_sweep(now=at(2026, 11, 26, 12)).fired["breach"] == 2
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.URGENT and ticket.version == version
    assert priority_events(ticket) == []


def test_batch_raise_writes_what_ticket_set_priority_would_have_written(many_tickets, personas):
    # given two identical tickets, one raised per breach by the per-ticket service, one by the batch
    now = at(2026, 11, 24, 10)
    reasons = ["SLA breached: First response", "SLA breached: Resolution", "SLA breached: Complaint investigation"]
    one_by_one, batched, resolved, low = many_tickets(4)
    ticket_transition(ticket=resolved, to_status="resolved", actor=personas.agent, now=now)
    Ticket.objects.filter(pk=low.pk).update(priority=Ticket.Priority.LOW)
    for reason in reasons:
        if one_by_one.priority > 0:
            ticket_set_priority(ticket=one_by_one, priority=one_by_one.priority - 1, actor=None, reason=reason, now=now)
    locked = list(Ticket.objects.select_for_update().filter(pk__in=[batched.pk, resolved.pk, low.pk]).order_by("pk"))
    # when
    tickets_raise_priority_for_breach(
        tickets=locked, reasons={batched.pk: reasons, resolved.pk: reasons, low.pk: reasons[:1]}, now=now
    )
    # then the same priority and the same timeline; the objects in hand are current
    for t in (one_by_one, batched, resolved, low):
        t.refresh_from_db()
    assert batched.priority == one_by_one.priority == Ticket.Priority.URGENT
    assert priority_events(batched) == priority_events(one_by_one) and len(priority_events(batched)) == 2
    assert [(t.priority, t.version) for t in locked] == [(t.priority, t.version) for t in (batched, resolved, low)]
    # a resolved ticket is left alone; a low one moves one step for one breach
    assert resolved.priority == Ticket.Priority.NORMAL and priority_events(resolved) == []
    assert low.priority == Ticket.Priority.NORMAL and [(e[2], e[3]) for e in priority_events(low)] == [(3, 2)]


def test_batch_raise_refuses_a_ticket_that_is_not_what_the_caller_holds(many_tickets):
    # given a ticket object that is stale (its priority changed behind it): the precondition is broken
    from django.db import IntegrityError, transaction

    ticket, = many_tickets(1)
    Ticket.objects.filter(pk=ticket.pk).update(priority=Ticket.Priority.LOW)
    # then nothing is written
    with pytest.raises(IntegrityError), transaction.atomic():
        tickets_raise_priority_for_breach(tickets=[ticket], reasons={ticket.pk: ["x"]}, now=OPENED)
    assert Ticket.objects.get(pk=ticket.pk).priority == Ticket.Priority.LOW and priority_events(ticket) == []


def test_two_breaches_of_a_ticket_that_reassigns_hand_it_to_the_supervisor_once(many_tickets, personas):
    # given a policy that reassigns at breach, and both clocks of a ticket breached in one batch
    from sla.models import SLATarget

    SLATarget.objects.filter(policy__name="Repair").update(reassign_to_supervisor=True)
    ticket, = many_tickets(1)
    # when
    result = sla_sweep(now=at(2026, 11, 26, 12))
    # then it is the supervisor's, recorded once, after the two priority steps
    assert result.failed == 0 and result.fired["breach"] == 2
    ticket.refresh_from_db()
    assert ticket.assignee == personas.supervisor and ticket.priority == Ticket.Priority.URGENT
    kinds = list(TicketEvent.objects.filter(ticket=ticket, kind__in=["priority", "assigned"]).order_by("id")
                 .values_list("kind", flat=True))
    assert kinds == ["priority", "priority", "assigned"]


def test_the_database_holds_never_past_urgent(open_ticket):
    # the sweep's set-based UPDATE computes the new priority in Python; the check constraint holds the rule
    from django.db import IntegrityError, transaction

    ticket = open_ticket(priority=0, now=at(2026, 11, 24, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(priority=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(status="lost")
