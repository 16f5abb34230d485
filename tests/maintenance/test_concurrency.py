"""Two beats racing: one ticket and one work order per occurrence (PostgreSQL row locks + unique row)."""
from datetime import date

import pytest

from dispatch.models import WorkOrder
from maintenance.models import MaintenanceVisit
from maintenance.services import visits_create_due, visits_escalate_missed
from servicedesk.models import Notification
from tests.concurrency import run_at_once
from tests.maintenance.conftest import NOW
from tickets.models import Ticket

# SQLite has no row locks and serialises every writer: two threads cannot race there, so this runs on
# PostgreSQL only (the (plan, due_on) unique constraint still holds on SQLite: see test_sweep).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_racing_beats_create_one_work_order_per_occurrence(customer_factory, region, plan_factory, technician,
                                                               personas):
    # given twelve plans due within the lead time, and two long-missed occurrences on one of them
    plans = [plan_factory(customer_factory(name=f"Shop {i}", address=f"Road {i}", region=region),
                          start_on=date(2026, 3, 5)) for i in range(12)]
    personas.supervisor

    # when two beats sweep at the same moment, in small batches
    results, errors = run_at_once(2, lambda i: visits_create_due(now=NOW, batch=2, dispatch=False))

    # then every occurrence has exactly one visit, one ticket and one work order
    assert errors == []
    assert sum(r.ordered for r in results) == 12
    assert MaintenanceVisit.objects.count() == 12
    assert WorkOrder.objects.count() == 12
    assert Ticket.objects.count() == 12
    assert {v.plan_id for v in MaintenanceVisit.objects.all()} == {p.pk for p in plans}

    # and two racing escalations after the date send each bell once
    results, errors = run_at_once(2, lambda i: visits_escalate_missed(now=NOW.replace(day=6), batch=3))
    assert errors == []
    assert sum(results) == 12
    assert Notification.objects.filter(kind="maintenance_missed", recipient=personas.supervisor).count() == 12
