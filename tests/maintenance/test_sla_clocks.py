"""A planned visit's ticket is opened lead-time days ahead, but its SLA clocks start at the visit window:
nothing warns, breaches or escalates before the visit, the ticket lists and the SLA dashboard do not
count it late, and once the visit has begun the clocks run (and breach) like any ticket's."""
from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from maintenance.models import MaintenanceVisit
from maintenance.services import visits_create_due, visits_escalate_missed
from servicedesk.models import Notification
from sla.models import SLAClock, SLAEscalation
from sla.selectors import clocks_at_risk, clocks_due
from sla.services import sla_sweep
from tests.maintenance.conftest import NOW, TZ
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

VISIT_DAY = date(2026, 3, 9)  # NOW + 7 days (a Monday): the sweep opens its ticket today
VISIT_START = datetime.combine(VISIT_DAY, time(9), tzinfo=TZ)
SLA_KINDS = ("sla_warning", "sla_breach", "sla_level2")


@pytest.fixture
def visit(account, plan_factory, technician, settings):
    settings.MAINTENANCE_LEAD_DAYS = 7
    plan_factory(account, start_on=VISIT_DAY)
    result = visits_create_due(now=NOW)
    assert result.ordered == 1
    return MaintenanceVisit.objects.select_related("ticket", "work_order").get()


def test_the_clocks_start_at_the_visit_window_not_when_the_ticket_is_opened(visit):
    # given the ticket opened 7 days ahead of the visit
    ticket = visit.ticket
    assert ticket.created_at == NOW
    # then every clock measures from the visit's window start (the work order's), deadlines after it
    clocks = list(SLAClock.objects.filter(ticket=ticket))
    assert {c.target for c in clocks} >= {"first_response", "resolution"}
    assert visit.work_order.window_start == VISIT_START
    for clock in clocks:
        assert clock.started_at == VISIT_START
        assert clock.deadline > VISIT_START and clock.next_check_at > VISIT_START
        assert clock.warning_at is None or clock.warning_at > VISIT_START
    # and the ticket's indexed due column (the queue's sort and "overdue" badge) is the earliest of them
    ticket.refresh_from_db()
    assert ticket.sla_due_at == min(c.deadline for c in clocks)
    # and the work order's resolution deadline (dispatch's "not finished" escalation) is the clock's
    resolution = next(c for c in clocks if c.target == "resolution")
    assert visit.work_order.resolution_due_at == resolution.deadline


def test_no_warning_breach_or_escalation_in_the_week_before_the_visit(visit, personas, client_for):
    ticket = visit.ticket
    priority = ticket.priority
    # when the SLA sweep runs every few hours from the day the ticket opened to the visit's start
    moment = NOW
    while moment < VISIT_START:
        with time_machine.travel(moment, tick=False):
            sla_sweep(now=moment)
            # then no clock is at risk or counted missed on the dashboard
            assert not clocks_at_risk(now=moment).filter(ticket=ticket).exists()
            day = moment.astimezone(TZ).date()
            assert not clocks_due(start=day - timedelta(days=7), end=day, now=moment).filter(ticket=ticket).exists()
        moment += timedelta(hours=6)
    # then nothing fired, nobody was told, the priority did not rise
    assert not SLAEscalation.objects.filter(clock__ticket=ticket).exists()
    assert not Notification.objects.filter(kind__in=SLA_KINDS).exists()
    ticket.refresh_from_db()
    assert ticket.priority == priority
    # and the ticket list shows it due in the future, not overdue, on the eve of the visit
    with time_machine.travel(VISIT_START - timedelta(hours=1), tick=False):
        html = client_for("supervisor").get("/tickets/?sort=due").content.decode()
    assert ticket.number in html
    row = html[html.index(ticket.number):][:3000]
    assert "overdue" not in row


def test_after_the_visit_starts_the_clocks_run_and_breach_as_any_ticket(visit):
    # given the first response clock, measured from the visit
    ticket = visit.ticket
    first = SLAClock.objects.get(ticket=ticket, target="first_response")
    # when the sweep runs just past its deadline (no reply was ever made)
    result = sla_sweep(now=first.deadline + timedelta(minutes=1))
    # then it breaches, once, stamped with the visit-based deadline
    assert result.fired["breach"] >= 1
    breach = SLAEscalation.objects.get(clock=first, level="breach")
    assert breach.scheduled_for == first.deadline
    assert first.deadline > VISIT_START


def test_a_missed_visit_still_escalates_the_day_after(visit, personas):
    # when the visit's day passes with its work order not done
    sent = visits_escalate_missed(now=NOW.replace(day=10, hour=8))
    # then the missed-visit bell goes out once, as before the clocks moved
    assert sent == 1
    assert Notification.objects.filter(kind="maintenance_missed", recipient=personas.supervisor).count() == 1
    assert visits_escalate_missed(now=NOW.replace(day=11, hour=8)) == 0


def test_a_ticket_opened_without_clocks_from_starts_its_clocks_at_once(open_ticket_now):
    # the ordinary path is unchanged: clocks start when the ticket is opened
    ticket = open_ticket_now
    assert set(SLAClock.objects.filter(ticket=ticket).values_list("started_at", flat=True)) == {ticket.created_at}


@pytest.fixture
def open_ticket_now(personas, account):
    from tickets.services import ticket_create

    return ticket_create(customer=account, kind=Ticket.Kind.REPAIR, subject="Leak", created_by=personas.frontdesk,
                         now=NOW)
