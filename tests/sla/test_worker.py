"""Celery's part, with real parts: two real workers over Redis race on sweep tasks and a breach is
escalated exactly once; with the broker unreachable, ticket work goes on and the next sweep catches up."""
import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk.models import Notification, Team
from sla.models import SLAClock, SLAEscalation
from tests.conftest import service_missing

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _point_broker(app, url):
    """Switch the app to another broker, dropping pooled connections to the old one."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def _wait_for(predicate, timeout=45):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def racing_worker():
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("REDIS_URL not set: the real-worker test needs Redis (e.g. redis://127.0.0.1:6379/4)")
    from celery.contrib.testing.worker import start_worker

    from servicedesk.celery import app

    old = app.conf.broker_url
    app.conf.task_always_eager = False
    _point_broker(app, url)
    try:
        with app.connection_for_write() as conn:  # a clean queue: no leftovers from earlier runs
            conn.default_channel.queue_purge(app.conf.task_default_queue)
        # One real worker with two pool threads: two sweeps run at once, each on its own DB
        # connection, racing for the same due rows (two solo workers in one process sometimes
        # failed to shut down in time; a threads pool races the same way and stops cleanly).
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=60):
            yield app
    finally:
        _point_broker(app, old)
        app.conf.task_always_eager = True


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_escalate_a_breach_exactly_once(racing_worker, open_ticket, personas):
    from sla.tasks import sla_sweep

    # given a repair whose first response was due an hour ago (opened 25 h ago, never answered)
    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    ticket = open_ticket(now=timezone.now() - timedelta(hours=25), team=team, assignee=personas.agent)
    # when beat (and an impatient operator) queue the sweep eight times, and two workers take them
    for _ in range(8):
        sla_sweep.delay()
    # then the breach is recorded and escalated once: one supervisor notification, one priority raise
    assert _wait_for(lambda: SLAEscalation.objects.filter(clock__ticket=ticket, level="breach").exists())
    time.sleep(3)  # let the remaining queued sweeps run too
    assert SLAEscalation.objects.filter(clock__ticket=ticket, level="breach").count() == 1
    assert SLAEscalation.objects.filter(clock__ticket=ticket, level="warning").count() == 1
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 1
    assert ticket.events.filter(kind="priority").count() == 1
    assert SLAClock.objects.get(ticket=ticket, target="first_response").met is False


@pytest.mark.django_db(transaction=True)
def test_broker_down_ticket_work_goes_on_and_the_next_sweep_escalates(open_ticket, personas):
    from servicedesk.celery import app
    from sla.services import sla_sweep
    from tickets.services import ticket_reply, ticket_transition

    old = app.conf.broker_url
    app.conf.task_always_eager = False
    _point_broker(app, CLOSED_PORT_BROKER)
    try:
        personas.agent.email = "agent@example.com"  # so notifications try to enqueue an email too
        personas.agent.save()
        team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
        # when tickets are opened and updated while nothing can be published
        ticket = open_ticket(now=timezone.now() - timedelta(hours=25), team=team, assignee=personas.agent)
        other = open_ticket(now=timezone.now(), team=team, assignee=personas.agent)
        ticket_transition(ticket=other, to_status="in_progress", actor=personas.agent)
        ticket_reply(ticket=other, author=personas.agent, body="On our way", public=True)
        # then the writes succeeded, and the next sweep (beat is back) escalates the overdue ticket
        result = sla_sweep()
        assert result.fired["breach"] == 1 and result.fired["warning"] == 1, result
        # bell works (the breach, the highest level due, to the supervisor); email waits
        assert Notification.objects.filter(recipient=personas.supervisor).count() == 1
        assert SLAClock.objects.get(ticket=other, target="first_response").met is True
    finally:
        _point_broker(app, old)
        app.conf.task_always_eager = True
