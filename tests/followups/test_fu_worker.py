"""Celery's part with real parts: the survey link is queued on commit to Redis, a real worker sends it,
the SMS gateway times out once, and Celery's retry (with backoff) delivers it."""
import os
import time

import pytest

from tests.conftest import service_missing

from .fu_helpers import FlakyBackend, at


def _point_broker(app, url):
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def _wait_for(predicate, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def worker():
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("REDIS_URL not set: the real-worker test needs Redis (e.g. redis://127.0.0.1:6379/7)")
    from celery.contrib.testing.worker import start_worker

    from servicedesk.celery import app

    old = app.conf.broker_url
    app.conf.task_always_eager = False
    _point_broker(app, url)
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(app.conf.task_default_queue)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        _point_broker(app, old)
        app.conf.task_always_eager = True


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_the_link_after_commit_and_retries_a_failure(worker, settings, make_ticket):
    settings.SURVEY_DELIVERY_BACKEND = "tests.followups.fu_helpers.FlakyBackend"
    settings.SURVEY_RETRY_BACKOFF = 1
    FlakyBackend.calls = []
    FlakyBackend.fail_times = 1
    # when the agent resolves the ticket (the task is queued only after the commit)
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    invitation = ticket.survey_invitations.get()

    def sent():
        invitation.refresh_from_db()
        return invitation.delivery_status == "sent"

    # then the worker's first try fails, Celery retries after the backoff, and the link is sent once
    assert _wait_for(sent)
    assert invitation.delivery_attempts == 2 and len(FlakyBackend.calls) == 2
    time.sleep(1.5)
    assert len(FlakyBackend.calls) == 2
